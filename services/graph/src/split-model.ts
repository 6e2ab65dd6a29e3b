// `cleave split` as a library: cut an ONNX classifier at a valid cut point, calibrate the
// bottleneck on sample inputs, measure the split against the full model, and write a bundle
// that loadBundle, the agent and `cleave serve` take as it is.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { checkFloat32Count, FLOAT32_BITS, MAX_DIM, MAX_ELEMENTS, MAX_RANK } from '@cleave/codec';
import type { Bundle, Manifest } from '@cleave/models';
import { tensorSpec, writeBundle } from './bundle-writer.js';
import type { CalibrationSet, Normalization } from './calibration-input.js';
import { cutModel, fullModel, type HeadBranch } from './cut-graph.js';
import { type CutPoint, explainInvalidCut, validCutPoints } from './cut-points.js';
import { TABLE_PRECISION_BITS } from './feature-stats.js';
import { type GraphIndex, indexGraph, nodesNeeded } from './graph-index.js';
import { macNodes, sumMacs } from './macs.js';
import { openModels } from './model-runner.js';
import { decodeOnnxModel, encodeOnnxModel } from './onnx-proto.js';
import { modelInputDims, probeShapes } from './shape-probe.js';
import {
  type BottleneckCalibration,
  type CutIo,
  calibrateBottleneck,
  codecFor,
  measureSplit,
  type SplitMeasurement,
} from './split-calibration.js';

/** A cut that cannot be made, or options that cannot work; the message says what to do. */
export class SplitError extends Error {
  override readonly name = 'SplitError';
}

export interface SplitOptions {
  /** The ONNX model's bytes. */
  model: Uint8Array;
  /** Where the model came from, for the manifest. */
  modelPath?: string;
  /** The tensor to cut at; must be a valid cut point (validCutPoints). */
  at: string;
  calib: CalibrationSet;
  /** One sample's input dims [C, H, W]; default: from the model's input. */
  inputDims?: readonly number[];
  normalization: Normalization;
  /** The bundle folder to write; its base name is the bundle name unless `name` is given. */
  out: string;
  name?: string;
  version?: string;
  description?: string;
  /** Class names; default class_0 … class_{K−1}. */
  labels?: readonly string[];
  /** 1..8 bits per quantised feature (default 8), or 32 for lossless float32 frames. */
  bits?: number;
  /** An exit branch to append to the head (exit-classifier.ts fitExit), with its gate. */
  exit?: ExitBranch;
}

export interface ExitBranch {
  branch: HeadBranch;
  gate: Manifest['gates']['exit'];
  /** Top-1 agreement of the exit with the full model on the held-out samples, answering all. */
  accuracy: number;
  /** Share of the held-out samples the default gate answers. */
  coverage: number;
  /** Where the exit reads, the agreement target, and how many samples it was fitted to. */
  tensor?: string;
  target?: number;
  fitSamples?: number;
  /** Agreement on the held-out samples the gate answers. */
  answeredAgreement?: number;
  /** The held-out calibration samples (by index): whether the gate answers, whether the exit agrees. */
  heldOut?: readonly { sample: number; answered: boolean; agrees: boolean }[];
}

export interface SplitResult {
  bundle: Bundle;
  cut: CutPoint;
  cuts: CutPoint[];
  calibration: BottleneckCalibration;
  measurement: SplitMeasurement;
  featureDims: number[];
  macs: { head: number; tail: number; full: number };
}

/** Parses the model and checks the cut: the valid cut or a SplitError naming the nearest valid ones. */
export function resolveCut(index: GraphIndex, at: string): { cut: CutPoint; cuts: CutPoint[] } {
  const cuts = validCutPoints(index);
  if (cuts.length === 0)
    throw new SplitError('this graph has no valid cut point between its input and output');
  const why = explainInvalidCut(index, at, cuts);
  if (why !== undefined) throw new SplitError(why);
  return { cut: cuts.find((c) => c.tensor === at)!, cuts };
}

