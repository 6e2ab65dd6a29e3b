import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calibrateThreshold } from './threshold-calibration.js';

describe('gates - threshold calibration', () => {
  // Confident inputs are right locally; the unsure ones are wrong locally but right in the cloud.
  const scores = [0.99, 0.98, 0.97, 0.9, 0.6, 0.5];
  const local = [true, true, true, false, false, false];
  const cloud = [true, true, true, true, true, true];

  it('gates - the smallest threshold within the allowed accuracy drop', { timeout: 1000 }, () => {
    const c = calibrateThreshold(scores, local, cloud, { maxAccuracyDrop: 0 });
    assert.equal(c.threshold, 0.97);
    assert.equal(c.coverage, 0.5);
    assert.equal(c.accuracy, 1);
    const loose = calibrateThreshold(scores, local, cloud, { maxAccuracyDrop: 0.2 });
    assert.equal(loose.threshold, 0.9); // one more local error costs 1/6 < 0.2
    assert.ok(Math.abs(loose.accuracy - 5 / 6) < 1e-12);
  });
  it('gates - a coverage target picks the threshold answering that share', { timeout: 1000 }, () => {
    const c = calibrateThreshold(scores, local, cloud, { coverage: 2 / 3 });
    assert.equal(c.threshold, 0.9);
    assert.ok(Math.abs(c.coverage - 2 / 3) < 1e-12);
  });
  it('gates - ties are never split: a threshold answers all equal scores or none', { timeout: 1000 }, () => {
    const c = calibrateThreshold([0.9, 0.9, 0.9, 0.1], [true, true, false, false], [true, true, true, true], {
      maxAccuracyDrop: 0.2,
    });
    assert.ok(c.coverage === 0 || c.coverage === 0.75);
  });
  it('gates - when nothing may be answered locally the threshold is +Infinity', { timeout: 1000 }, () => {
    const c = calibrateThreshold([0.9, 0.8], [false, false], [true, true], { maxAccuracyDrop: 0 });
    assert.equal(c.threshold, Number.POSITIVE_INFINITY);
    assert.equal(c.coverage, 0);
  });
  it('gates - bad input is refused', { timeout: 1000 }, () => {
    assert.throws(() => calibrateThreshold([], [], [], { coverage: 0.5 }), RangeError);
  });
});
