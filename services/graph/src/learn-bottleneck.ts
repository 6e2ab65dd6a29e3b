// `cleave split --learn` as a library: cut the user's ONNX classifier (prepareCut), train a
// label-free learned bottleneck for the cut in PyTorch (learn-trainer.ts runs
// training/learn_bottleneck.py), then measure the learned split here through the real codec and
// ONNX Runtime on the inputs the trainer held out, and write an ordinary bundle.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Bundle, Manifest } from '@cleave/models';
import { tensorSpec, writeBundle } from './bundle-writer.js';
import type { CutPoint } from './cut-points.js';
import {
  checkLabelledClasses,
  type LabelledAccuracy,
  type LabelledSet,
  labelledAccuracy,
} from './labelled-set.js';
import {
  checkTrainer,
  LearnError,
  LearnInterrupted,
  runTrainer,
  type TrainerCommand,
  type TrainerEvent,
  writeNpy,
} from './learn-trainer.js';
import { type BottleneckPlan, defaultBottleneck } from './learned-estimate.js';
import { openModels } from './model-runner.js';
import { manifestInput, prepareCut } from './prepare-cut.js';
import {
  type BottleneckCalibration,
  codecFor,
  headOutputs,
  measureSplit,
  type SplitMeasurement,
} from './split-calibration.js';
import type { CutBundleOptions } from './split-model.js';

/** Training needs this many inputs: nine in ten train, one in ten is held out for tables and agreement. */
export const MIN_LEARN_INPUTS = 200;

/** `calib` holds the unlabelled training inputs. */
export interface LearnOptions extends CutBundleOptions {
  /** Bottleneck channels, bits per code and spatial down-sampling; default from the cut. */
  channels?: number;
  bits?: number;
  stride?: number;
  /** Search channels and bits for the most accurate bottleneck of at most this mean payload. */
  targetBytes?: number;
  /** Stage-2 epochs (stage 1 gets half); default from the number of inputs. */
  epochs?: number;
  /** Weight of the rate term (bytes) in the stage-2 loss; 0 (default) leaves it out. */
  rateWeight?: number;
  /** Stage 2 also fine-tunes the tail's weights, distilled from the full model's logits (no labels). */
  tuneTail?: boolean;
  /** Stage 2's loss against the full model's logits: 'mse' on the logits (default) or 'kl' (T = 2, + top-1 CE). */
  distill?: 'mse' | 'kl';
  /** The trainer's seed for PyTorch and NumPy (default 0). */
  seed?: number;
  quick?: boolean;
  device?: 'cpu' | 'cuda';
  resume?: boolean;
  trainer: TrainerCommand;
  /** Where the trainer keeps its inputs and checkpoint; default `${out}.learn`. */
  workDir?: string;
  onEvent?: (event: TrainerEvent) => void;
  signal?: AbortSignal;
  /** Labelled inputs (--labels-from), measured once the bundle is made: accuracy beside agreement. */
  labelled?: LabelledSet;
}

/** training/learn_bottleneck.py's result.json. */
export interface TrainerResult {
  codeDims: number[];
  bits: number;
  tensor: string;
  min: number[];
  max: number[];
  entropy: { model: 'static-frequency'; precisionBits: number; tables: number[][] };
  shape: { channels: number; stride: number; features: number[] };
  inputs: number;
  train: number;
  heldOut: number[];
  labels: number[];
  fullLabels: number[];
  agreement: number;
  estimatedPayloadBytes: number;
  epochs: { stage1: number; stage2: number };
  macs: { encoder: number; decoder: number };
  seconds: { features: number; train: number; total: number; search?: number };
  search: {
    probes: { channels: number; bits: number; agreement: number; estimatedPayloadBytes: number }[];
  } | null;
  device: string;
  quick: boolean;
  rateWeight: number;
  tuneTail: boolean;
  distill: 'mse' | 'kl';
  seed: number;
}

export interface LearnResult {
  bundle: Bundle;
  cut: CutPoint;
  featureDims: number[];
  trainer: TrainerResult;
  /** The learned split measured here (real frames) on the held-out inputs. */
  measurement: SplitMeasurement;
  /** Share of held-out inputs where this measurement's top-1 equals the trainer's own evaluation. */
  trainerMatch: number;
  /** With `labelled`: the full model's and the learned split's accuracy on those inputs. */
  labelled?: LabelledAccuracy;
  seconds: number;
}

