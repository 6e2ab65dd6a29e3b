// Uniform affine quantisation of bottleneck features, per channel or per tensor.
// The formula is the contract with training (training/ must compute the same):
//   step_c = (max_c - min_c) / (2^bits - 1)
//   q      = clamp(floor((x - min_c) / step_c + 0.5), 0, 2^bits - 1)
//   x̂      = min_c + q * step_c
// Arithmetic is float64; dequantised values are stored as float32.
// A channel with max_c == min_c (e.g. a dead ReLU channel) has step 0: every code is 0 and
// dequantises to min_c.
import { assertBits } from './bit-pack.js';

export interface QuantSpec {
  /** Bits per code, 1..8. */
  bits: number;
  /** Shape of one sample, channel first: [C, H, W], [C], ... */
  shape: readonly number[];
  /** Lower range bound per channel (length C) or for the whole tensor (length 1). */
  min: readonly number[];
  /** Upper range bound, same length as min, each >= its min. */
  max: readonly number[];
}

/** A QuantSpec checked once and turned into the numbers the inner loops need. */
export interface ResolvedQuantSpec {
  readonly bits: number;
  readonly shape: readonly number[];
  readonly maxCode: number;
  /** Elements per sample: the product of shape. */
  readonly count: number;
  /** Elements per channel (count / C), or count for a per-tensor range. */
  readonly channelStride: number;
  readonly min: Float64Array;
  readonly step: Float64Array;
}

export function resolveQuantSpec(spec: QuantSpec): ResolvedQuantSpec {
  assertBits(spec.bits);
  if (spec.shape.length === 0) throw new RangeError('shape must have at least one dimension');
  let count = 1;
  for (const d of spec.shape) {
    if (!Number.isSafeInteger(d) || d < 1)
      throw new RangeError(`shape dims must be integers >= 1, got [${spec.shape}]`);
    count *= d;
  }
  if (!Number.isSafeInteger(count)) throw new RangeError(`shape [${spec.shape}] is too large`);
  const channels = spec.shape[0]!;
  const ranges = spec.min.length;
  if (ranges !== spec.max.length) {
    throw new RangeError(`min has ${spec.min.length} entries but max has ${spec.max.length}`);
  }
  if (ranges !== 1 && ranges !== channels) {
    throw new RangeError(`min/max need 1 (per tensor) or ${channels} (per channel) entries, got ${ranges}`);
  }
  const maxCode = 2 ** spec.bits - 1;
  const min = new Float64Array(ranges);
  const step = new Float64Array(ranges);
  for (let c = 0; c < ranges; c++) {
    const lo = spec.min[c]!;
    const hi = spec.max[c]!;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) {
      throw new RangeError(`range ${c} must be finite with min <= max, got [${lo}, ${hi}]`);
    }
    min[c] = lo;
    step[c] = (hi - lo) / maxCode;
  }
  const channelStride = ranges === 1 ? count : count / channels;
  return { bits: spec.bits, shape: [...spec.shape], maxCode, count, channelStride, min, step };
}

/** Beyond ±2^30 the int32 fast path of quantize would wrap; such values only clamp anyway. */
const CLAMP_FAST = 2 ** 30;

/**
 * Quantises one sample to codes in [0, 2^bits - 1], one code per element (not packed). Writes
 * into `out` (length = element count) when given.
 */
export function quantize(
  features: Float32Array,
  spec: QuantSpec | ResolvedQuantSpec,
  out?: Uint8Array,
): Uint8Array {
  const r = 'count' in spec ? spec : resolveQuantSpec(spec);
  if (features.length !== r.count) {
    throw new RangeError(`features hold ${features.length} values, shape [${r.shape}] needs ${r.count}`);
  }
  if (out !== undefined && out.length !== r.count) {
    throw new RangeError(`out holds ${out.length} codes, shape [${r.shape}] needs ${r.count}`);
  }
  const codes = out ?? new Uint8Array(r.count);
  const { maxCode, channelStride, count } = r;
  for (let c = 0, base = 0; base < count; c++, base += channelStride) {
    const lo = r.min[c]!;
    const step = r.step[c]!;
    const end = base + channelStride;
    if (step === 0) {
      codes.fill(0, base, end);
      continue;
    }
    for (let i = base; i < end; i++) {
      const v = (features[i]! - lo) / step + 0.5;
      if (v > -CLAMP_FAST && v < CLAMP_FAST) {
        // clamp(floor(v), 0, maxCode) without data-dependent branches (codes 0 and maxCode are
        // common, so branches mispredict): v | 0 truncates, which is floor for v >= 0, and every
        // v < 1 ends at 0 either way.
        let q = v | 0;
        q &= ~(q >> 31);
        const over = q - maxCode;
        codes[i] = maxCode + (over & (over >> 31));
      } else {
        // NaN → 0, +Infinity (and huge values) → maxCode, -Infinity → 0.
        codes[i] = v > 0 ? maxCode : 0;
      }
    }
  }
  return codes;
}

/**
 * Every code's dequantised value, per channel: [c * 2^bits + q] = min_c + q * step_c, as float32,
 * the very values dequantize writes (`channels` is the first dim; a per-tensor range serves them all).
 */
export function dequantizedLevels(spec: ResolvedQuantSpec, channels: number): Float32Array {
  const codes = spec.maxCode + 1;
  const levels = new Float32Array(channels * codes);
  for (let c = 0; c < channels; c++) {
    const r = spec.min.length === 1 ? 0 : c;
    for (let q = 0; q < codes; q++) levels[c * codes + q] = spec.min[r]! + q * spec.step[r]!;
  }
  return levels;
}

/** Maps codes back to features: x̂ = min_c + q * step_c. Writes into `out` when given. */
export function dequantize(
  codes: Uint8Array,
  spec: QuantSpec | ResolvedQuantSpec,
  out?: Float32Array,
): Float32Array {
  const r = 'count' in spec ? spec : resolveQuantSpec(spec);
  if (codes.length !== r.count) {
    throw new RangeError(`codes hold ${codes.length} values, shape [${r.shape}] needs ${r.count}`);
  }
  if (out !== undefined && out.length !== r.count) {
    throw new RangeError(`out holds ${out.length} values, shape [${r.shape}] needs ${r.count}`);
  }
  const features = out ?? new Float32Array(r.count);
  const { maxCode, channelStride } = r;
  for (let c = 0, base = 0; base < r.count; c++, base += channelStride) {
    const lo = r.min[c]!;
    const step = r.step[c]!;
    const end = base + channelStride;
    for (let i = base; i < end; i++) {
      const q = codes[i]!;
      if (q > maxCode) throw new RangeError(`code ${q} at index ${i} exceeds ${maxCode}`);
      features[i] = lo + q * step;
    }
  }
  return features;
}
