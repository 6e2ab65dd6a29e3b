export {
  ANSWER_SOURCES,
  type Answer,
  type AnswerEnergy,
  type AnswerSource,
  type AnswerTimings,
  type GateRecord,
  type HardExample,
  INFERENCE_MODES,
  type InferenceMode,
} from './answer.js';
export { bundleCodec } from './bundle-codec.js';
export { BundleError, BundleErrorCode, type BundleErrorOptions, type BundleIssue } from './bundle-error.js';
export {
  type Bundle,
  type BundleFile,
  type BundleFiles,
  bundleSessionModels,
  type LoadBundleOptions,
  listBundles,
  loadBundle,
  sha256File,
} from './bundle-loader.js';
export {
  type AgentInput,
  createInputPreparer,
  InputError,
  type InputPreparer,
  type InputPreparerOptions,
} from './input-preparer.js';
export { checkManifestRules, checkPlainFileName, requiredAccuracyKeys } from './manifest-rules.js';
export {
  ACCURACY_KEYS,
  type AccuracyKey,
  type BottleneckSpec,
  type EntropyModelSpec,
  EXIT_LOGITS_OUTPUT,
  FILE_ROLES,
  type FileRole,
  type FileSpec,
  type GateSpec,
  type InputSpec,
  LOGITS_OUTPUT,
  MANIFEST_FILE,
  type Manifest,
  ManifestSchema,
  type Metrics,
  MetricsSchema,
  type QuantizationSpec,
  SCORE_FUNCTIONS,
  type ScoreFunction,
  type TensorSpec,
} from './manifest-schema.js';
export { formatFieldPath, parseManifest, validateManifest } from './manifest-validator.js';
export {
  InferenceError,
  PoolClosedError,
  PoolError,
  PoolErrorCode,
  PoolOverloadedError,
  WorkerCrashedError,
} from './pool-errors.js';
export {
  argmax,
  registerScoreFunction,
  type ScoreFunction as GateScoreFunction,
  scoreFunction,
  scoreFunctionNames,
  softmax,
} from './score-functions.js';
export {
  createSessionPool,
  type RunOptions,
  type SessionPool,
  type SessionPoolStats,
} from './session-pool.js';
export { POOL_DEFAULTS, type SessionModel, type SessionPoolOptions } from './session-pool-options.js';
export { elementCount, type FloatTensor, splitBatch, stackBatch, type TensorMap } from './tensor-batch.js';
