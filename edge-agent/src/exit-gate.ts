// The early-exit gate: answer on the device when score(exit logits) >= threshold.
import { argmax, type GateScoreFunction as ScoreFunction, scoreFunction, softmax } from '@cleave/models';

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
  if (!Number.isFinite(options.threshold)) throw new RangeError('gate threshold must be finite');
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
