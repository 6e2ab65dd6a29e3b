import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions, versionCandidates } from './version-policy.js';

describe('registry - version policy', () => {
  it('registry - versions order numerically, part by part', { timeout: 1000 }, () => {
    assert.ok(compareVersions('1.10.0', '1.9.2') > 0);
    assert.equal(compareVersions('2', '2.0.0'), 0);
    assert.ok(compareVersions('1.0.0-rc1', '1.0.0-rc2') < 0);
  });
  it('registry - a pre-release ranks below its release, as in semver', { timeout: 1000 }, () => {
    assert.ok(compareVersions('1.0.0-rc1', '1.0.0') < 0);
    assert.ok(compareVersions('1.0.0', '1.0.0-rc.9') > 0);
    assert.ok(compareVersions('1.0.0-rc.2', '1.0.0-rc.10') < 0);
    assert.ok(compareVersions('1.0.0-alpha', '1.0.0-alpha.1') < 0);
    assert.ok(compareVersions('1.0.0-1', '1.0.0-alpha') < 0);
    assert.ok(compareVersions('1.0.1-rc.1', '1.0.0') > 0);
    assert.equal(compareVersions('1.0.0+build.5', '1.0.0'), 0);
    // semver's own precedence example (semver.org, 11.4)
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2'];
    const more = ['1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    const all = [...order, ...more];
    assert.deepEqual([...all].reverse().sort(compareVersions), all);
  });
  it('registry - latest, all and specific', { timeout: 1000 }, () => {
    const v = ['1.0.0', '1.2.0', '1.10.0', '1.2.0'];
    assert.deepEqual(versionCandidates(v, { latest: 1 }), {
      candidates: ['1.10.0', '1.2.0', '1.0.0'],
      want: 1,
    });
    assert.deepEqual(versionCandidates(v, 'all'), { candidates: ['1.10.0', '1.2.0', '1.0.0'], want: 3 });
    assert.deepEqual(versionCandidates(v, { specific: ['1.0.0', '9.9.9'] }), {
      candidates: ['1.0.0'],
      want: 1,
    });
  });
});
