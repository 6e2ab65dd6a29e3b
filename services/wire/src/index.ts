export {
  HEALTH_SERVICE_NAME,
  HealthImplementation,
  healthProtoPath,
  healthService,
  loadHealthPackageDefinition,
  type ServingStatus,
  type ServingStatusMap,
} from './health.js';
export { createInferError, type GrpcStatusName } from './infer-error.js';
export { loadCleavePackageDefinition, loadCleaveProto, PROTO_LOADER_OPTIONS } from './load-cleave-proto.js';
export type * from './messages.js';
export {
  PROTO_ROOT,
  SPLIT_INFERENCE_PROTO_FILE,
  SPLIT_INFERENCE_PROTO_PATH,
  SPLIT_INFERENCE_SERVICE_NAME,
} from './proto-paths.js';
