// `cleave split MODEL --at CUT --learn --calib DATA --out DIR`: a label-free learned bottleneck for
// the user's own model (docs/bring-your-own-model.md). @cleave/graph's learnBottleneck does the
// work; this file reads the flags, draws the progress and turns Ctrl-C into a resumable stop.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  type LabelledSet,
  LearnInterrupted,
  type LearnResult,
  learnBottleneck,
  loadLabelledSet,
  SplitError,
} from '@cleave/graph';
import { learnProgress } from './learn-progress.js';
import { type INPUT_OPTIONS, readLabels, readModelInputs } from './model-inputs.js';
import { REPO_ROOT } from './paths.js';

export const LEARN_OPTIONS_HELP = `
Learned bottleneck (--learn): train an encoder after the cut and a decoder before the tail, label-free,
by distillation from the model's own outputs (BottleFit's two stages, quantisation-aware), in PyTorch
(Debian's /usr/bin/python3 with python3-torch and python3-onnx; CLEAVE_PYTHON overrides it).
--calib holds the unlabelled training inputs; one in ten is held out to fit the entropy tables and
measure agreement. The bundle's frames carry the bottleneck instead of the cut tensor.
  --learn              train the bottleneck (otherwise the cut tensor is quantised as it is)
  --channels C         bottleneck channels (default: a quarter of the cut's, at least 2)
  --bits B             bits per code, 1..8 (default 4)
  --stride S           spatial down-sampling of the bottleneck (default 2 when the cut is ≥ 8×8)
  --target-bytes N     search channels and bits for the most accurate bottleneck whose mean
                       payload (entropy-coded bytes, without the frame header) is at most N
  --epochs E           stage-2 epochs (stage 1 gets half); default from the number of inputs
  --rate-weight W      add W × estimated payload bytes to the stage-2 loss (default 0)
  --tune-tail          stage 2 also fine-tunes the tail's weights, still distilled from the model's
                       own outputs (no labels); the bundle's tail.onnx keeps its nodes, new weights
  --distill mse|kl     stage 2's loss against the model's own logits: mean squared error on the
                       logits (default), or KL at T = 2 plus cross-entropy on its top-1
  --seed N             the trainer's random seed (default 0)
  --device cpu|cuda    where PyTorch trains (default cpu)
  --quick              at most 4,000 inputs and 3 + 8 epochs: a short run (CI)
  --resume             continue from the checkpoint a stopped run left in OUT.learn/
  --labels-from DIR    labelled images, one subfolder per class (numbered 0, 1, ...; or named as in
                       --labels; else sorted names are 0, 1, ...), decoded and normalised as the
                       bundle's agent does (--scale/--mean/--std): once the bundle is made, the full
                       model's and the learned split's accuracy on them are reported beside the
                       agreement. They are never trained on
  --json FILE          also write the run as JSON: the trainer's epochs, search, timings and its
                       own held-out labels, and the measurement made here with the real codec
`;

export const LEARN_OPTIONS = {
  learn: { type: 'boolean' },
  channels: { type: 'string' },
  stride: { type: 'string' },
  'target-bytes': { type: 'string' },
  epochs: { type: 'string' },
  'rate-weight': { type: 'string' },
  'tune-tail': { type: 'boolean' },
  distill: { type: 'string' },
  seed: { type: 'string' },
  device: { type: 'string' },
  quick: { type: 'boolean' },
  resume: { type: 'boolean' },
  json: { type: 'string' },
  'labels-from': { type: 'string' },
} as const;

type Values = {
  [K in keyof typeof INPUT_OPTIONS | keyof typeof LEARN_OPTIONS]?: string | boolean | undefined;
} & {
  labels?: string | undefined;
  name?: string | undefined;
  version?: string | undefined;
  'exit-at'?: string | undefined;
};

const num = (v: string | boolean | undefined, flag: string): number | undefined => {
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new SplitError(`${flag}: expected a number, got "${v}"`);
  return n;
};