/** Checks that the features fit a feature frame at these bits. */
export function checkFeatureShape(dims: readonly number[], bits: number, at: string): void {
  const count = dims.reduce((a, b) => a * b, 1);
  const why =
    dims.length < 1 || dims.length > MAX_RANK
      ? `a frame carries 1..${MAX_RANK} dims`
      : dims.some((d) => d > MAX_DIM)
        ? `a frame's dims are at most ${MAX_DIM}`
        : count > MAX_ELEMENTS
          ? `a frame carries at most ${MAX_ELEMENTS} values`
          : undefined;
  if (why)
    throw new SplitError(`cannot send "${at}" of shape [${dims.join(', ')}] in a feature frame: ${why}`);
  if (bits === FLOAT32_BITS) {
    try {
      checkFloat32Count(count);
    } catch (error) {
      throw new SplitError(
        `cannot send "${at}" as float32: ${(error as Error).message}; cut later or use --bits 8`,
      );
    }
  }
}

export async function splitModel(options: SplitOptions): Promise<SplitResult> {
  const bits = options.bits ?? 8;
  if (!(bits === FLOAT32_BITS || (Number.isInteger(bits) && bits >= 1 && bits <= 8))) {
    throw new SplitError(`bits must be 1..8 or 32 (lossless float32), got ${bits}`);
  }
  const index = indexGraph(decodeOnnxModel(options.model));
  const { cut, cuts } = resolveCut(index, options.at);
  const inputDims = modelInputDims(index, options.inputDims);
  if (inputDims.length !== 3 || inputDims[0]! > 4) {
    throw new SplitError(
      `expected an image classifier with input [C, H, W] (C ≤ 4), got [${inputDims.join(', ')}]`,
    );
  }
  const samples = options.calib.samples;
  if (samples.length === 0) throw new SplitError('the calibration set is empty');

  const counted = macNodes(index);
  const shapes = await probeShapes(index, inputDims, samples[0]!, [
    cut.tensor,
    ...counted.map((m) => m.output),
  ]);
  const featureDims = shapes.get(cut.tensor)!;
  const logitsDims = shapes.get(index.outputName)!;
  if (logitsDims.length !== 1)
    throw new SplitError(`expected logits [batch, K], the output has [batch, ${logitsDims.join(', ')}]`);
  checkFeatureShape(featureDims, bits, cut.tensor);
  const classes = logitsDims[0]!;
  const labels = options.labels
    ? [...options.labels]
    : Array.from({ length: classes }, (_, k) => `class_${k}`);
  if (labels.length !== classes) throw new SplitError(`${labels.length} labels for ${classes} classes`);

  const cutShapes = { input: inputDims, features: featureDims, logits: logitsDims };
  const models = cutModel(index, cut.tensor, cutShapes, options.exit?.branch);
  const bytes = {
    head: encodeOnnxModel(models.head),
    tail: encodeOnnxModel(models.tail),
    full: encodeOnnxModel(fullModel(index, cutShapes)),
  };
  const headIds = nodesNeeded(index, [cut.tensor]);
  const tailIds = nodesNeeded(index, [index.outputName], new Set([cut.tensor]));
  const macs = {
    head: sumMacs(index, headIds, shapes),
    tail: sumMacs(index, tailIds, shapes),
    full: sumMacs(index, nodesNeeded(index, [index.outputName]), shapes),
  };
  const io: CutIo = { ...models.names, inputDims, featureDims, classes };

  const runner = await openModels(bytes);
  let calibration: BottleneckCalibration;
  let measurement: SplitMeasurement;
  try {
    const calibrated = await calibrateBottleneck(runner, io, samples, bits).catch((error: unknown) => {
      throw batchHint(error);
    });
    calibration = calibrated.calibration;
    const headSha = createHash('sha256').update(bytes.head).digest('hex');
    const codec = codecFor(featureDims, bits, calibration, headSha);
    measurement = await measureSplit(runner, io, samples, codec, calibration, calibrated.features);
  } finally {
    await runner.close();
  }

  const name = options.name ?? basename(options.out);
  const exit = options.exit;
  // Exit answers where its gate does, the split elsewhere, on the held-out samples.
  const held = exit?.heldOut;
  const cascade =
    held && held.length > 0
      ? held.filter((h) => (h.answered ? h.agrees : measurement.agrees[h.sample] === 1)).length / held.length
      : measurement.agreement;
  const source = options.modelPath ? basename(options.modelPath) : 'model.onnx';
  const manifest: Omit<Manifest, 'files'> = {
    schemaVersion: 1,
    name,
    version: options.version ?? '1.0.0',
    description:
      options.description ??
      `${source} cut by cleave split at ${cut.tensor} (${cut.op}), features [${featureDims.join(', ')}] at ${bits} bits`,
    task: 'image-classification',
    labels,
    input: {
      name: io.input,
      shape: inputDims,
      dtype: 'float32',
      layout: 'NCHW',
      source: { width: inputDims[2]!, height: inputDims[1]!, channels: inputDims[0]! },
      normalization: {
        scale: options.normalization.scale,
        mean: [...options.normalization.mean],
        std: [...options.normalization.std],
      },
    },
    bottleneck: {
      tensor: io.features,
      shape: featureDims,
      bits,
      quantization: {
        scheme: 'uniform-affine',
        granularity: 'per-channel',
        min: calibration.min,
        max: calibration.max,
      },
      ...(calibration.entropy ? { entropy: calibration.entropy } : {}),
    },
    gates: { exit: exit?.gate ?? { default: 'max-softmax', thresholds: {} } },
    calibration: {
      split: 'calibration',
      samples: samples.length,
      method:
        bits === FLOAT32_BITS
          ? 'cleave split: float32 features (lossless); ranges are the per-channel min/max seen'
          : `cleave split: per-channel min/max ranges and ${bits}-bit static frequency tables (precision ${TABLE_PRECISION_BITS}) over the calibration set`,
      source: options.calib.description,
      cut: cut.tensor,
      model: source,
      ...(exit?.tensor ? { exitAt: exit.tensor } : {}),
      ...(exit?.target !== undefined ? { exitAgreementTarget: exit.target } : {}),
      ...(exit?.fitSamples !== undefined ? { exitFitSamples: exit.fitSamples } : {}),
      ...(held ? { exitHeldOutSamples: held.length } : {}),
    },
    metrics: {
      evaluatedOn: `calibration set (${options.calib.description}); accuracy = top-1 agreement with full.onnx, no labels${
        held
          ? `; exit, exitCoverage and cascade on the ${held.length} held-out samples (every 4th) the exit was not fitted to but whose gate thresholds were chosen on them`
          : ''
      }`,
      teacherAccuracy: 1,
      accuracy: {
        full: 1,
        split: measurement.agreement,
        cascade,
        ...(exit ? { exit: exit.accuracy, 'exit-cascade': cascade } : {}),
      },
      exitCoverage: exit?.coverage ?? 0,
      ...(exit?.answeredAgreement !== undefined ? { exitAnsweredAccuracy: exit.answeredAgreement } : {}),
      meanFrameBytes: measurement.meanFrameBytes,
      shannonBytes: measurement.shannonBytes,
      packedBytes: measurement.packedBytes,
      headMacs: macs.head,
      teacherMacs: macs.full,
      tailMacs: macs.tail,
      maxLogitDiff: measurement.maxLogitDiff,
    },
  };
  const outputs = [
    tensorSpec(io.features, featureDims),
    ...(exit ? [tensorSpec('exit_logits', [classes])] : []),
  ];
  const bundle = await writeBundle(options.out, manifest, [
    { role: 'head', bytes: bytes.head, macs: macs.head, inputs: [tensorSpec(io.input, inputDims)], outputs },
    {
      role: 'tail',
      bytes: bytes.tail,
      macs: macs.tail,
      inputs: [tensorSpec(io.features, featureDims)],
      outputs: [tensorSpec(io.logits, [classes])],
    },
    {
      role: 'full',
      bytes: bytes.full,
      macs: macs.full,
      inputs: [tensorSpec(io.input, inputDims)],
      outputs: [tensorSpec(io.logits, [classes])],
    },
  ]);
  return { bundle, cut, cuts, calibration, measurement, featureDims, macs };
}

/** ONNX Runtime's error for a model exported with a fixed batch of 1, with what to do about it. */
function batchHint(error: unknown): Error {
  const message = (error as Error).message ?? String(error);
  if (/dimension|shape|Reshape/i.test(message)) {
    return new SplitError(
      `${message}\n(the model failed on a batch of several inputs: export it with a dynamic batch dimension, e.g. torch.onnx.export(..., dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}))`,
    );
  }
  return error as Error;
}
