// Chooses a gate threshold on held-out data (the validation split, never the test set), the same
// rule as training/cleave_train/gates.py: answer locally where score >= t, fall back elsewhere.

export type CalibrationTarget =
  /** The smallest threshold whose accuracy is at most this far (0..1) below always falling back. */
  | { maxAccuracyDrop: number }
  /** The threshold that answers this share (0..1) of inputs locally. */
  | { coverage: number };

export interface Calibration {
  threshold: number;
  /** Share answered locally at that threshold. */
  coverage: number;
  /** Accuracy of local-where-confident, fallback elsewhere. */
  accuracy: number;
  /** Accuracy of always falling back. */
  fallbackAccuracy: number;
}

/**
 * `scores[i]` is the gate's score on input i; `localCorrect[i]` / `fallbackCorrect[i]` say
 * whether the local stage and the fallback got it right.
 */
export function calibrateThreshold(
  scores: ArrayLike<number>,
  localCorrect: ArrayLike<boolean>,
  fallbackCorrect: ArrayLike<boolean>,
  target: CalibrationTarget,
): Calibration {
  const n = scores.length;
  if (n === 0 || localCorrect.length !== n || fallbackCorrect.length !== n) {
    throw new RangeError('calibration needs scores and outcomes of the same, non-zero length');
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let base = 0;
  for (let i = 0; i < n; i++) if (fallbackCorrect[i]) base++;
  // Walk thresholds from the most confident input down; k+1 inputs answered locally.
  let gain = 0;
  let best: { k: number; accuracy: number } | undefined;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    gain += Number(localCorrect[i]) - Number(fallbackCorrect[i]);
    // Only a cut between two different scores can be realised by a threshold.
    const next = order[k + 1];
    if (next !== undefined && scores[next] === scores[i]) continue;
    const accuracy = (base + gain) / n;
    if ('coverage' in target) {
      if ((k + 1) / n <= target.coverage) best = { k, accuracy };
      else break;
    } else if (accuracy >= base / n - target.maxAccuracyDrop) {
      best = { k, accuracy };
    }
  }
  if (!best)
    return {
      threshold: Number.POSITIVE_INFINITY,
      coverage: 0,
      accuracy: base / n,
      fallbackAccuracy: base / n,
    };
  return {
    threshold: scores[order[best.k]!]!,
    coverage: (best.k + 1) / n,
    accuracy: best.accuracy,
    fallbackAccuracy: base / n,
  };
}
