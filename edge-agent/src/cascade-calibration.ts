// Chooses the exit and dual thresholds together, on held-out data, for a target accuracy of the
// whole cascade (exit → dual A/B → fallback): the pair that answers the most inputs on the device
// while the cascade's accuracy stays at or above the target. The dual rule is the agent's own
// (dual-stage.ts): A answers when sure, otherwise B runs and the more confident of the two wins.

export interface CascadeOutcomes {
  labels: ArrayLike<number>;
  exit: { scores: ArrayLike<number>; pred: ArrayLike<number> };
  /** Omit for bundles without dual CNNs. */
  dualA?: { scores: ArrayLike<number>; pred: ArrayLike<number> };
  dualB?: { scores: ArrayLike<number>; pred: ArrayLike<number> };
  /** What the cloud tail answers (through the codec). */
  fallbackPred: ArrayLike<number>;
}

export interface CascadeCalibration {
  exitThreshold: number;
  dualThreshold: number;
  accuracy: number;
  exitCoverage: number;
  dualCoverage: number;
  deviceCoverage: number;
  /** Accuracy with everything sent to the fallback. */
  fallbackAccuracy: number;
}

/** Above any score in [0, 1]: the stage never answers. */
export const NEVER = 1 + 1e-9;

/** Candidate thresholds: the distinct scores at `steps` evenly spaced ranks, plus NEVER. */
function candidates(scores: ArrayLike<number>, steps: number): number[] {
  const sorted = Float64Array.from(scores).sort();
  const out = new Set<number>([NEVER]);
  for (let k = 0; k < steps; k++) out.add(sorted[Math.floor((k * (sorted.length - 1)) / (steps - 1))]!);
  return [...out].sort((a, b) => b - a);
}

/** Cascade outcome for one pair of thresholds, with the agent's exact routing rule. */
export function evaluateCascade(o: CascadeOutcomes, exitT: number, dualT: number) {
  const n = o.labels.length;
  let correct = 0;
  let exits = 0;
  let duals = 0;
  for (let i = 0; i < n; i++) {
    let pred: number;
    if (o.exit.scores[i]! >= exitT) {
      exits++;
      pred = o.exit.pred[i]!;
    } else if (o.dualA && o.dualB && dualT <= 1) {
      const sa = o.dualA.scores[i]!;
      const sb = o.dualB.scores[i]!;
      const useB = sa < dualT && sb > sa;
      const score = useB ? sb : sa;
      if (score >= dualT) {
        duals++;
        pred = useB ? o.dualB.pred[i]! : o.dualA.pred[i]!;
      } else pred = o.fallbackPred[i]!;
    } else pred = o.fallbackPred[i]!;
    if (pred === o.labels[i]) correct++;
  }
  return {
    accuracy: correct / n,
    exitCoverage: exits / n,
    dualCoverage: duals / n,
    deviceCoverage: (exits + duals) / n,
  };
}

/**
 * Grid search over `steps` exit and `steps` dual candidates (quantiles of the scores): the pair
 * with the largest device share whose accuracy is >= minAccuracy.
 * When no pair reaches the target, everything goes to the fallback (both thresholds NEVER).
 */
export function calibrateCascade(
  o: CascadeOutcomes,
  target: { minAccuracy: number },
  steps = 120,
): CascadeCalibration {
  const n = o.labels.length;
  if (n === 0 || o.exit.scores.length !== n || o.fallbackPred.length !== n) {
    throw new RangeError('cascade calibration needs outcomes of the same, non-zero length');
  }
  const fallback = evaluateCascade(o, NEVER, NEVER);
  let best = { exitT: NEVER, dualT: NEVER, ...fallback };
  const dualScores =
    o.dualA && o.dualB
      ? Float64Array.from({ length: n }, (_, i) => Math.max(o.dualA!.scores[i]!, o.dualB!.scores[i]!))
      : undefined;
  const dualCandidates = dualScores ? candidates(dualScores, steps) : [NEVER];
  for (const exitT of candidates(o.exit.scores, steps)) {
    for (const dualT of dualCandidates) {
      const r = evaluateCascade(o, exitT, dualT);
      if (r.accuracy < target.minAccuracy) continue;
      // Ties: higher accuracy, then more answers from the exit, the cheaper stage.
      const better =
        r.deviceCoverage > best.deviceCoverage ||
        (r.deviceCoverage === best.deviceCoverage &&
          (r.accuracy > best.accuracy ||
            (r.accuracy === best.accuracy && r.exitCoverage > best.exitCoverage)));
      if (better || best.accuracy < target.minAccuracy) best = { exitT, dualT, ...r };
    }
  }
  return {
    exitThreshold: best.exitT,
    dualThreshold: best.dualT,
    accuracy: best.accuracy,
    exitCoverage: best.exitCoverage,
    dualCoverage: best.dualCoverage,
    deviceCoverage: best.deviceCoverage,
    fallbackAccuracy: fallback.accuracy,
  };
}
