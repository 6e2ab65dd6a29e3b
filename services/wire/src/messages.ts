// Typed messages and service shapes of cleave.v1, re-exported from the committed
// proto-loader-gen-types output so callers never import from proto/generated directly.
// `X` is the permissive shape you write; `X__Output` is what you read (defaults filled in,
// uint64 as decimal strings).
export type {
  BottleneckSpec,
  BottleneckSpec__Output,
} from '@cleave/proto/generated/cleave/v1/BottleneckSpec.js';
export type { InferError, InferError__Output } from '@cleave/proto/generated/cleave/v1/InferError.js';
export type { InferRequest, InferRequest__Output } from '@cleave/proto/generated/cleave/v1/InferRequest.js';
export type {
  InferResponse,
  InferResponse__Output,
} from '@cleave/proto/generated/cleave/v1/InferResponse.js';
export type { InferResult, InferResult__Output } from '@cleave/proto/generated/cleave/v1/InferResult.js';
export type {
  ListModelsRequest,
  ListModelsRequest__Output,
} from '@cleave/proto/generated/cleave/v1/ListModelsRequest.js';
export type {
  ListModelsResponse,
  ListModelsResponse__Output,
} from '@cleave/proto/generated/cleave/v1/ListModelsResponse.js';
export type {
  LoadModelRequest,
  LoadModelRequest__Output,
} from '@cleave/proto/generated/cleave/v1/LoadModelRequest.js';
export type {
  ModelMetadataRequest,
  ModelMetadataRequest__Output,
} from '@cleave/proto/generated/cleave/v1/ModelMetadataRequest.js';
export type {
  ModelMetadataResponse,
  ModelMetadataResponse__Output,
} from '@cleave/proto/generated/cleave/v1/ModelMetadataResponse.js';
export type {
  ModelReadyRequest,
  ModelReadyRequest__Output,
} from '@cleave/proto/generated/cleave/v1/ModelReadyRequest.js';
export type {
  ModelReadyResponse,
  ModelReadyResponse__Output,
} from '@cleave/proto/generated/cleave/v1/ModelReadyResponse.js';
export type {
  ModelRepositoryClient,
  ModelRepositoryHandlers,
} from '@cleave/proto/generated/cleave/v1/ModelRepository.js';
export type { ModelSummary, ModelSummary__Output } from '@cleave/proto/generated/cleave/v1/ModelSummary.js';
export type {
  RepositoryIndexRequest,
  RepositoryIndexRequest__Output,
} from '@cleave/proto/generated/cleave/v1/RepositoryIndexRequest.js';
export type {
  RepositoryIndexResponse,
  RepositoryIndexResponse__Output,
} from '@cleave/proto/generated/cleave/v1/RepositoryIndexResponse.js';
export type {
  RepositoryModel,
  RepositoryModel__Output,
} from '@cleave/proto/generated/cleave/v1/RepositoryModel.js';
export type {
  ServerReadyRequest,
  ServerReadyRequest__Output,
} from '@cleave/proto/generated/cleave/v1/ServerReadyRequest.js';
export type {
  ServerReadyResponse,
  ServerReadyResponse__Output,
} from '@cleave/proto/generated/cleave/v1/ServerReadyResponse.js';
export type { ServerTiming, ServerTiming__Output } from '@cleave/proto/generated/cleave/v1/ServerTiming.js';
export type {
  SplitInferenceClient,
  SplitInferenceDefinition,
  SplitInferenceHandlers,
} from '@cleave/proto/generated/cleave/v1/SplitInference.js';
export type { TensorSpec, TensorSpec__Output } from '@cleave/proto/generated/cleave/v1/TensorSpec.js';
export type {
  UnloadModelRequest,
  UnloadModelRequest__Output,
} from '@cleave/proto/generated/cleave/v1/UnloadModelRequest.js';
export type { ProtoGrpcType } from '@cleave/proto/generated/split_inference.js';
