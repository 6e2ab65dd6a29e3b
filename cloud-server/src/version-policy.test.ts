import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions, versionCandidates } from './version-policy.js';

describe('registry - version policy', () => {
  it('registry - versions order numerically, part by part', { timeout: 1000 }, () => {
    assert.ok(compareVersions('1.10.0', '1.9.2') > 0);
    assert.equal(compareVersions('2', '2.0.0'), 0);
    assert.ok(compareVersions('1.0.0-rc1', '1.0.0-rc2') < 0);
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
