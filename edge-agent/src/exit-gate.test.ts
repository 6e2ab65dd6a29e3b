import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createExitGate } from './exit-gate.js';

describe('gates - exit gate', () => {
  it('gates - the exit gate passes at and above its threshold only', { timeout: 1000 }, () => {
    const gate = createExitGate({ scoreFunction: 'max-softmax', threshold: 0.9 });
    assert.equal(gate.decide([10, 0, 0]).pass, true);
    assert.equal(gate.decide([1, 0.9, 0]).pass, false);
    assert.equal(gate.decide([1, 0.9, 0]).label, 0);
  });
});
