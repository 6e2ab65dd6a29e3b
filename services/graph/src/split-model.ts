// `cleave split` as a library: cut an ONNX classifier at a valid cut point, calibrate the
// bottleneck on sample inputs, measure the split against the full model, and write a bundle
// that loadBundle, the agent and `cleave serve` take as it is.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { FLOAT32_BITS } from '@cleave/codec';
import type { Bundle, Manifest } from '@cleave/models';
import { tensorSpec, writeBundle } from './bundle-writer.js';
import type { CalibrationSet, Normalization } from './calibration-input.js';
import type { HeadBranch } from './cut-graph.js';
import type { CutPoint } from './cut-points.js';
import { TABLE_PRECISION_BITS } from './feature-stats.js';
import { openModels } from './model-runner.js';
import { manifestInput, prepareCut } from './prepare-cut.js';
import {
  type BottleneckCalibration,
  calibrateBottleneck,
  codecFor,
  measureSplit,
  type SplitMeasurement,
} from './split-calibration.js';
import { SplitError } from './split-errors.js';

export { checkFeatureShape, resolveCut, SplitError } from './split-errors.js';

/** What `cleave split` is given: a model, where to cut it, sample inputs and the bundle to write. */
export interface CutBundleOptions {
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
  /** Class names; default class_0 … class_{K−1}. */
  labels?: readonly string[];
}

export interface SplitOptions extends CutBundleOptions {
  description?: string;
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

export async function splitModel(options: SplitOptions): Promise<SplitResult> {
  const bits = options.bits ?? 8;
  if (!(bits === FLOAT32_BITS || (Number.isInteger(bits) && bits >= 1 && bits <= 8))) {
    throw new SplitError(`bits must be 1..8 or 32 (lossless float32), got ${bits}`);
  }
  const samples = options.calib.samples;
  const prepared = await prepareCut({
    model: options.model,
    at: options.at,
    sample: samples[0],
    inputDims: options.inputDims,
    labels: options.labels,
    bits,
    branch: options.exit?.branch,
  });
  const { cut, cuts, io, labels, bytes, macs } = prepared;
  const { inputDims, classes } = io;
  const featureDims = [...io.featureDims];

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
    input: manifestInput(io, options.normalization),
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
