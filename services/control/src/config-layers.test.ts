// Layer merging (narrowest wins, field by field), path edits, and what a layer may hold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeLayers, parseLayer, scopeKey, setPath } from './config-layers.js';
import { objectDigestOf } from './model-store.js';
import { fleetIdOf, parseBundleRef } from './subjects.js';

describe('config layers', () => {
  it('merges field by field, the later (narrower) layer winning', () => {
    const fleet = { gate: { threshold: 0.9, scoreFunction: 'margin' }, stages: { dual: false } };
    const group = { gate: { threshold: 0.8 }, bundle: 'm@1.0.0' };
    const agent = { gate: { threshold: null } };
    assert.deepEqual(mergeLayers(fleet, group, agent), {
      gate: { threshold: null, scoreFunction: 'margin' },
      stages: { dual: false },
      bundle: 'm@1.0.0',
    });
    assert.deepEqual(fleet.gate.threshold, 0.9, 'inputs untouched');
  });

  it('sets and removes dotted paths, dropping emptied parents', () => {
    const a = setPath({}, 'policy.latencyBudgetMs', 50);
    assert.deepEqual(a, { policy: { latencyBudgetMs: 50 } });
    assert.deepEqual(setPath(a, 'policy.latencyBudgetMs', undefined), {});
    assert.deepEqual(setPath(a, 'gate.threshold', undefined), a);
    assert.throws(() => setPath(a, 'gate..threshold', 1), /bad key path/);
  });

  it('accepts JSON objects with a NAME@VERSION bundle only', () => {
    assert.deepEqual(parseLayer('{"bundle":"fmnist-c6b2@1.1.0"}'), { bundle: 'fmnist-c6b2@1.1.0' });
    assert.throws(() => parseLayer('[1]'), /not a JSON object/);
    assert.throws(() => parseLayer('{'), /not JSON/);
    assert.throws(() => parseLayer('{"bundle":"fmnist"}'), /NAME@VERSION/);
    assert.deepEqual(parseBundleRef('fmnist-c6b2@1.0.0+exp.1'), {
      name: 'fmnist-c6b2',
      version: '1.0.0+exp.1',
    });
  });

  it('keys and ids are subject tokens', () => {
    assert.equal(scopeKey({ fleet: true }), 'fleet');
    assert.equal(scopeKey({ group: 'lab-2' }), 'group.lab-2');
    assert.throws(() => scopeKey({ agent: 'a.b' }), /subject token/);
    assert.equal(fleetIdOf('jetson-07.local'), 'jetson-07-local');
  });

  it('computes the Object Store digest form (SHA-256=, base64url padded)', () => {
    const sha = Buffer.from('f'.repeat(64), 'hex');
    assert.equal(objectDigestOf(sha), `SHA-256=${sha.toString('base64url')}=`);
  });
});
