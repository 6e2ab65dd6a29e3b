// The exit classifier's fit and gate rule on data built here: Gaussian blobs of known classes
// with unscaled, offset features (so the standardisation folded into the weights matters), and
// threshold choices worked out by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argmax } from '@cleave/models';
import {
  ABSENT_CLASS_LOGIT,
  chooseThreshold,
  fitSoftmaxRegression,
  regressionLogits,
} from './softmax-regression.js';

/** A deterministic generator (mulberry32) and normal deviates from it. */
function rng(seed: number) {
  let a = seed;
  const uniform = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** `n` samples of classes 0, 2 and 3 (class 1 never occurs) in 8 dims, scaled and offset per dim. */
function blobs(n: number, seed: number) {
  const normal = rng(seed);
  const centres = [0, 2, 3].map((c) => Array.from({ length: 8 }, (_, d) => ((c * 7 + d * 3) % 5) - 2));
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = i % 3;
    rows.push(Float64Array.from(centres[j]!, (m, d) => (m + 0.6 * normal()) * (d + 1) * 10 + 100));
    labels.push([0, 2, 3][j]!);
  }
  return { rows, labels };
}

describe('graph - exit classifier (softmax regression)', () => {
  it('fit - separates blobs on raw features, deterministically, and never names an absent class', {
    timeout: 10_000,
  }, () => {
    const train = blobs(300, 1);
    const model = fitSoftmaxRegression(train.rows, train.labels, 4);
    const again = fitSoftmaxRegression(train.rows, train.labels, 4);
    assert.deepEqual(again.weights, model.weights);
    assert.deepEqual(again.bias, model.bias);
    const test = blobs(300, 2);
    const right = test.rows.filter((r, i) => argmax(regressionLogits(model, r)) === test.labels[i]).length;
    assert.ok(right / 300 >= 0.97, `held-out accuracy ${right / 300}`);
    assert.equal(model.bias[1], ABSENT_CLASS_LOGIT);
    assert.ok(model.weights.subarray(8, 16).every((w) => w === 0));
    // Parameters are float32 values, as the ONNX initializers hold them.
    for (const w of model.weights) assert.equal(w, Math.fround(w));
  });

  it('gate - the threshold that answers the most while keeping the target agreement', {
    timeout: 1000,
  }, () => {
    const scores = [0.99, 0.95, 0.9, 0.9, 0.8, 0.7, 0.6];
    const agrees = [true, true, true, false, true, true, false];
    // Top 1..2 agree fully; the tie at 0.9 can only be taken whole (3 of 4); top 6 is 5 of 6.
    const full = chooseThreshold(scores, agrees, 1)!;
    assert.deepEqual(full, { threshold: (0.95 + 0.9) / 2, coverage: 2 / 7, answeredAgreement: 1 });
    const most = chooseThreshold(scores, agrees, 0.8)!;
    assert.equal(most.coverage, 6 / 7);
    assert.equal(most.threshold, (0.7 + 0.6) / 2);
    assert.equal(chooseThreshold([0.9, 0.5], [false, true], 0.9), undefined);
    // Answering everything: the threshold is the lowest score itself.
    assert.equal(chooseThreshold([0.9, 0.5], [true, true], 0.9)!.threshold, 0.5);
  });
});
