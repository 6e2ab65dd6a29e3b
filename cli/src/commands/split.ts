// `cleave split MODEL.onnx --at TENSOR --calib DIR|FILE --out models/NAME`: cut any ONNX image
// classifier at a valid cut point and write a bundle the agent and `cleave serve` run unchanged
// (docs/bring-your-own-model.md). The work is in @cleave/graph; this file reads the options.
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CalibrationSet,
  decodeOnnxModel,
  type ExitFit,
  fitExit,
  indexGraph,
  loadCalibrationSet,
  modelInputDims,
  type Normalization,
  OnnxModelError,
  SplitError,
  splitModel,
  validCutPoints,
} from '@cleave/graph';

export const INPUT_OPTIONS_HELP = `  --calib DIR|FILE     calibration inputs: a folder of .png/.jpg/.jpeg/.webp images (subfolders
                       too; decoded like the agent decodes uploads, resized to the model's input,
                       normalised with --scale/--mean/--std), or already-normalised float32
                       tensors of the input shape: .npy ([N, C, H, W]), .json (array of samples)
                       or any other file as raw little-endian float32
  --limit N            use at most N calibration inputs (default 256)
  --scale S            pixel scale before normalising (default 1/255)
  --mean A,B,C         per-channel mean after scaling (default ImageNet 0.485,0.456,0.406)
  --std A,B,C          per-channel std (default ImageNet 0.229,0.224,0.225)
  --input-shape C,H,W  one input's shape, when the model's input dims are not fixed
  --bits N             bits per feature: 1..8 (default 8), or 32 for lossless float32 frames
`;

export const EXIT_OPTIONS_HELP = `  --exit-at TENSOR     add an early exit to the head: a softmax regression on TENSOR (global-average-
                       pooled), fitted to the full model's own top-1 on 3 of every 4 calibration
                       inputs; the 4th chooses its gate. TENSOR must be computed by the head
  --exit-agreement A   the gate answers on the device only where, on the held-out inputs, the exit
                       agrees with the full model on at least A of its answers (default 0.99)
`;

export const EXIT_OPTIONS = {
  'exit-at': { type: 'string' },
  'exit-agreement': { type: 'string', default: '0.99' },
} as const;

/** Fits the exit `--exit-at` asks for at the cut `at` (undefined without --exit-at). */
export async function exitFor(
  inputs: ModelInputs,
  at: string,
  values: { 'exit-at'?: string | undefined; 'exit-agreement'?: string | undefined },
): Promise<ExitFit | undefined> {
  const exitAt = values['exit-at'];
  if (exitAt === undefined) return undefined;
  const agreement = Number(values['exit-agreement'] ?? 0.99);
  return fitExit({
    model: inputs.bytes,
    at,
    exitAt,
    samples: inputs.calib.samples,
    inputDims: inputs.inputDims,
    agreement,
  });
}

/** What the exit does, for the command's report. */
export function exitReport(fit: ExitFit): string[] {
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  return [
    `  exit      at ${fit.exit.tensor} [${fit.tensorDims.join(', ')}], fitted on ${fit.fitSamples} inputs, gate chosen on ${fit.heldOut} held out`,
    `    on the held-out inputs: answers ${pct(fit.coverage)} (max-softmax ≥ ${fit.threshold.toFixed(4)}), agreeing with full.onnx on ${pct(fit.answeredAgreement)} of them (${pct(fit.heldOutAgreement)} if it answered all)`,
  ];
}

export const SPLIT_HELP = `cleave split MODEL.onnx --at TENSOR --calib DIR|FILE --out DIR [options]

Cuts an ONNX image classifier (one input [batch, C, H, W], one logits output) at TENSOR, which
must be a valid cut point: every path from the input to the output passes through it. A tensor
inside a residual block is refused, with the valid cut points near it. Calibrates per-channel
ranges and static entropy tables on the calibration inputs, measures the split against the full
model on them (top-1 agreement, frame bytes), and writes a bundle: head.onnx, tail.onnx,
full.onnx and manifest.json. \`cleave profile\` lists the valid cut points and which to choose.

  --at TENSOR          the tensor to cut at (\`--at list\` prints the valid cut points)
  --out DIR            the bundle folder to write (its name is the bundle name)
${INPUT_OPTIONS_HELP}  --labels FILE        class names, one per line (or a JSON array); default class_0..class_{K-1}
  --name NAME          bundle name (default: the --out folder's name)
  --version V          bundle version (default 1.0.0)
${EXIT_OPTIONS_HELP}`;

export const INPUT_OPTIONS = {
  calib: { type: 'string' },
  limit: { type: 'string', default: '256' },
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  'input-shape': { type: 'string' },
  bits: { type: 'string', default: '8' },
  help: { type: 'boolean', short: 'h' },
} as const;

