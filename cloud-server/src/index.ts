export {
  type BatchedResult,
  type BatcherStats,
  createDynamicBatcher,
  type DynamicBatcher,
} from './dynamic-batcher.js';
export {
  compareVersions,
  createModelRegistry,
  type ModelRegistry,
  type ServedModel,
} from './model-registry.js';
export {
  OptionsError,
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
  ServerOptionsSchema,
} from './server-options.js';
export { ServingError, ServingErrorCode, statusName, toGrpcStatus } from './serving-errors.js';
export {
  type DeclaredModel,
  inferFrame,
  MODEL_METADATA_KEY,
  parseDeclaredModel,
  softmaxTop,
} from './tail-inference.js';
export { createTailServer, type TailServer } from './tail-server.js';
