// The options `cleave split` and `cleave profile` share: the model, its calibration inputs and how
// they are normalised, the optional early exit, and how a user's mistake is reported.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import {
  type CalibrationSet,
  decodeOnnxModel,
  type ExitFit,
  fitExit,
  indexGraph,
  LearnError,
  loadCalibrationSet,
  modelInputDims,
  type Normalization,
  OnnxModelError,
  SplitError,
} from '@cleave/graph';

export const INPUT_OPTIONS_HELP = `  --calib DIR|FILE     calibration inputs: a folder of .png/.jpg/.jpeg/.webp images (subfolders
                       too; decoded like the agent decodes uploads, resized to the model's input,
                       normalised with --scale/--mean/--std), or already-normalised float32
                       tensors of the input shape: .npy ([N, C, H, W]), .json (array of samples)
                       or any other file as raw little-endian float32
  --limit N            use at most N calibration inputs (default 256; every input with --learn)
  --scale S            pixel scale before normalising (default 1/255; 1 for tensors given no
                       --mean or --std)
  --mean A,B,C         per-channel mean after scaling (default ImageNet 0.485,0.456,0.406 for an
                       image folder; 0 for .npy/.json/raw tensors, which are already normalised)
  --std A,B,C          per-channel std (default ImageNet 0.229,0.224,0.225 for an image folder; 1
                       for tensors). These are what the bundle's agent applies to uploaded images
  --input-shape C,H,W  one input's shape, when the model's input dims are not fixed
  --bits N             bits per feature: 1..8 (default 8; 4 with --learn), or 32 for lossless
                       float32 frames
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

export const INPUT_OPTIONS = {
  calib: { type: 'string' },
  limit: { type: 'string' },
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  'input-shape': { type: 'string' },
  bits: { type: 'string' },
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
  defaultLimit = 256,
): Promise<ModelInputs> {
  const bytes = readFileSync(path);
  const index = indexGraph(decodeOnnxModel(bytes));
  const shape = values['input-shape'];
  const inputDims = modelInputDims(
    index,
    typeof shape === 'string' ? numbers(shape, '--input-shape') : undefined,
  );
  if (typeof values.calib !== 'string') throw new SplitError('--calib DIR|FILE is required');
  const calibPath = values.calib;
  if (!existsSync(calibPath))
    throw new SplitError(
      `--calib ${calibPath}: no such file or folder; give a folder of images or a .npy/.json/raw tensor file`,
    );
  const fromImages = statSync(calibPath).isDirectory();
  // Tensors (.npy, .json, raw) are already normalised: the identity unless the user says otherwise.
  const channels = inputDims[0] ?? 1;
  // Given a mean or std, the user describes pixel normalisation: pixels scale by 1/255 first.
  const pixels = fromImages || typeof values.mean === 'string' || typeof values.std === 'string';
  // Image folders default to ImageNet's statistics; tensors to the identity.
  const perChannel = (flag: 'mean' | 'std', imagenet: number[], identity: number) => {
    const given = values[flag];
    if (typeof given === 'string') return numbers(given, `--${flag}`);
    return fromImages ? imagenet : Array<number>(channels).fill(identity);
  };
  const normalization: Normalization = {
    scale: typeof values.scale === 'string' ? numbers(values.scale, '--scale')[0]! : pixels ? 1 / 255 : 1,
    mean: perChannel('mean', [0.485, 0.456, 0.406], 0),
    std: perChannel('std', [0.229, 0.224, 0.225], 1),
  };

  const limit = values.limit === undefined ? defaultLimit : Number(values.limit);
  if (!(limit === Number.POSITIVE_INFINITY || (Number.isInteger(limit) && limit >= 1)))
    throw new SplitError(`--limit: expected a positive integer`);
  let calib: CalibrationSet;
  try {
    calib = await loadCalibrationSet(calibPath, inputDims, normalization, limit);
  } catch (error) {
    // Unreadable files, empty folders and tensors of the wrong shape: the user's to fix.
    throw new SplitError(`--calib ${calibPath}: ${(error as Error).message}`);
  }
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
  if (error instanceof SplitError || error instanceof OnnxModelError || error instanceof LearnError) {
    process.stderr.write(`cleave: ${error.message}\n`);
    return 2;
  }
  throw error;
}
