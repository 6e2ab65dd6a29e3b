// A small multinomial logistic regression (softmax, L2) in plain TypeScript, for the early-exit
// classifier of `cleave split --exit-at` (exit-classifier.ts), and the gate threshold rule. The fit
// is deterministic: standardised features, full-batch accelerated gradient descent with a step of
// 1/L from a power-iteration bound on the curvature, a fixed number of iterations.

export interface SoftmaxRegression {
  classes: number;
  dims: number;
  /** Weights on the raw (unstandardised) features, [classes × dims] row-major; float32 values. */
  weights: Float64Array;
  bias: Float64Array;
}

export interface FitOptions {
  /** L2 penalty on the weights (of standardised features); default 1e-3. */
  l2?: number;
  /** Gradient steps; default 300. */
  iterations?: number;
}

/** Logit of a class the labels never name: its weights are 0, so the exit never answers it. */
export const ABSENT_CLASS_LOGIT = -1e4;

const f32 = (v: number) => Math.fround(v);

/** Fits `rows` (each `dims` values) to `labels` in 0..classes−1. */
export function fitSoftmaxRegression(
  rows: readonly Float64Array[],
  labels: readonly number[],
  classes: number,
  options: FitOptions = {},
): SoftmaxRegression {
  const n = rows.length;
  if (n === 0 || labels.length !== n)
    throw new RangeError('fit needs rows and labels of the same, non-zero length');
  const dims = rows[0]!.length;
  const l2 = options.l2 ?? 1e-3;
  const iterations = options.iterations ?? 300;
  // Standardise: z = (x − mean) / std; a constant feature gets std 1 (z = 0).
  const mean = new Float64Array(dims);
  const std = new Float64Array(dims);
  for (const r of rows) for (let d = 0; d < dims; d++) mean[d]! += r[d]! / n;
  for (const r of rows) for (let d = 0; d < dims; d++) std[d]! += (r[d]! - mean[d]!) ** 2 / n;
  for (let d = 0; d < dims; d++) std[d] = std[d]! > 1e-12 ? Math.sqrt(std[d]!) : 1;
  const z = new Float64Array(n * dims);
  rows.forEach((r, i) => {
    for (let d = 0; d < dims; d++) z[i * dims + d] = (r[d]! - mean[d]!) / std[d]!;
  });
  // Only the classes the labels name are fitted.
  const present = [...new Set(labels)].sort((a, b) => a - b);
  const k = present.length;
  const slot = new Map(present.map((c, j) => [c, j]));
  const y = labels.map((c) => slot.get(c)!);
  // Step 1/L: the softmax loss's curvature is at most ½ · λmax([z 1]ᵀ[z 1] / n) ≤ ½ (λmax(zᵀz / n) + 1).
  const step = 1 / (0.5 * (topEigenvalue(z, n, dims) + 1) + l2);
  const size = k * (dims + 1); // per class: dims weights, then the bias
  let theta = new Float64Array(size);
  let previous = new Float64Array(size);
  const look = new Float64Array(size);
  const grad = new Float64Array(size);
  const p = new Float64Array(k);
  for (let t = 1; t <= iterations; t++) {
    const momentum = (t - 1) / (t + 2);
    for (let j = 0; j < size; j++) look[j] = theta[j]! + momentum * (theta[j]! - previous[j]!);
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const zi = z.subarray(i * dims, (i + 1) * dims);
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const w = c * (dims + 1);
        let s = look[w + dims]!;
        for (let d = 0; d < dims; d++) s += look[w + d]! * zi[d]!;
        p[c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < k; c++) {
        p[c] = Math.exp(p[c]! - max);
        sum += p[c]!;
      }
      for (let c = 0; c < k; c++) {
        const g = (p[c]! / sum - (y[i] === c ? 1 : 0)) / n;
        const w = c * (dims + 1);
        for (let d = 0; d < dims; d++) grad[w + d]! += g * zi[d]!;
        grad[w + dims]! += g;
      }
    }
    for (let c = 0; c < k; c++)
      for (let d = 0; d < dims; d++) grad[c * (dims + 1) + d]! += l2 * look[c * (dims + 1) + d]!;
    previous = theta;
    theta = new Float64Array(size);
    for (let j = 0; j < size; j++) theta[j] = look[j]! - step * grad[j]!;
  }
  // Fold the standardisation into raw-feature weights, rounded to float32 as the ONNX branch holds them.
  const weights = new Float64Array(classes * dims);
  const bias = new Float64Array(classes).fill(ABSENT_CLASS_LOGIT);
  present.forEach((cls, c) => {
    const w = c * (dims + 1);
    let b = theta[w + dims]!;
    for (let d = 0; d < dims; d++) {
      weights[cls * dims + d] = f32(theta[w + d]! / std[d]!);
      b -= (theta[w + d]! * mean[d]!) / std[d]!;
    }
    bias[cls] = f32(b);
  });
  return { classes, dims, weights, bias };
}

/** The largest eigenvalue of zᵀz / n (power iteration from the all-ones vector). */
function topEigenvalue(z: Float64Array, n: number, dims: number): number {
  let v = new Float64Array(dims).fill(1 / Math.sqrt(dims));
  let lambda = 0;
  const zv = new Float64Array(n);
  for (let it = 0; it < 50; it++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let d = 0; d < dims; d++) s += z[i * dims + d]! * v[d]!;
      zv[i] = s;
    }
    const next = new Float64Array(dims);
    for (let i = 0; i < n; i++) for (let d = 0; d < dims; d++) next[d]! += (z[i * dims + d]! * zv[i]!) / n;
    const norm = Math.hypot(...next);
    if (norm === 0) return 0;
    lambda = norm;
    v = next.map((x) => x / norm);
  }
  return lambda;
}

export function regressionLogits(model: SoftmaxRegression, row: ArrayLike<number>): Float64Array {
  const out = new Float64Array(model.classes);
  for (let c = 0; c < model.classes; c++) {
    let s = model.bias[c]!;
    for (let d = 0; d < model.dims; d++) s += model.weights[c * model.dims + d]! * row[d]!;
    out[c] = s;
  }
  return out;
}

export interface GateChoice {
  threshold: number;
  /** Share of the samples with score ≥ threshold. */
  coverage: number;
  /** Share of those whose answer agrees with the reference. */
  answeredAgreement: number;
}

/**
 * The threshold that answers the most samples while the answered ones agree with the reference on
 * at least `target` of them; undefined when not even the most confident sample does. The threshold
 * lies halfway between the last score answered and the next one down, so float rounding in the
 * runtime does not move a sample across it.
 */
export function chooseThreshold(
  scores: ArrayLike<number>,
  agrees: ArrayLike<boolean>,
  target: number,
): GateChoice | undefined {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let right = 0;
  let best: { k: number; right: number } | undefined;
  for (let k = 0; k < n; k++) {
    right += Number(agrees[order[k]!]);
    const next = order[k + 1];
    if (next !== undefined && scores[next] === scores[order[k]!]) continue;
    if (right / (k + 1) >= target) best = { k, right };
  }
  if (!best) return undefined;
  const last = scores[order[best.k]!]!;
  const below = order[best.k + 1];
  return {
    threshold: below === undefined ? last : (last + scores[below]!) / 2,
    coverage: (best.k + 1) / n,
    answeredAgreement: best.right / (best.k + 1),
  };
}
