// Calibrating a bottleneck from sample features: per-channel ranges, then per-channel static
// frequency tables of the codes, exactly as the training recipe builds them
// (training/cleave_train/quant.py: counts + 0.5, scaled to 2^precision, every symbol ≥ 1).
import { quantize, type ResolvedQuantSpec, resolveQuantSpec } from '@cleave/codec';

/** The codec's precision for static tables, as the shipped bundles use. */
export const TABLE_PRECISION_BITS = 12;

/** Running per-channel minimum and maximum (channel = first dim of one sample). */
export class RangeObserver {
  readonly #stride: number;
  readonly #min: Float64Array;
  readonly #max: Float64Array;
  #samples = 0;
  readonly shape: readonly number[];

  constructor(shape: readonly number[]) {
    this.shape = shape;
    const channels = shape[0]!;
    this.#stride = shape.reduce((a, b) => a * b, 1) / channels;
    this.#min = new Float64Array(channels).fill(Number.POSITIVE_INFINITY);
    this.#max = new Float64Array(channels).fill(Number.NEGATIVE_INFINITY);
  }

  /** `batch` holds whole samples back to back. */
  observe(batch: Float32Array): void {
    const channels = this.#min.length;
    const per = channels * this.#stride;
    for (let base = 0; base < batch.length; base += per) {
      for (let c = 0; c < channels; c++) {
        let lo = this.#min[c]!;
        let hi = this.#max[c]!;
        const from = base + c * this.#stride;
        for (let i = from; i < from + this.#stride; i++) {
          const v = batch[i]!;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        this.#min[c] = lo;
        this.#max[c] = hi;
      }
      this.#samples++;
    }
  }

  get samples(): number {
    return this.#samples;
  }

  /** Per-channel [min, max]; a constant channel gets a tiny width, since the manifest needs min < max. */
  ranges(): { min: number[]; max: number[] } {
    if (this.#samples === 0) throw new Error('no features observed');
    const min = Array.from(this.#min);
    const max = Array.from(this.#max, (hi, c) => {
      const lo = min[c]!;
      return hi > lo ? hi : lo + Math.max(1e-6, Math.abs(lo) * 1e-6);
    });
    return { min, max };
  }
}

/** Per-channel frequencies (every symbol ≥ 1) summing to 2^precisionBits (quant.py frequency_tables). */
export function frequencyTable(counts: ArrayLike<number>, precisionBits = TABLE_PRECISION_BITS): number[] {
  const total = 2 ** precisionBits;
  const smoothed = Array.from(counts, (c) => c + 0.5);
  const sum = smoothed.reduce((a, b) => a + b, 0);
  const freq = smoothed.map((c) => Math.max(1, Math.floor((c / sum) * total)));
  let have = freq.reduce((a, b) => a + b, 0);
  while (have !== total) {
    if (have > total) {
      let i = 0;
      for (let k = 1; k < freq.length; k++) if (freq[k]! > freq[i]!) i = k;
      if (freq[i]! <= 1) throw new Error(`${freq.length} symbols cannot fit ${total} slots`);
      freq[i]!--;
      have--;
    } else {
      // The symbol most under-served by its frequency.
      let i = 0;
      let best = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < freq.length; k++) {
        const gap = smoothed[k]! - (freq[k]! / total) * sum;
        if (gap > best) {
          best = gap;
          i = k;
        }
      }
      freq[i]!++;
      have++;
    }
  }
  return freq;
}

/** Code histograms per channel under fixed ranges, for the entropy tables and the Shannon bound. */
export class CodeHistogram {
  readonly spec: ResolvedQuantSpec;
  readonly #counts: Float64Array[];
  readonly #codes: Uint8Array;

  constructor(shape: readonly number[], bits: number, ranges: { min: number[]; max: number[] }) {
    this.spec = resolveQuantSpec({ bits, shape, min: ranges.min, max: ranges.max });
    this.#counts = Array.from({ length: shape[0]! }, () => new Float64Array(2 ** bits));
    this.#codes = new Uint8Array(this.spec.count);
  }

