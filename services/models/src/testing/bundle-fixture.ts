// A complete, loadable Fashion-MNIST-shaped bundle with tiny linear models: for tests of anything
// that consumes bundles (loader, pool, agent, tail server) without waiting for the training recipe.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileRole, type FileSpec, MANIFEST_FILE, type Manifest } from '../manifest-schema.js';
import { encodeOnnxModel, seededFloats } from './onnx-fixture.js';

export const FIXTURE_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
const PIXELS = 28 * 28;
const FEATURE_SHAPE = [8, 7, 7];
const FEATURES = 8 * 7 * 7;
const K = FIXTURE_LABELS.length;
const batch = 'batch';

/** Flatten → MatMul → Add, from `input` to `output`. */
function linearNodes(input: string, inFeatures: number, output: string, outFeatures: number, seed: number) {
  const p = `${output}_`;
  return {
    initializers: [
      {
        name: `${p}W`,
        dims: [inFeatures, outFeatures],
        data: seededFloats(inFeatures * outFeatures, seed, 0.05),
      },
      { name: `${p}b`, dims: [outFeatures], data: seededFloats(outFeatures, seed + 1, 0.05) },
    ],
    nodes: [
      { opType: 'Flatten', inputs: [input], outputs: [`${p}flat`], attributes: { axis: 1 } },
      { opType: 'MatMul', inputs: [`${p}flat`, `${p}W`], outputs: [`${p}xw`] },
      { opType: 'Add', inputs: [`${p}xw`, `${p}b`], outputs: [output] },
    ],
  };
}

function headModel(): Uint8Array {
  const exit = linearNodes('input', PIXELS, 'exit_logits', K, 11);
  const features = linearNodes('input', PIXELS, 'features_flat', FEATURES, 13);
  return encodeOnnxModel({
    name: 'head',
    inputs: [{ name: 'input', shape: [batch, 1, 28, 28] }],
    outputs: [
      { name: 'exit_logits', shape: [batch, K] },
      { name: 'features', shape: [batch, ...FEATURE_SHAPE] },
    ],
    initializers: [
      ...exit.initializers,
      ...features.initializers,
      { name: 'features_shape', dims: [4], data: BigInt64Array.from([-1n, 8n, 7n, 7n]) },
    ],
    nodes: [
      ...exit.nodes,
      ...features.nodes,
      { opType: 'Reshape', inputs: ['features_flat', 'features_shape'], outputs: ['features'] },
    ],
  });
}