function checkOptions(o: LearnOptions): void {
  const int = (v: number | undefined, lo: number, hi: number, flag: string) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= lo && v <= hi))
      throw new LearnError(`${flag}: expected an integer ${lo}..${hi}, got ${v}`);
  };
  int(o.bits, 1, 8, '--bits');
  int(o.channels, 1, 4096, '--channels');
  int(o.stride, 1, 16, '--stride');
  int(o.epochs, 1, 1000, '--epochs');
  int(o.seed, 0, 2 ** 31 - 1, '--seed');
  if (o.targetBytes !== undefined && !(o.targetBytes > 4))
    throw new LearnError(
      `--target-bytes: expected more than 4 bytes (rANS's own state), got ${o.targetBytes}`,
    );
  if (o.rateWeight !== undefined && !(o.rateWeight >= 0))
    throw new LearnError(`--rate-weight: expected a number ≥ 0, got ${o.rateWeight}`);
  const n = o.calib.samples.length;
  if (n < MIN_LEARN_INPUTS)
    throw new LearnError(
      `--learn needs at least ${MIN_LEARN_INPUTS} inputs (nine in ten train the bottleneck, one in ten is held out to measure it); ${o.calib.description} has ${n}: add inputs to --calib, or use cleave split without --learn`,
    );
}

function trainerArgs(o: LearnOptions, work: string, plan: BottleneckPlan): string[] {
  const args = ['--work', work, '--device', o.device ?? 'cpu', '--min-inputs', String(MIN_LEARN_INPUTS)];
  const add = (flag: string, v: number | undefined) => {
    if (v !== undefined) args.push(flag, String(v));
  };
  // With --target-bytes the trainer searches channels and bits (unless given); else the plan's.
  const search = o.targetBytes !== undefined;
  add('--channels', search ? o.channels : plan.channels);
  add('--bits', search ? o.bits : plan.bits);
  add('--stride', plan.stride);
  add('--target-bytes', o.targetBytes);
  add('--epochs', o.epochs);
  add('--rate-weight', o.rateWeight);
  add('--seed', o.seed);
  if (o.tuneTail) args.push('--tune-tail');
  if (o.distill) args.push('--distill', o.distill);
  if (o.quick) args.push('--quick');
  if (o.resume) args.push('--resume');
  return args;
}

