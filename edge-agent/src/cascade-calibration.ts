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
  /** The reference a relative target compares with (the teacher's answers). */
  referencePred?: ArrayLike<number>;
}

/**
 * `minAccuracy`: the cascade's accuracy must reach it. `maxBelowReference`: it may be at most this
 * far (0..1) below the reference's accuracy on the same inputs. With `standardErrors` = z, the
 * bound must hold z standard errors on the safe side (binomial for an absolute target; of the
 * per-input paired difference for a relative one), so that it still holds on new data.
 */
export type CascadeTarget =
  | { minAccuracy: number; standardErrors?: number }
  | { maxBelowReference: number; standardErrors?: number };

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
  /** Inputs the cascade gets right and the reference wrong, and the other way round. */
  let gains = 0;
  let losses = 0;
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
    const right = pred === o.labels[i];
    if (right) correct++;
    if (o.referencePred) {
      const refRight = o.referencePred[i] === o.labels[i];
      if (right && !refRight) gains++;
      if (!right && refRight) losses++;
    }
  }
  return {
    accuracy: correct / n,
    exitCoverage: exits / n,
    dualCoverage: duals / n,
    deviceCoverage: (exits + duals) / n,
    gains,
    losses,
  };
}

/** Whether an evaluated cascade meets the target, with its safety margin. */
export function meetsTarget(
  r: ReturnType<typeof evaluateCascade>,
  n: number,
  target: CascadeTarget,
): boolean {
  const z = target.standardErrors ?? 0;
  if ('minAccuracy' in target) {
    const se = Math.sqrt((r.accuracy * (1 - r.accuracy)) / n);
    return r.accuracy - z * se >= target.minAccuracy;
  }
  const diff = (r.gains - r.losses) / n;
  const se = Math.sqrt(Math.max(0, (r.gains + r.losses) / n - diff * diff) / n);
  return diff - z * se >= -target.maxBelowReference;
}

/**
 * Grid search over `steps` exit and `steps` dual candidates (quantiles of the scores): the pair
 * with the largest device share that meets the target.
 * When no pair reaches the target, everything goes to the fallback (both thresholds NEVER).
 */
export function calibrateCascade(o: CascadeOutcomes, target: CascadeTarget, steps = 120): CascadeCalibration {
  const n = o.labels.length;
  if (n === 0 || o.exit.scores.length !== n || o.fallbackPred.length !== n) {
    throw new RangeError('cascade calibration needs outcomes of the same, non-zero length');
  }
  if ('maxBelowReference' in target && o.referencePred?.length !== n) {
    throw new RangeError('a target relative to the reference needs referencePred');
  }
  const fallback = evaluateCascade(o, NEVER, NEVER);
  let best = { exitT: NEVER, dualT: NEVER, ...fallback };
  let bestMeets = meetsTarget(fallback, n, target);
  const dualScores =
    o.dualA && o.dualB
      ? Float64Array.from({ length: n }, (_, i) => Math.max(o.dualA!.scores[i]!, o.dualB!.scores[i]!))
      : undefined;
  const dualCandidates = dualScores ? candidates(dualScores, steps) : [NEVER];
  for (const exitT of candidates(o.exit.scores, steps)) {
    for (const dualT of dualCandidates) {
      const r = evaluateCascade(o, exitT, dualT);
      if (!meetsTarget(r, n, target)) continue;
      // Ties: higher accuracy, then more answers from the exit, the cheaper stage.
      const better =
        r.deviceCoverage > best.deviceCoverage ||
        (r.deviceCoverage === best.deviceCoverage &&
          (r.accuracy > best.accuracy ||
            (r.accuracy === best.accuracy && r.exitCoverage > best.exitCoverage)));
      if (better || !bestMeets) {
        best = { exitT, dualT, ...r };
        bestMeets = true;
      }
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