function classifierModel(input: string, inputShape: number[], seed: number): Uint8Array {
  const inFeatures = inputShape.reduce((a, b) => a * b, 1);
  const linear = linearNodes(input, inFeatures, 'logits', K, seed);
  return encodeOnnxModel({
    name: `classifier-${seed}`,
    inputs: [{ name: input, shape: [batch, ...inputShape] }],
    outputs: [{ name: 'logits', shape: [batch, K] }],
    ...linear,
  });
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const tensor = (name: string, shape: number[]) => ({ name, shape, dtype: 'float32' as const });

function fileSpec(role: FileRole, bytes: Uint8Array, macs: number): FileSpec {
  const image = [tensor('input', [-1, 1, 28, 28])];
  const logits = [tensor('logits', [-1, K])];
  const io: Record<FileRole, Pick<FileSpec, 'inputs' | 'outputs'>> = {
    head: {
      inputs: image,
      outputs: [tensor('exit_logits', [-1, K]), tensor('features', [-1, ...FEATURE_SHAPE])],
    },
    tail: { inputs: [tensor('features', [-1, ...FEATURE_SHAPE])], outputs: logits },
    full: { inputs: image, outputs: logits },
    'dual-a': { inputs: image, outputs: logits },
    'dual-b': { inputs: image, outputs: logits },
  };
  return { role, path: `${role}.onnx`, sha256: sha256(bytes), bytes: bytes.length, macs, ...io[role] };
}

export interface FixtureBundleOptions {
  name?: string;
  version?: string;
  /** Optional roles to ship besides head and tail. Default: all of full, dual-a, dual-b. */
  extraRoles?: ReadonlyArray<'full' | 'dual-a' | 'dual-b'>;
  /** Include static frequency tables. Default true. */
  entropy?: boolean;
}

/** The ONNX files and the manifest of a fixture bundle, without touching the disk. */
export function createFixtureBundle(options: FixtureBundleOptions = {}): {
  manifest: Manifest;
  files: Map<string, Uint8Array>;
} {
  const extraRoles = options.extraRoles ?? ['full', 'dual-a', 'dual-b'];
  const models: Array<[FileRole, Uint8Array, number]> = [
    ['head', headModel(), PIXELS * (K + FEATURES)],
    ['tail', classifierModel('features', FEATURE_SHAPE, 17), FEATURES * K],
    ...extraRoles.map((role, i): [FileRole, Uint8Array, number] => [
      role,
      classifierModel('input', [1, 28, 28], 19 + 2 * i),
      PIXELS * K,
    ]),
  ];
  const roles = new Set(extraRoles);
  const accuracy: Manifest['metrics']['accuracy'] = { split: 0.9, exit: 0.85, cascade: 0.9 };
  if (roles.has('full')) accuracy.full = 0.91;
  if (roles.has('dual-a')) accuracy['dual-a'] = 0.86;
  if (roles.has('dual-b')) Object.assign(accuracy, { 'dual-b': 0.87, 'dual-ab': 0.88 });
  const thresholds = () => ({ 'max-softmax': 0.97, margin: 0.95, entropy: 0.9 });
  const manifest: Manifest = {
    schemaVersion: 1,
    name: options.name ?? 'fixture-bf8',
    version: options.version ?? '1.0.0',
    description: 'Test fixture: linear head, tail and classifiers with random weights.',
    task: 'image-classification',
    labels: [...FIXTURE_LABELS],
    input: {
      name: 'input',
      shape: [1, 28, 28],
      dtype: 'float32',
      layout: 'NCHW',
      source: { width: 28, height: 28, channels: 1 },
      normalization: { scale: 1 / 255, mean: [0.286], std: [0.353] },
    },
    files: models.map(([role, bytes, macs]) => fileSpec(role, bytes, macs)),
    bottleneck: {
      tensor: 'features',
      shape: [...FEATURE_SHAPE],
      bits: 2,
      quantization: {
        scheme: 'uniform-affine',
        granularity: 'per-channel',
        min: Array.from({ length: 8 }, () => -1),
        max: Array.from({ length: 8 }, () => 1),
      },
      ...(options.entropy === false
        ? {}
        : {
            entropy: {
              model: 'static-frequency' as const,
              precisionBits: 12,
              tables: Array.from({ length: 8 }, () => [512, 1536, 1536, 512]),
            },
          }),
    },
    gates: {
      exit: { default: 'max-softmax', thresholds: thresholds() },
      ...(roles.has('dual-a') && roles.has('dual-b')
        ? { dual: { default: 'margin', thresholds: thresholds() } }
        : {}),
    },
    calibration: { split: 'validation', samples: 6000, seed: 0, method: 'fixture' },
    metrics: {
      evaluatedOn: 'fixture',
      teacherAccuracy: 0.93,
      accuracy,
      exitCoverage: 0.5,
      meanFrameBytes: 60,
      shannonBytes: 58,
      packedBytes: 98,
      headMacs: PIXELS * (K + FEATURES),
      teacherMacs: 12_000_000,
    },
  };
  return { manifest, files: new Map(models.map(([role, bytes]) => [`${role}.onnx`, bytes])) };
}

/** Writes a fixture bundle into `dir` (created if needed) and returns its manifest. */
export async function writeFixtureBundle(dir: string, options: FixtureBundleOptions = {}): Promise<Manifest> {
  const { manifest, files } = createFixtureBundle(options);
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