export async function splitLearn(path: string, at: string, out: string, values: Values): Promise<number> {
  if (values['exit-at'] !== undefined)
    throw new SplitError(
      '--exit-at with --learn is not supported yet: make the learned bundle, then cut an exit separately',
    );
  const device = values.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new SplitError(`--device: cpu or cuda, got "${device}"`);
  const distill = values.distill;
  if (distill !== undefined && distill !== 'mse' && distill !== 'kl')
    throw new SplitError(`--distill: mse or kl, got "${distill}"`);
  const inputs = await readModelInputs(path, values, Number.POSITIVE_INFINITY);
  const progress = learnProgress();
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  const channels = num(values.channels, '--channels');
  const bits = num(values.bits, '--bits');
  const stride = num(values.stride, '--stride');
  const targetBytes = num(values['target-bytes'], '--target-bytes');
  const epochs = num(values.epochs, '--epochs');
  const rateWeight = num(values['rate-weight'], '--rate-weight');
  const seed = num(values.seed, '--seed');
  const names = typeof values.labels === 'string' ? readLabels(values.labels) : undefined;
  // Read before training, so that a bad folder fails in seconds, not after the run.
  let labelled: LabelledSet | undefined;
  if (typeof values['labels-from'] === 'string')
    labelled = await loadLabelledSet(values['labels-from'], inputs.inputDims, inputs.normalization, names);
  process.stderr.write(`cleave split --learn: ${inputs.calib.description}, cut at ${at}\n`);
  if (labelled) process.stderr.write(`cleave split --learn: accuracy on ${labelled.description}\n`);
  try {
    const r = await learnBottleneck({
      model: inputs.bytes,
      modelPath: path,
      at,
      calib: inputs.calib,
      inputDims: inputs.inputDims,
      normalization: inputs.normalization,
      out,
      trainer: {
        python: process.env.CLEAVE_PYTHON ?? '/usr/bin/python3',
        script: join(REPO_ROOT, 'training', 'learn_bottleneck.py'),
      },
      device,
      ...(channels !== undefined ? { channels } : {}),
      ...(bits !== undefined ? { bits } : {}),
      ...(stride !== undefined ? { stride } : {}),
      ...(targetBytes !== undefined ? { targetBytes } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      ...(rateWeight !== undefined ? { rateWeight } : {}),
      ...(values['tune-tail'] ? { tuneTail: true } : {}),
      ...(distill ? { distill } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(values.quick ? { quick: true } : {}),
      ...(values.resume ? { resume: true } : {}),
      ...(typeof values.name === 'string' ? { name: values.name } : {}),
      ...(typeof values.version === 'string' ? { version: values.version } : {}),
      ...(names ? { labels: names } : {}),
      ...(labelled ? { labelled } : {}),
      onEvent: progress.onEvent,
      signal: controller.signal,
    });
    progress.stop();
    if (typeof values.json === 'string')
      writeFileSync(values.json, `${JSON.stringify(learnReport(r, path, at), null, 2)}\n`);
    const m = r.measurement;
    const t = r.trainer;
    const b = r.bundle.manifest;
    const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
    process.stdout.write(
      [
        `wrote ${out}: bundle ${b.name}@${b.version} (${r.seconds.toFixed(1)} s; training ${t.seconds.total.toFixed(1)} s on ${t.device})`,
        `  cut         ${r.cut.tensor} (${r.cut.op}), features [${r.featureDims.join(', ')}]`,
        `  bottleneck  [${t.codeDims.join(', ')}] at ${t.bits} bits, learned on ${t.train} inputs (${t.epochs.stage1} + ${t.epochs.stage2} epochs; ${t.distill} distillation${t.tuneTail ? '; tail fine-tuned' : ''})`,
        ...(t.search
          ? [
              `  search      ${t.search.probes.map((p) => `${p.channels}ch×${p.bits}b ${pct(p.agreement)} ~${p.estimatedPayloadBytes.toFixed(1)} B`).join('; ')}`,
            ]
          : []),
        `  on the ${m.samples} held-out inputs (every 10th, never trained on):`,
        `    top-1 agreement with full.onnx  ${pct(m.agreement)}`,
        `    mean frame                      ${m.meanFrameBytes.toFixed(1)} B (Shannon bound ${m.shannonBytes.toFixed(1)} B, packed ${m.packedBytes} B)`,
        `    same top-1 as the trainer's     ${pct(r.trainerMatch)}`,
        ...(r.labelled
          ? [
              `  on the ${r.labelled.samples} labelled inputs of --labels-from (classes from ${r.labelled.rule}):`,
              `    accuracy of full.onnx           ${pct(r.labelled.fullAccuracy)}`,
              `    accuracy of the learned bundle  ${pct(r.labelled.splitAccuracy)} (${((r.labelled.splitAccuracy - r.labelled.fullAccuracy) * 100).toFixed(2)} pt)`,
              `    top-1 agreement                 ${pct(r.labelled.agreement)}`,
            ]
          : []),
        `  serve it: cleave serve --models ${JSON.stringify(out.replace(/\/?[^/]+\/?$/, '') || '.')}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    progress.stop();
    if (error instanceof LearnInterrupted) {
      process.stderr.write(`cleave split --learn: ${error.message}\n`);
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** `--json`: what was run, on what machine, and every figure the command printed, with the trainer's labels. */
function learnReport(r: LearnResult, model: string, at: string) {
  const { entropy: _tables, ...trainer } = r.trainer;
  const { agrees: _agrees, labels, fullLabels: _full, ...measurement } = r.measurement;
  return {
    command: `cleave split ${process.argv.slice(3).join(' ')}`,
    model,
    cut: at,
    featureDims: r.featureDims,
    bundle: { name: r.bundle.manifest.name, version: r.bundle.manifest.version, dir: r.bundle.dir },
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    seconds: r.seconds,
    trainer,
    measurement: { ...measurement, labels: Array.from(labels) },
    trainerMatch: r.trainerMatch,
    ...(r.labelled ? { labelled: r.labelled } : {}),
  };
}