export async function learnBottleneck(options: LearnOptions): Promise<LearnResult> {
  const started = performance.now();
  checkOptions(options);
  checkTrainer(options.trainer);
  const samples = options.calib.samples;
  const prepared = await prepareCut({
    model: options.model,
    at: options.at,
    sample: samples[0],
    inputDims: options.inputDims,
    labels: options.labels,
    bits: 8,
  });
  const { cut, io, bytes, macs } = prepared;
  if (options.labelled) checkLabelledClasses(options.labelled, io.classes);
  const plan = defaultBottleneck(io.featureDims, options);
  if (plan === undefined)
    throw new LearnError(
      `--learn needs features of shape [C, H, W] or [F] at the cut; "${cut.tensor}" gives [${io.featureDims.join(', ')}]: cut at another tensor (cleave split MODEL --at list)`,
    );
  const work = options.workDir ?? `${options.out}.learn`;
  if (!options.resume || !existsSync(join(work, 'checkpoint.pt')))
    rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  let trainer: TrainerResult;
  try {
    writeFileSync(join(work, 'head.onnx'), bytes.head);
    writeFileSync(join(work, 'tail.onnx'), bytes.tail);
    writeFileSync(join(work, 'io.json'), JSON.stringify(io));
    writeNpy(join(work, 'inputs.npy'), samples, io.inputDims);
    await runTrainer(
      options.trainer,
      trainerArgs(options, work, plan),
      options.onEvent ?? (() => {}),
      options.signal,
    );
    trainer = JSON.parse(readFileSync(join(work, 'result.json'), 'utf8')) as TrainerResult;
  } catch (error) {
    // A run that reached a checkpoint can be resumed; anything else leaves nothing behind.
    if (!existsSync(join(work, 'checkpoint.pt'))) rmSync(work, { recursive: true, force: true });
    if (error instanceof LearnInterrupted && existsSync(work))
      throw new LearnInterrupted(
        `stopped; resume with the same command and --resume (checkpoint in ${work})`,
      );
    throw error;
  }
  const learned = {
    head: readFileSync(join(work, 'learned-head.onnx')),
    tail: readFileSync(join(work, 'learned-tail.onnx')),
  };
  const held = trainer.heldOut.map((i) => samples[i]!);
  const calibration: BottleneckCalibration = { min: trainer.min, max: trainer.max, entropy: trainer.entropy };
  const learnedIo = { ...io, features: trainer.tensor, featureDims: trainer.codeDims };
  const headSha = createHash('sha256').update(learned.head).digest('hex');
  const runner = await openModels({ head: learned.head, tail: learned.tail, full: bytes.full });
  let measurement: SplitMeasurement;
  let labelled: LabelledAccuracy | undefined;
  try {
    const codec = codecFor(trainer.codeDims, trainer.bits, calibration, headSha);
    const measure = (xs: Float32Array[]) =>
      measureSplit(runner, learnedIo, xs, codec, calibration, headOutputs(runner, learnedIo, xs));
    measurement = await measure(held);
    if (options.labelled)
      labelled = labelledAccuracy(await measure(options.labelled.samples), options.labelled);
  } finally {
    await runner.close();
  }
  const trainerMatch =
    measurement.labels.reduce((n, label, i) => n + (label === trainer.labels[i] ? 1 : 0), 0) / held.length;
  const learnedMacs = { head: macs.head + trainer.macs.encoder, tail: macs.tail + trainer.macs.decoder };
  const bundle = await writeBundle(
    options.out,
    learnedManifest(options, prepared, trainer, measurement, learnedMacs, trainerMatch),
    [
      {
        role: 'head',
        bytes: learned.head,
        macs: learnedMacs.head,
        inputs: [tensorSpec(io.input, io.inputDims)],
        outputs: [tensorSpec(trainer.tensor, trainer.codeDims)],
      },
      {
        role: 'tail',
        bytes: learned.tail,
        macs: learnedMacs.tail,
        inputs: [tensorSpec(trainer.tensor, trainer.codeDims)],
        outputs: [tensorSpec(io.logits, [io.classes])],
      },
      {
        role: 'full',
        bytes: bytes.full,
        macs: macs.full,
        inputs: [tensorSpec(io.input, io.inputDims)],
        outputs: [tensorSpec(io.logits, [io.classes])],
      },
    ],
  );
  rmSync(work, { recursive: true, force: true });
  return {
    bundle,
    cut,
    featureDims: [...io.featureDims],
    trainer,
    measurement,
    trainerMatch,
    ...(labelled ? { labelled } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

function learnedManifest(
  o: LearnOptions,
  prepared: Awaited<ReturnType<typeof prepareCut>>,
  t: TrainerResult,
  m: SplitMeasurement,
  macs: { head: number; tail: number },
  trainerMatch: number,
): Omit<Manifest, 'files'> {
  const { cut, io, labels } = prepared;
  const source = o.modelPath ? basename(o.modelPath) : 'model.onnx';
  const shape = `${t.codeDims.join('×')} at ${t.bits} bits`;
  return {
    schemaVersion: 1,
    name: o.name ?? basename(o.out),
    version: o.version ?? '1.0.0',
    description: `${source} cut by cleave split at ${cut.tensor} (${cut.op}) with a learned bottleneck: features [${io.featureDims.join(', ')}] → ${shape}`,
    task: 'image-classification',
    labels,
    input: manifestInput(io, o.normalization),
    bottleneck: {
      tensor: t.tensor,
      shape: t.codeDims,
      bits: t.bits,
      quantization: { scheme: 'uniform-affine', granularity: 'per-channel', min: t.min, max: t.max },
      entropy: t.entropy,
    },
    gates: { exit: { default: 'max-softmax', thresholds: {} } },
    calibration: {
      split: 'held-out tenth',
      samples: t.heldOut.length,
      method: `cleave split --learn: label-free BottleFit (stage 1: encoder + decoder reconstruct the cut's features, ${t.epochs.stage1} epochs; stage 2: distilled from full.onnx's own logits (${t.distill === 'kl' ? 'KL at T = 2 + top-1 cross-entropy' : 'mean squared error'}) through the ${t.tuneTail ? 'tail, whose weights it fine-tunes' : 'frozen tail'}, ${t.epochs.stage2} epochs; quantisation-aware at ${t.bits} bits); ranges from the training inputs, per-channel frequency tables from every 10th input, which never trained`,
      source: o.calib.description,
      cut: cut.tensor,
      model: source,
      trainInputs: t.train,
      channels: t.shape.channels,
      stride: t.shape.stride,
      device: t.device,
      trainSeconds: t.seconds.total,
      ...(o.targetBytes !== undefined ? { targetBytes: o.targetBytes } : {}),
      ...(t.rateWeight > 0 ? { rateWeight: t.rateWeight } : {}),
      ...(t.tuneTail ? { tail: 'fine-tuned by distillation from full.onnx (--tune-tail)' } : {}),
    },
    metrics: {
      evaluatedOn: `the ${m.samples} held-out inputs of ${o.calib.description} (every 10th; never trained on); accuracy = top-1 agreement with full.onnx, no labels`,
      teacherAccuracy: 1,
      accuracy: { full: 1, split: m.agreement, cascade: m.agreement },
      exitCoverage: 0,
      meanFrameBytes: m.meanFrameBytes,
      shannonBytes: m.shannonBytes,
      packedBytes: m.packedBytes,
      headMacs: macs.head,
      teacherMacs: prepared.macs.full,
      tailMacs: macs.tail,
      maxLogitDiff: m.maxLogitDiff,
      trainerLabelMatch: trainerMatch,
    },
  };
}
