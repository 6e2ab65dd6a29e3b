import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CascadeOutcomes,
  calibrateCascade,
  evaluateCascade,
  meetsTarget,
  NEVER,
} from './cascade-calibration.js';

// Ten inputs, label 0 everywhere. The exit is right when its score is high; A and B are each
// right on different unsure inputs; the fallback is right except on input 9.
const outcomes: CascadeOutcomes = {
  labels: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  exit: {
    scores: [0.99, 0.98, 0.97, 0.96, 0.5, 0.5, 0.4, 0.4, 0.3, 0.2],
    pred: [0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
  },
  dualA: {
    scores: [0.9, 0.9, 0.9, 0.9, 0.95, 0.6, 0.94, 0.5, 0.2, 0.2],
    pred: [0, 0, 0, 0, 0, 1, 0, 1, 1, 1],
  },
  dualB: {
    scores: [0.9, 0.9, 0.9, 0.9, 0.5, 0.93, 0.5, 0.7, 0.2, 0.2],
    pred: [0, 0, 0, 0, 1, 0, 1, 1, 1, 1],
  },
  fallbackPred: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
};

describe('gates - joint cascade calibration', () => {
  it('gates - routing follows the agent: A when sure, else the more confident of A and B', {
    timeout: 1000,
  }, () => {
    const r = evaluateCascade(outcomes, 0.96, 0.9);
    // Exit answers 0-3; A sure on 4 and 6; B wins on 5 (0.93 > 0.6); 7 (B 0.7) and 8, 9 fall back.
    assert.equal(r.exitCoverage, 0.4);
    assert.equal(r.dualCoverage, 0.3);
    assert.equal(r.accuracy, 0.9);
    const none = evaluateCascade(outcomes, NEVER, NEVER);
    assert.deepEqual(none, {
      accuracy: 0.9,
      exitCoverage: 0,
      dualCoverage: 0,
      deviceCoverage: 0,
      gains: 0,
      losses: 0,
    });
  });
  it('gates - the largest device share that keeps the target accuracy', { timeout: 1000 }, () => {
    const c = calibrateCascade(outcomes, { minAccuracy: 0.9 });
    assert.equal(c.deviceCoverage, 0.7);
    assert.equal(c.accuracy, 0.9);
    assert.equal(c.exitThreshold, 0.96);
    assert.ok(c.dualThreshold > 0.7 && c.dualThreshold <= 0.93, `dual ${c.dualThreshold}`);
    // A lower target buys more device answers, at a cost.
    const loose = calibrateCascade(outcomes, { minAccuracy: 0.8 });
    assert.ok(loose.deviceCoverage > c.deviceCoverage);
    assert.ok(loose.accuracy >= 0.8 && loose.accuracy < 0.9);
  });
  it('gates - a target relative to the teacher, with a safety margin of standard errors', {
    timeout: 1000,
  }, () => {
    // The teacher is right everywhere but on input 9, like the fallback.
    const withTeacher = { ...outcomes, referencePred: outcomes.fallbackPred };
    const exact = calibrateCascade(withTeacher, { maxBelowReference: 0 });
    assert.equal(exact.accuracy, 0.9);
    assert.equal(exact.deviceCoverage, 0.7);
    const r = evaluateCascade(withTeacher, 0.5, 0.9); // answers 4 and 5 locally, wrongly
    assert.equal(r.losses, 2);
    assert.equal(r.gains, 0);
    // 0.2 below the teacher passes a 0.2 target with no margin, but not with one standard error.
    assert.equal(meetsTarget(r, 10, { maxBelowReference: 0.2 }), true);
    assert.equal(meetsTarget(r, 10, { maxBelowReference: 0.2, standardErrors: 1 }), false);
    assert.throws(() => calibrateCascade(outcomes, { maxBelowReference: 0.1 }), RangeError);
  });
  it('gates - an unreachable target sends everything to the fallback', { timeout: 1000 }, () => {
    const c = calibrateCascade(outcomes, { minAccuracy: 0.95 });
    assert.equal(c.exitThreshold, NEVER);
    assert.equal(c.dualThreshold, NEVER);
    assert.equal(c.deviceCoverage, 0);
    assert.equal(c.fallbackAccuracy, 0.9);
  });
  it('gates - works without dual CNNs', { timeout: 1000 }, () => {
    const { dualA: _a, dualB: _b, ...exitOnly } = outcomes;
    const c = calibrateCascade(exitOnly, { minAccuracy: 0.9 });
    assert.equal(c.dualCoverage, 0);
    assert.equal(c.exitCoverage, 0.4);
  });
});