const numbers = (text: string, what: string): number[] => {
  const out = text.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isFinite(n)))
    throw new SplitError(`${what}: expected numbers, got "${text}"`);
  return out;
};

export interface ModelInputs {
  bytes: Uint8Array;
  inputDims: number[];
  normalization: Normalization;
  calib: CalibrationSet;
  bits: number;
}

/** Reads the model and the calibration inputs as the shared options say. */
export async function readModelInputs(
  path: string,
  values: { [K in keyof typeof INPUT_OPTIONS]?: string | boolean | undefined },
): Promise<ModelInputs> {
  const bytes = readFileSync(path);
  const index = indexGraph(decodeOnnxModel(bytes));
  const shape = values['input-shape'];
  const inputDims = modelInputDims(
    index,
    typeof shape === 'string' ? numbers(shape, '--input-shape') : undefined,
  );
  const normalization: Normalization = {
    scale: typeof values.scale === 'string' ? numbers(values.scale, '--scale')[0]! : 1 / 255,
    mean: typeof values.mean === 'string' ? numbers(values.mean, '--mean') : [0.485, 0.456, 0.406],
    std: typeof values.std === 'string' ? numbers(values.std, '--std') : [0.229, 0.224, 0.225],
  };
  if (typeof values.calib !== 'string') throw new SplitError('--calib DIR|FILE is required');
  const limit = Number(values.limit ?? 256);
  if (!Number.isInteger(limit) || limit < 1) throw new SplitError(`--limit: expected a positive integer`);
  const calib = await loadCalibrationSet(values.calib, inputDims, normalization, limit);
  const bits = Number(values.bits ?? 8);
  return { bytes, inputDims, normalization, calib, bits };
}

export function readLabels(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  if (extname(path).toLowerCase() === '.json') return (JSON.parse(text) as unknown[]).map(String);
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Prints a refusal the user can act on; anything else propagates. */
export function userError(error: unknown): number {
  if (error instanceof SplitError || error instanceof OnnxModelError) {
    process.stderr.write(`cleave: ${error.message}\n`);
    return 2;
  }
  throw error;
}

export async function splitCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...INPUT_OPTIONS,
      ...EXIT_OPTIONS,
      at: { type: 'string' },
      out: { type: 'string' },
      labels: { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(SPLIT_HELP);
    return 0;
  }
  const [path] = positionals;
  if (path === undefined) {
    process.stderr.write(`cleave split: which model?\n\n${SPLIT_HELP}`);
    return 2;
  }
  try {
    if (values.at === 'list' || values.at === undefined) {
      const index = indexGraph(decodeOnnxModel(readFileSync(path)));
      const cuts = validCutPoints(index);
      process.stdout.write(`${cuts.length} valid cut points of ${basename(path)}, input side first:\n`);
      for (const c of cuts) process.stdout.write(`  ${c.tensor}  (${c.op}${c.node ? ` ${c.node}` : ''})\n`);
      return values.at === undefined ? 2 : 0;
    }
    if (values.out === undefined) throw new SplitError('--out DIR is required');
    const inputs = await readModelInputs(path, values);
    const started = performance.now();
    const exit = await exitFor(inputs, values.at, values);
    const result = await splitModel({
      model: inputs.bytes,
      modelPath: path,
      at: values.at,
      calib: inputs.calib,
      inputDims: inputs.inputDims,
      normalization: inputs.normalization,
      out: values.out,
      bits: inputs.bits,
      ...(exit ? { exit: exit.exit } : {}),
      ...(values.name ? { name: values.name } : {}),
      ...(values.version ? { version: values.version } : {}),
      ...(values.labels ? { labels: readLabels(values.labels) } : {}),
    });
    const m = result.measurement;
    const b = result.bundle.manifest;
    process.stdout.write(
      [
        `wrote ${values.out}: bundle ${b.name}@${b.version} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
        `  cut       ${result.cut.tensor} (${result.cut.op}), features [${result.featureDims.join(', ')}] at ${inputs.bits} bits`,
        `  MACs      head ${result.macs.head.toLocaleString('en')}, tail ${result.macs.tail.toLocaleString('en')} (full ${result.macs.full.toLocaleString('en')})`,
        `  on ${inputs.calib.description}:`,
        `    top-1 agreement with full.onnx  ${(m.agreement * 100).toFixed(2)}%`,
        `    largest logit difference        ${m.maxLogitDiff.toExponential(2)}`,
        `    mean frame                      ${m.meanFrameBytes.toFixed(1)} B (Shannon bound ${m.shannonBytes.toFixed(1)} B, packed ${m.packedBytes} B)`,
        ...(exit ? exitReport(exit) : []),
        `  serve it: cleave serve --models ${JSON.stringify(values.out.replace(/\/?[^/]+\/?$/, '') || '.')}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    return userError(error);
  }
}
