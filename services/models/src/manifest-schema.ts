// The shape of manifest.json, schema version 1. The training recipe writes exactly this shape;
// docs/bundle-format.md is the prose version. Cross-field rules live in manifest-rules.ts.
import { z } from 'zod';

export const FILE_ROLES = ['head', 'tail', 'full', 'dual-a', 'dual-b'] as const;
export type FileRole = (typeof FILE_ROLES)[number];

/** Gate score functions. Each maps logits to "higher = more confident", in [0, 1]. */
export const SCORE_FUNCTIONS = ['max-softmax', 'margin', 'entropy'] as const;
export type ScoreFunction = (typeof SCORE_FUNCTIONS)[number];

/** Keys of `metrics.accuracy`. */
export const ACCURACY_KEYS = ['full', 'split', 'exit', 'dual-a', 'dual-b', 'dual-ab', 'cascade'] as const;
export type AccuracyKey = (typeof ACCURACY_KEYS)[number];

/** `bottleneck.bits` of a lossless bundle: float32 features, no quantisation (frame codec 3). */
export const FLOAT32_BITS = 32;

/** Output names the runtime relies on: the head's early-exit logits and every classifier's logits. */
export const EXIT_LOGITS_OUTPUT = 'exit_logits';
export const LOGITS_OUTPUT = 'logits';

export const MANIFEST_FILE = 'manifest.json';

