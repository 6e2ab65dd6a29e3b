export { createDashboardRoutes, type DashboardData, type DashboardOptions } from './dashboard/index.js';
export {
  type BatchedResult,
  type BatcherStats,
  createDynamicBatcher,
  type DynamicBatcher,
} from './dynamic-batcher.js';
export {
  createModelRegistry,
  type IndexEntry,
  type ModelRegistry,
  type RegistryEvent,
  type ServedModel,
} from './model-registry.js';
export {
  type ResolvedServerOptions,
  resolveServerOptions,
  type ServerOptions,
  ServerOptionsSchema,
} from './server-options.js';
export { ServingError, ServingErrorCode } from './serving-errors.js';
export {
  type DeclaredModel,
  inferFrame,
  MODEL_METADATA_KEY,
  parseDeclaredModel,
  softmaxTop,
} from './tail-inference.js';
export { createTailServer, type TailServer } from './tail-server.js';
export { compareVersions, type VersionPolicy, versionCandidates } from './version-policy.js';
