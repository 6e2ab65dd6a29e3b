export { BUNDLE_METADATA_KEY } from './bundles.js';
export {
  ERROR_CODE_STATUS,
  type ErrorCode,
  type ErrorStatus,
  grpcStatusOfCode,
  httpStatusOfGrpc,
  isErrorCode,
  statusOfError,
} from './error-status.js';
export {
  HEALTH_SERVICE_NAME,
  HealthImplementation,
  healthProtoPath,
  healthService,
  loadHealthPackageDefinition,
  type ServingStatus,
  type ServingStatusMap,
} from './health.js';
export { HttpError, type ListeningHttpServer, listenHttp, readBody, sendJson } from './http-endpoint.js';
export { createInferError, type GrpcStatusName } from './infer-error.js';
export { decodeInferRequest, encodeInferResponse } from './lean-request.js';
export { loadCleavePackageDefinition, loadCleaveProto, PROTO_LOADER_OPTIONS } from './load-cleave-proto.js';
export {
  loadModelRepositoryPackageDefinition,
  loadModelRepositoryProto,
} from './load-model-repository-proto.js';
export type * from './messages.js';
export {
  MODEL_REPOSITORY_PROTO_FILE,
  MODEL_REPOSITORY_SERVICE_NAME,
  PROTO_ROOT,
  SPLIT_INFERENCE_PROTO_FILE,
  SPLIT_INFERENCE_PROTO_PATH,
  SPLIT_INFERENCE_SERVICE_NAME,
} from './proto-paths.js';
export {
  type ByteCountingProxy,
  type DirectionCounts,
  IP_TCP_HEADER_BYTES,
  perOffload,
  type SocketCounts,
  startByteCountingProxy,
} from './socket/byte-counting-proxy.js';
export { createHttp2FrameCounter, type Http2Counts } from './socket/http2-frame-counter.js';
