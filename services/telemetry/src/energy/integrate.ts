// Pure energy math over power samples. P(t) is the piecewise-linear curve through the samples (sorted by
// time), held flat before the first and after the last sample. Times are milliseconds, power watts, energy
// joules.

export interface PowerSample {
  /** performance.now() time, ms. */
  readonly t: number;
  readonly watts: number;
}

/** Index of the first sample with time > t (binary search). */
function upperBound(samples: readonly PowerSample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (samples[mid]!.t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first sample with time >= t. */
function lowerBound(samples: readonly PowerSample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (samples[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** P(t) by linear interpolation between the neighbouring samples; NaN without samples. */
export function powerAt(samples: readonly PowerSample[], t: number): number {
  const n = samples.length;
  if (n === 0) return Number.NaN;
  const first = samples[0]!;
  const last = samples[n - 1]!;
  if (t <= first.t) return first.watts;
  if (t >= last.t) return last.watts;
  const i = upperBound(samples, t);
  const a = samples[i - 1]!;
  const b = samples[i]!;
  if (b.t === a.t) return b.watts;
  return a.watts + ((b.watts - a.watts) * (t - a.t)) / (b.t - a.t);
}

/**
 * ∫ P dt over [t0, t1] in joules, by the trapezoid rule between the window edges (interpolated) and every
 * sample inside the window. Exact for the piecewise-linear P. 0 for an empty window, NaN without samples.
 */
export function integratePower(samples: readonly PowerSample[], t0: number, t1: number): number {
  if (samples.length === 0) return Number.NaN;
  if (!(t1 > t0)) return 0;
  let joules = 0;
  let prevT = t0;
  let prevP = powerAt(samples, t0);
  for (let i = upperBound(samples, t0); i < samples.length; i++) {
    const s = samples[i]!;
    if (s.t >= t1) break;
    joules += ((s.t - prevT) / 1000) * ((prevP + s.watts) / 2);
    prevT = s.t;
    prevP = s.watts;
  }
  joules += ((t1 - prevT) / 1000) * ((prevP + powerAt(samples, t1)) / 2);
  return joules;
}

/** How many samples lie in [t0, t1]. */
export function countSamples(samples: readonly PowerSample[], t0: number, t1: number): number {
  return Math.max(0, upperBound(samples, t1) - lowerBound(samples, t0));
}

/** Mean of the sample powers with t in [from, to]; NaN when there are none. */
export function meanPower(samples: readonly PowerSample[], from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (const s of samples) {
    if (s.t < from || s.t > to) continue;
    sum += s.watts;
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

export interface EnergyWindow<K> {
  readonly id: K;
  readonly t0: number;
  readonly t1: number;
}

/**
 * Shares `energyOf` over overlapping windows pro rata: the union of the windows is cut at every window edge
 * (and at `extraCuts`), and each piece's energy is divided equally between the windows active over it.
 */
export function shareOverWindows<K>(
  windows: readonly EnergyWindow<K>[],
  energyOf: (a: number, b: number) => number,
  extraCuts: readonly number[] = [],
): Map<K, number> {
  const shares = new Map<K, number>(windows.map((w) => [w.id, 0]));
  if (windows.length === 0) return shares;
  const lo = Math.min(...windows.map((w) => w.t0));
  const hi = Math.max(...windows.map((w) => w.t1));
  const cuts = [...windows.flatMap((w) => [w.t0, w.t1]), ...extraCuts.filter((t) => t > lo && t < hi)];
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const active = windows.filter((w) => w.t0 <= a && w.t1 >= b);
    if (active.length === 0) continue;
    const each = energyOf(a, b) / active.length;
    for (const w of active) shares.set(w.id, (shares.get(w.id) ?? 0) + each);
  }
  return shares;
}

/**
 * The share of one window (`target`) alone, by a sweep over the others' start and end points:
 * O(W log W) for W overlapping windows, where shareOverWindows is O(W²). An agent with a thousand
 * requests in flight closes a thousand windows, so this is the one the attributor uses.
 */
export function shareOfWindow<K>(
  target: EnergyWindow<K>,
  others: readonly EnergyWindow<K>[],
  energyOf: (a: number, b: number) => number,
  extraCuts: readonly number[] = [],
): number {
  const { t0, t1 } = target;
  if (!(t1 > t0)) return 0;
  // +1 where another window starts, -1 where it ends, clipped to the target.
  const events: [number, number][] = [];
  let active = 1;
  for (const w of others) {
    const a = Math.max(w.t0, t0);
    const b = Math.min(w.t1, t1);
    if (!(b > a)) continue;
    if (a <= t0) active++;
    else events.push([a, 1]);
    if (b < t1) events.push([b, -1]);
  }
  for (const c of extraCuts) if (c > t0 && c < t1) events.push([c, 0]);
  events.sort((x, y) => x[0] - y[0]);
  let share = 0;
  let at = t0;
  for (const [t, delta] of events) {
    if (t > at) {
      share += energyOf(at, t) / active;
      at = t;
    }
    active += delta;
  }
  if (t1 > at) share += energyOf(at, t1) / active;
  return share;
}

/** Pro-rata compute energy of each window from the samples (trapezoid over every sub-interval). */
export function shareEnergy<K>(
  samples: readonly PowerSample[],
  windows: readonly EnergyWindow<K>[],
): Map<K, number> {
  return shareOverWindows(
    windows,
    (a, b) => integratePower(samples, a, b),
    samples.map((s) => s.t),
  );
}

/** Pro-rata energy at a constant power: each window gets watts × Σ(piece duration / windows active). */
export function shareConstantPower<K>(watts: number, windows: readonly EnergyWindow<K>[]): Map<K, number> {
  return shareOverWindows(windows, (a, b) => (watts * (b - a)) / 1000);
}