  /** Counts the codes of every sample in `batch`. */
  observe(batch: Float32Array): void {
    const { count } = this.spec;
    const stride = count / this.#counts.length;
    for (let base = 0; base < batch.length; base += count) {
      const codes = quantize(batch.subarray(base, base + count), this.spec, this.#codes);
      for (let i = 0; i < count; i++) this.#counts[Math.floor(i / stride)]![codes[i]!]!++;
    }
  }

  tables(precisionBits = TABLE_PRECISION_BITS): number[][] {
    return this.#counts.map((c) => frequencyTable(c, precisionBits));
  }
}

/** Information content of one sample's codes under the tables, in bits (the Shannon bound). */
export function shannonBits(
  features: Float32Array,
  spec: ResolvedQuantSpec,
  tables: readonly (readonly number[])[],
  precisionBits = TABLE_PRECISION_BITS,
  scratch?: Uint8Array,
): number {
  const codes = quantize(features, spec, scratch);
  const stride = spec.count / tables.length;
  let bits = 0;
  for (let i = 0; i < codes.length; i++) {
    bits -= Math.log2(tables[Math.floor(i / stride)]![codes[i]!]! / 2 ** precisionBits);
  }
  return bits;
}

/** Fine per-channel histograms over the min/max ranges, to choose clipping ranges (clipRanges). */
export class ValueHistogram {
  static readonly BINS = 1024;
  readonly #ranges: { min: number[]; max: number[] };
  readonly #counts: Float64Array[];
  readonly #stride: number;

  constructor(shape: readonly number[], ranges: { min: number[]; max: number[] }) {
    const channels = shape[0]!;
    this.#stride = shape.reduce((a, b) => a * b, 1) / channels;
    this.#ranges = ranges;
    this.#counts = Array.from({ length: channels }, () => new Float64Array(ValueHistogram.BINS));
  }

  observe(batch: Float32Array): void {
    const channels = this.#counts.length;
    const bins = ValueHistogram.BINS;
    for (let base = 0; base < batch.length; base += channels * this.#stride) {
      for (let c = 0; c < channels; c++) {
        const lo = this.#ranges.min[c]!;
        const scale = bins / (this.#ranges.max[c]! - lo);
        const counts = this.#counts[c]!;
        const from = base + c * this.#stride;
        for (let i = from; i < from + this.#stride; i++) {
          const b = Math.floor((batch[i]! - lo) * scale);
          counts[b < 0 ? 0 : b >= bins ? bins - 1 : b]!++;
        }
      }
    }
  }

  /**
   * Per-channel ranges that minimise the expected squared error of `bits`-bit quantisation on the
   * observed values: rounding error step²/12 inside, (x − bound)² for what is clipped. Bounds are
   * tried at histogram edges near the tails (at most 1/16 of the values clipped on each side);
   * the full min/max range is always a candidate, so this never does worse than it on these values.
   */
  clipRanges(bits: number): { min: number[]; max: number[] } {
    const bins = ValueHistogram.BINS;
    const levels = 2 ** bits - 1;
    const min: number[] = [];
    const max: number[] = [];
    this.#counts.forEach((counts, c) => {
      const lo0 = this.#ranges.min[c]!;
      const width = (this.#ranges.max[c]! - lo0) / bins;
      const total = counts.reduce((a, b) => a + b, 0);
      const edgeAt = (fraction: number, fromTop: boolean) => {
        let acc = 0;
        for (let k = 0; k < bins; k++) {
          const b = fromTop ? bins - 1 - k : k;
          acc += counts[b]!;
          if (acc > fraction * total) return fromTop ? b + 1 : b;
        }
        return fromTop ? bins : 0;
      };
      const fractions = [0, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1 / 16];
      const lows = [...new Set(fractions.map((f) => edgeAt(f, false)))];
      const highs = [...new Set(fractions.map((f) => edgeAt(f, true)))];
      let best = { err: Number.POSITIVE_INFINITY, lo: 0, hi: bins };
      for (const lo of lows) {
        for (const hi of highs) {
          if (hi <= lo) continue;
          const step = ((hi - lo) * width) / levels;
          let err = 0;
          for (let b = 0; b < bins; b++) {
            const n = counts[b]!;
            if (n === 0) continue;
            const centre = b + 0.5;
            const d = centre < lo ? (lo - centre) * width : centre > hi ? (centre - hi) * width : 0;
            err += n * (d > 0 ? d * d : (step * step) / 12);
          }
          if (err < best.err) best = { err, lo, hi };
        }
      }
      min.push(lo0 + best.lo * width);
      max.push(lo0 + best.hi * width);
    });
    return { min, max };
  }
}
