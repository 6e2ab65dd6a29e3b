// The early-exit gate: answer on the device when score(exit logits) >= threshold.
import { argmax, type ScoreFunction, scoreFunction, softmax } from './score-functions.js';

export interface GateDecision {
  pass: boolean;
  label: number;
  score: number;
  probs: Float64Array;
}

export interface ExitGate {
  readonly scoreFunction: string;
  readonly threshold: number;
  decide(logits: ArrayLike<number>): GateDecision;
}

export function createExitGate(options: { scoreFunction: string; threshold: number }): ExitGate {
  const fn: ScoreFunction = scoreFunction(options.scoreFunction);
  // +Infinity is allowed: a gate that never passes (gating switched off).
  if (Number.isNaN(options.threshold) || options.threshold === Number.NEGATIVE_INFINITY) {
    throw new RangeError('gate threshold must be a number or +Infinity');
  }
  return {
    scoreFunction: options.scoreFunction,
    threshold: options.threshold,
    decide(logits) {
      const probs = softmax(logits);
      const score = fn(probs);
      return { pass: score >= options.threshold, label: argmax(probs), score, probs };
    },
  };
}
