// Calibrating and measuring one cut on the calibration samples, through the real head, codec and
// tail in the worker pool: per-channel ranges, static entropy tables, then every sample encoded
// into a real feature frame, decoded and finished by the tail, against the full model.
import { type BottleneckCodec, createBottleneckCodec, FLOAT32_BITS } from '@cleave/codec';
import { stackBatch } from '@cleave/models';
import {
  CodeHistogram,
  RangeObserver,
  shannonBits,
  TABLE_PRECISION_BITS,
  ValueHistogram,
} from './feature-stats.js';
import type { ModelRunner } from './model-runner.js';

export interface CutIo {
  input: string;
  features: string;
  logits: string;
  inputDims: readonly number[];
  featureDims: readonly number[];
  classes: number;
}

export interface BottleneckCalibration {
  min: number[];
  max: number[];
  /** Absent at 32 bits (float32 frames are not entropy-coded). */
  entropy?: { model: 'static-frequency'; precisionBits: number; tables: number[][] };
}

export interface SplitMeasurement {
  samples: number;
  /** Share of samples whose split top-1 equals the full model's. */
  agreement: number;
  /** Per sample, in order: 1 where the split top-1 equals the full model's. */
  agrees: Uint8Array;
  /** Per sample, in order: the split's top-1. */
  labels: Int32Array;
  /** Per sample, in order: the full model's top-1. */
  fullLabels: Int32Array;
  /** Largest |split logit − full logit| over every sample and class. */
  maxLogitDiff: number;
  meanFrameBytes: number;
  /** Mean Shannon bound of the payload under the tables (the payload itself at 32 bits), bytes. */
  shannonBytes: number;
  /** Bytes of one sample's bit-packed codes (or float32 values). */
  packedBytes: number;
}

const BATCH = 16;
/** Head features are kept between passes while they take at most this much memory. */
const CACHE_BYTES = 256 * 2 ** 20;

function* batches(samples: readonly Float32Array[], dims: readonly number[]) {
  for (let i = 0; i < samples.length; i += BATCH) yield stackBatch(samples.slice(i, i + BATCH), [...dims]);
}

const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
  return best;
};

/** Runs the head over every sample in batches, once, or from a cache on later passes. */
export function headOutputs(runner: ModelRunner, io: CutIo, samples: readonly Float32Array[]) {
  const per = io.featureDims.reduce((a, b) => a * b, 1);
  const cache: Float32Array[] | undefined = samples.length * per * 4 <= CACHE_BYTES ? [] : undefined;
  let filled = false;
  return async function* (): AsyncGenerator<Float32Array> {
    if (filled && cache) {
      yield* cache;
      return;
    }
    for (const batch of batches(samples, io.inputDims)) {
      const out = await runner.run('head', { [io.input]: batch });
      const features = out[io.features];
      if (!features) throw new Error(`the head gave no "${io.features}" output`);
      cache?.push(features.data);
      yield features.data;
    }
    filled = true;
  };
}

/** Ranges and (below 32 bits) tables from the calibration samples. Needs the runner's `head`. */
export async function calibrateBottleneck(
  runner: ModelRunner,
  io: CutIo,
  samples: readonly Float32Array[],
  bits: number,
): Promise<{ calibration: BottleneckCalibration; features: () => AsyncGenerator<Float32Array> }> {
  const features = headOutputs(runner, io, samples);
  const ranges = new RangeObserver(io.featureDims);
  for await (const batch of features()) ranges.observe(batch);
  const seen = ranges.ranges();
  if (bits === FLOAT32_BITS) return { calibration: seen, features };
  const values = new ValueHistogram(io.featureDims, seen);
  for await (const batch of features()) values.observe(batch);
  const { min, max } = values.clipRanges(bits);
  const histogram = new CodeHistogram(io.featureDims, bits, { min, max });
  for await (const batch of features()) histogram.observe(batch);
  const tables = histogram.tables(TABLE_PRECISION_BITS);
  return {
    calibration: {
      min,
      max,
      entropy: { model: 'static-frequency', precisionBits: TABLE_PRECISION_BITS, tables },
    },
    features,
  };
}

export function codecFor(
  featureDims: readonly number[],
  bits: number,
  calibration: BottleneckCalibration,
  headSha256: string,
): BottleneckCodec {
  return createBottleneckCodec({
    modelName: 'split',
    modelVersion: '0',
    headSha256,
    bits,
    shape: featureDims,
    min: calibration.min,
    max: calibration.max,
    entropy: calibration.entropy,
  });
}

/**
 * Every sample through head → codec (a real frame) → tail, against `full` on the same sample.
 * Needs the runner's `tail` and `full`; `features` yields the head's outputs in sample order.
 */
export async function measureSplit(
  runner: ModelRunner,
  io: CutIo,
  samples: readonly Float32Array[],
  codec: BottleneckCodec,
  calibration: BottleneckCalibration,
  features: () => AsyncGenerator<Float32Array>,
): Promise<SplitMeasurement> {
  const per = codec.elementCount;
  const spec = calibration.entropy
    ? new CodeHistogram(io.featureDims, codec.bits, calibration).spec
    : undefined;
  const scratch = new Uint8Array(per);
  const inputs = batches(samples, io.inputDims);
  const agrees = new Uint8Array(samples.length);
  const labels = new Int32Array(samples.length);
  const fullLabels = new Int32Array(samples.length);
  let seen = 0;
  let maxLogitDiff = 0;
  let frameBytes = 0;
  let shannon = 0;
  for await (const batch of features()) {
    const n = batch.length / per;
    const decoded = new Float32Array(batch.length);
    for (let i = 0; i < n; i++) {
      const sample = batch.subarray(i * per, (i + 1) * per);
      const frame = codec.encode(sample);
      frameBytes += frame.byteLength;
      codec.decode(frame, decoded.subarray(i * per, (i + 1) * per));
      shannon +=
        spec && calibration.entropy
          ? shannonBits(
              sample,
              spec,
              calibration.entropy.tables,
              calibration.entropy.precisionBits,
              scratch,
            ) / 8
          : per * 4;
    }
    const tail = await runner.run('tail', { [io.features]: { data: decoded, dims: [n, ...io.featureDims] } });
    const input = inputs.next().value!;
    const full = await runner.run('full', { [io.input]: input });
    const split = tail[io.logits]!.data;
    const reference = full[io.logits]!.data;
    for (let i = 0; i < n; i++) {
      const a = split.subarray(i * io.classes, (i + 1) * io.classes);
      const b = reference.subarray(i * io.classes, (i + 1) * io.classes);
      labels[seen + i] = argmax(a);
      fullLabels[seen + i] = argmax(b);
      if (labels[seen + i] === fullLabels[seen + i]) agrees[seen + i] = 1;
      for (let k = 0; k < io.classes; k++) maxLogitDiff = Math.max(maxLogitDiff, Math.abs(a[k]! - b[k]!));
    }
    seen += n;
  }
  const count = samples.length;
  return {
    samples: count,
    agreement: agrees.reduce((a, b) => a + b, 0) / count,
    agrees,
    labels,
    fullLabels,
    maxLogitDiff,
    meanFrameBytes: frameBytes / count,
    shannonBytes: shannon / count,
    packedBytes: codec.bits === FLOAT32_BITS ? per * 4 : Math.ceil((per * codec.bits) / 8),
  };
}
