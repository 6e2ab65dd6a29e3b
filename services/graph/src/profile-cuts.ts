// `cleave profile` as a library (Neurosurgeon-style): every valid cut measured here — head and
// tail latency at batch 1 in the worker pool, and the bytes of real feature frames after the
// codec, calibrated per cut on the calibration samples — then, per device and link, the predicted
// end-to-end latency and device energy, and the cut that minimises either.
import { createHash } from 'node:crypto';
import { FLOAT32_BITS } from '@cleave/codec';
import { stackBatch } from '@cleave/models';
import { type CutModels, cutModel, probeModel } from './cut-graph.js';
import { type CutPoint, validCutPoints } from './cut-points.js';
import { CodeHistogram, RangeObserver, TABLE_PRECISION_BITS, ValueHistogram } from './feature-stats.js';
import { type GraphIndex, nodesNeeded } from './graph-index.js';
import { macNodes, sumMacs } from './macs.js';
import { openModels } from './model-runner.js';
import { encodeOnnxModel } from './onnx-proto.js';
import { probeShapes } from './shape-probe.js';
import { codecFor } from './split-calibration.js';
import { checkFeatureShape } from './split-errors.js';

/** ONNX bytes of cut heads and tails loaded into one worker at a time. */
const GROUP_BYTES = 128 * 2 ** 20;

export interface CutProfile {
  cut: CutPoint;
  featureDims: number[];
  /** Mean head time at batch 1 on this machine, ms. */
  headMs: number;
  /** Mean tail time at batch 1 on this machine, ms. */
  tailMs: number;
  /** Mean bytes of the real feature frames of the calibration samples. */
  frameBytes: number;
  headMacs: number;
  tailMacs: number;
  /** Why the features cannot travel in a frame at these bits, when they cannot. */
  unsendable?: string;
}

export interface ProfileOptions {
  bits?: number;
  /** Batch-1 runs timed per model (after 2 warm-ups). Default 10. */
  repeats?: number;
}

const BATCH = 8;

/** Per-cut frame sizes: ranges, tables, then every sample encoded, all cuts from one probe model. */
async function frameSizes(
  index: GraphIndex,
  inputDims: readonly number[],
  samples: readonly Float32Array[],
  cuts: readonly { cut: CutPoint; dims: number[] }[],
  bits: number,
): Promise<number[]> {
  const runner = await openModels({
    probe: probeModel(
      index,
      inputDims,
      cuts.map((c) => c.cut.tensor),
    ),
  });
  try {
    const pass = async (visit: (k: number, data: Float32Array) => void) => {
      for (let i = 0; i < samples.length; i += BATCH) {
        const out = await runner.run('probe', {
          [index.inputName]: stackBatch(samples.slice(i, i + BATCH), [...inputDims]),
        });
        for (const [k, c] of cuts.entries()) visit(k, out[c.cut.tensor]!.data);
      }
    };
    const ranges = cuts.map((c) => new RangeObserver(c.dims));
    await pass((k, data) => ranges[k]!.observe(data));
    let seen = ranges.map((r) => r.ranges());
    if (bits !== FLOAT32_BITS) {
      const values = cuts.map((c, k) => new ValueHistogram(c.dims, seen[k]!));
      await pass((k, data) => values[k]!.observe(data));
      seen = values.map((v) => v.clipRanges(bits));
    }
    const histograms =
      bits === FLOAT32_BITS ? undefined : cuts.map((c, k) => new CodeHistogram(c.dims, bits, seen[k]!));
    if (histograms) await pass((k, data) => histograms[k]!.observe(data));
    const codecs = cuts.map((c, k) =>
      codecFor(
        c.dims,
        bits,
        {
          ...seen[k]!,
          ...(histograms
            ? {
                entropy: {
                  model: 'static-frequency' as const,
                  precisionBits: TABLE_PRECISION_BITS,
                  tables: histograms[k]!.tables(),
                },
              }
            : {}),
        },
        '0'.repeat(64),
      ),
    );
    const bytes = cuts.map(() => 0);
    await pass((k, data) => {
      const per = codecs[k]!.elementCount;
      for (let at = 0; at < data.length; at += per)
        bytes[k]! += codecs[k]!.encode(data.subarray(at, at + per)).byteLength;
    });
    return bytes.map((b) => b / samples.length);
  } finally {
    await runner.close();
  }
}