// Each helper carries its own message so errors read `bottleneck.bits: expected integer 1..8`.
function intIn(min: number, max: number) {
  const error = `expected integer ${min}..${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}
const positiveInt = () =>
  z.int({ error: 'expected positive integer' }).min(1, { error: 'expected positive integer' });
const nonNegativeInt = () =>
  z.int({ error: 'expected non-negative integer' }).min(0, { error: 'expected non-negative integer' });
const finite = () => z.number({ error: 'expected finite number' });
const nonNegative = () => finite().min(0, { error: 'expected number >= 0' });
const positive = () => finite().positive({ error: 'expected number > 0' });
const unitInterval = () =>
  finite().min(0, { error: 'expected number in [0, 1]' }).max(1, { error: 'expected number in [0, 1]' });
const text = () =>
  z.string({ error: 'expected non-empty string' }).min(1, { error: 'expected non-empty string' });
const dynamicDim = () =>
  z
    .int({ error: 'expected positive integer or -1 (dynamic)' })
    .refine((d) => d === -1 || d > 0, { error: 'expected positive integer or -1 (dynamic)' });

export const TensorSpecSchema = z.strictObject({
  name: text(),
  /** ONNX dims, batch first; -1 marks a dynamic dimension. */
  shape: z.array(dynamicDim()).min(1, { error: 'expected at least one dimension' }),
  dtype: z.literal('float32', { error: 'expected "float32"' }),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const FileSpecSchema = z.strictObject({
  role: z.enum(FILE_ROLES, { error: `expected one of ${FILE_ROLES.join(', ')}` }),
  /** A plain file name inside the bundle folder; checked by `checkPlainFileName`. */
  path: text(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lowercase hex digits' }),
  bytes: positiveInt(),
  macs: nonNegativeInt(),
  inputs: z.array(TensorSpecSchema).min(1, { error: 'expected at least one input' }),
  outputs: z.array(TensorSpecSchema).min(1, { error: 'expected at least one output' }),
});
export type FileSpec = z.infer<typeof FileSpecSchema>;

export const InputSpecSchema = z.strictObject({
  name: text(),
  /** One sample, without the batch dimension: [C, H, W] for NCHW, [H, W, C] for NHWC. */
  shape: z.array(positiveInt()).min(1, { error: 'expected at least one dimension' }),
  dtype: z.literal('float32', { error: 'expected "float32"' }),
  layout: z.enum(['NCHW', 'NHWC'], { error: 'expected "NCHW" or "NHWC"' }),
  /** The raw uint8 pixels the application supplies. */
  source: z.strictObject({ width: positiveInt(), height: positiveInt(), channels: intIn(1, 4) }),
  /** x = (pixel * scale - mean[c]) / std[c] */
  normalization: z.strictObject({
    scale: positive(),
    mean: z.array(finite()).min(1, { error: 'expected at least one value' }),
    std: z.array(positive()).min(1, { error: 'expected at least one value' }),
  }),
});
export type InputSpec = z.infer<typeof InputSpecSchema>;

export const QuantizationSchema = z.strictObject({
  scheme: z.literal('uniform-affine', { error: 'expected "uniform-affine"' }),
  granularity: z.enum(['per-channel', 'per-tensor'], { error: 'expected "per-channel" or "per-tensor"' }),
  min: z.array(finite()).min(1, { error: 'expected at least one value' }),
  max: z.array(finite()).min(1, { error: 'expected at least one value' }),
});
export type QuantizationSpec = z.infer<typeof QuantizationSchema>;

export const EntropyModelSchema = z.strictObject({
  model: z.literal('static-frequency', { error: 'expected "static-frequency"' }),
  precisionBits: intIn(1, 16),
  /** One frequency table per channel, each with 2^bits positive entries summing to 2^precisionBits. */
  tables: z.array(z.array(positiveInt())).min(1, { error: 'expected at least one table' }),
});
export type EntropyModelSpec = z.infer<typeof EntropyModelSchema>;

export const BottleneckSchema = z.strictObject({
  /** The head output that carries the features, also the tail's input. */
  tensor: text(),
  /** Without the batch dimension; the first dimension is the channel axis. */
  shape: z.array(positiveInt()).min(1, { error: 'expected at least one dimension' }),
  /** 1..8 bits per quantised code, or FLOAT32_BITS: the features travel as float32 (codec 3, lossless). */
  bits: z.union([intIn(1, 8), z.literal(32)], { error: 'expected integer 1..8' }),
  /** At 32 bits the ranges only describe the calibration data: nothing is quantised. */
  quantization: QuantizationSchema,
  /** Absent: the codec uses its adaptive entropy coder. */
  entropy: EntropyModelSchema.optional(),
});
export type BottleneckSpec = z.infer<typeof BottleneckSchema>;

export const GateSchema = z.strictObject({
  default: z.enum(SCORE_FUNCTIONS, { error: `expected one of ${SCORE_FUNCTIONS.join(', ')}` }),
  thresholds: z.strictObject({
    'max-softmax': finite().optional(),
    margin: finite().optional(),
    entropy: finite().optional(),
  }),
});
export type GateSpec = z.infer<typeof GateSchema>;

// `calibration` and `metrics` describe how the bundle was made; nothing runs on them. So they
// take extra keys (recipes report more than the loader needs), but every value is type-checked.
const accuracyShape = Object.fromEntries(ACCURACY_KEYS.map((k) => [k, unitInterval().optional()])) as {
  [K in AccuracyKey]: z.ZodOptional<z.ZodNumber>;
};
const metricsShape = {
  evaluatedOn: text(),
  teacherAccuracy: unitInterval(),
  /** Which keys are required depends on the roles present; see manifest-rules.ts. Extra keys are accuracies too. */
  accuracy: z.object(accuracyShape).catchall(unitInterval()),
  exitCoverage: unitInterval(),
  meanFrameBytes: nonNegative(),
  shannonBytes: nonNegative(),
  packedBytes: nonNegative(),
  headMacs: nonNegative(),
  teacherMacs: nonNegative(),
};
const numberGroup = z.record(z.string(), finite());
/** Extra figures: a number, or one level of named numbers (e.g. `complementarity: { oracle: 0.97 }`). */
const extraMetric = z.union([finite(), numberGroup], {
  error: 'expected a finite number or an object of finite numbers',
});
export const MetricsSchema = z.object(metricsShape).catchall(extraMetric);
export type Metrics = Omit<z.infer<z.ZodObject<typeof metricsShape>>, 'accuracy'> & {
  accuracy: z.infer<z.ZodObject<typeof accuracyShape>> & { [extra: string]: number | undefined };
  [extra: string]: unknown;
};

export const CalibrationSchema = z
  .object({
    split: text(),
    samples: positiveInt(),
    seed: nonNegativeInt().optional(),
    method: text(),
  })
  .catchall(z.union([z.string(), finite()], { error: 'expected a string or a finite number' }));

export const ManifestSchema = z.strictObject({
  schemaVersion: z.literal(1, { error: 'expected 1 (the only schema version this loader reads)' }),
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, {
    error: 'expected 1..64 of [a-z0-9._-], starting with a letter or digit',
  }),
  version: z
    .string()
    .max(32, { error: 'expected at most 32 characters' })
    .regex(/^\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]+)?$/, {
      error: 'expected a semver-like version, e.g. 1.0.0',
    }),
  description: z.string({ error: 'expected string' }),
  task: z.literal('image-classification', { error: 'expected "image-classification"' }),
  labels: z.array(text()).min(2, { error: 'expected at least 2 labels' }),
  input: InputSpecSchema,
  files: z.array(FileSpecSchema).min(2, { error: 'expected at least the head and tail files' }),
  bottleneck: BottleneckSchema,
  gates: z.strictObject({ exit: GateSchema, dual: GateSchema.optional() }),
  calibration: CalibrationSchema,
  metrics: MetricsSchema,
});
/** The manifest, with extra metrics typed as `unknown` (the schema guarantees numbers or groups of numbers). */
export type Manifest = Omit<z.infer<typeof ManifestSchema>, 'metrics'> & { metrics: Metrics };
