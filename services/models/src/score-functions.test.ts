import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scoreFunction, scoreFunctionNames, softmax } from './score-functions.js';

describe('gates - score functions', () => {
  it('gates - softmax sums to one and is stable for large logits', { timeout: 1000 }, () => {
    const p = softmax([1000, 1001, 999]);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(p[1]! > p[0]! && p[0]! > p[2]!);
  });
  it('gates - max-softmax, margin and entropy on known distributions', { timeout: 1000 }, () => {
    const sure = softmax([10, 0, 0, 0]);
    const unsure = new Float64Array([0.25, 0.25, 0.25, 0.25]);
    assert.ok(scoreFunction('max-softmax')(sure) > 0.99);
    assert.equal(scoreFunction('max-softmax')(unsure), 0.25);
    assert.equal(scoreFunction('margin')(unsure), 0);
    assert.ok(Math.abs(scoreFunction('margin')(new Float64Array([0.6, 0.3, 0.1])) - 0.3) < 1e-12);
    assert.ok(Math.abs(scoreFunction('entropy')(unsure)) < 1e-12);
    assert.ok(scoreFunction('entropy')(sure) > 0.99);
    assert.deepEqual(scoreFunctionNames().slice(0, 3), ['max-softmax', 'margin', 'entropy']);
  });
  it('gates - an unknown score function is an error that lists the known ones', { timeout: 1000 }, () => {
    assert.throws(() => scoreFunction('nope'), /known: max-softmax, margin, entropy/);
  });
});