/** Measures every valid cut of the model on `samples` (normalised inputs of `inputDims`). */
export async function profileCuts(
  index: GraphIndex,
  inputDims: readonly number[],
  samples: readonly Float32Array[],
  options: ProfileOptions = {},
): Promise<{ cuts: CutProfile[]; fullMs: number; fullMacs: number; classes: number }> {
  const bits = options.bits ?? 8;
  const repeats = options.repeats ?? 10;
  const cuts = validCutPoints(index);
  const counted = macNodes(index);
  const shapes = await probeShapes(index, inputDims, samples[0]!, [
    ...cuts.map((c) => c.tensor),
    ...counted.map((m) => m.output),
  ]);
  const logits = shapes.get(index.outputName)!;
  const profiles: CutProfile[] = cuts.map((cut) => {
    const featureDims = shapes.get(cut.tensor)!;
    let unsendable: string | undefined;
    try {
      checkFeatureShape(featureDims, bits, cut.tensor);
    } catch (error) {
      unsendable = (error as Error).message;
    }
    return {
      cut,
      featureDims,
      headMs: Number.NaN,
      tailMs: Number.NaN,
      frameBytes: Number.NaN,
      headMacs: sumMacs(index, nodesNeeded(index, [cut.tensor]), shapes),
      tailMacs: sumMacs(index, nodesNeeded(index, [index.outputName], new Set([cut.tensor])), shapes),
      ...(unsendable ? { unsendable } : {}),
    };
  });
  const sendable = profiles.filter((p) => !p.unsendable);
  const sizes = await frameSizes(
    index,
    inputDims,
    samples,
    sendable.map((p) => ({ cut: p.cut, dims: p.featureDims })),
    bits,
  );
  sendable.forEach((p, k) => {
    p.frameBytes = sizes[k]!;
  });

  const x = { [index.inputName]: { data: samples[0]!, dims: [1, ...inputDims] } };
  // The cuts' heads and tails are timed one at a time, in sessions that a group of cuts loads into
  // one worker (starting a worker costs more than timing a small cut), up to GROUP_BYTES of ONNX.
  let group: Array<{ p: CutProfile; models: CutModels; head: Uint8Array; tail: Uint8Array }> = [];
  let groupBytes = 0;
  const timeGroup = async () => {
    const runner = await openModels(
      Object.fromEntries(
        group.flatMap((g, k) => [
          [`head${k}`, g.head],
          [`tail${k}`, g.tail],
        ]),
      ),
    );
    try {
      for (const [k, { p, models }] of group.entries()) {
        p.headMs = await runner.time(`head${k}`, x, repeats);
        const features = (await runner.run(`head${k}`, x))[models.names.features]!;
        p.tailMs = await runner.time(`tail${k}`, { [models.names.features]: features }, repeats);
      }
    } finally {
      await runner.close();
    }
    group = [];
    groupBytes = 0;
  };
  for (const p of sendable) {
    const models = cutModel(index, p.cut.tensor, { input: inputDims, features: p.featureDims, logits });
    const head = encodeOnnxModel(models.head);
    const tail = encodeOnnxModel(models.tail);
    if (group.length > 0 && groupBytes + head.byteLength + tail.byteLength > GROUP_BYTES) await timeGroup();
    group.push({ p, models, head, tail });
    groupBytes += head.byteLength + tail.byteLength;
  }
  if (group.length > 0) await timeGroup();
  const full = await openModels({ full: probeModel(index, inputDims, []) });
  let fullMs: number;
  try {
    fullMs = await full.time('full', x, repeats);
  } finally {
    await full.close();
  }
  const fullMacs = sumMacs(index, nodesNeeded(index, [index.outputName]), shapes);
  return { cuts: profiles, fullMs, fullMacs, classes: logits[0] ?? 0 };
}

export interface DeviceModel {
  name: string;
  /** How many times slower the device runs a model than this machine (a stated estimate). */
  speedFactor: number;
  /** Power while one inference runs on the device, W. */
  busyWatts: number;
}

export interface LinkModel {
  name: string;
  uplinkMbps: number;
  downlinkMbps: number;
  rttMs: number;
  /** Radio energy of one transfer of this many bytes up and down, mJ. */
  radioMj(bytesUp: number, bytesDown: number): number;
}

export interface CutPrediction {
  profile: CutProfile;
  deviceHeadMs: number;
  wireBytes: number;
  transferMs: number;
  latencyMs: number;
  computeMj: number;
  radioMj: number;
  energyMj: number;
}

export type Objective = 'latency' | 'energy';

/**
 * Predicted end-to-end latency (device head + uplink + RTT + downlink + tail here) and device
 * energy (head compute + radio) of each sendable cut. `wireBytes` maps frame bytes to the
 * serialized request; `responseBytes` is the answer's size.
 */
export function predictCuts(
  profiles: readonly CutProfile[],
  device: DeviceModel,
  link: LinkModel,
  wireBytes: (frameBytes: number) => number,
  responseBytes: number,
): CutPrediction[] {
  return profiles
    .filter((p) => !p.unsendable && Number.isFinite(p.frameBytes))
    .map((p) => {
      const deviceHeadMs = p.headMs * device.speedFactor;
      const wire = wireBytes(Math.round(p.frameBytes));
      const transferMs =
        (wire * 8) / (link.uplinkMbps * 1e3) + (responseBytes * 8) / (link.downlinkMbps * 1e3);
      const computeMj = deviceHeadMs * device.busyWatts;
      const radioMj = link.radioMj(wire, responseBytes);
      return {
        profile: p,
        deviceHeadMs,
        wireBytes: wire,
        transferMs,
        latencyMs: deviceHeadMs + transferMs + link.rttMs + p.tailMs,
        computeMj,
        radioMj,
        energyMj: computeMj + radioMj,
      };
    });
}

/** The prediction that minimises the objective (ties: the earlier cut). */
export function recommendCut(predictions: readonly CutPrediction[], objective: Objective): CutPrediction {
  const key = (p: CutPrediction) => (objective === 'latency' ? p.latencyMs : p.energyMj);
  if (predictions.length === 0) throw new Error('no cut can send its features in a frame');
  return predictions.reduce((best, p) => (key(p) < key(best) ? p : best));
}

/** A stable id for a profile run, for reports: the model bytes' sha256 prefix. */
export const modelId = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);
