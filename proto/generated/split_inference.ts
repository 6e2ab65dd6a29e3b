import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { BottleneckSpec as _cleave_v1_BottleneckSpec, BottleneckSpec__Output as _cleave_v1_BottleneckSpec__Output } from './cleave/v1/BottleneckSpec';
import type { InferError as _cleave_v1_InferError, InferError__Output as _cleave_v1_InferError__Output } from './cleave/v1/InferError';
import type { InferRequest as _cleave_v1_InferRequest, InferRequest__Output as _cleave_v1_InferRequest__Output } from './cleave/v1/InferRequest';
import type { InferResponse as _cleave_v1_InferResponse, InferResponse__Output as _cleave_v1_InferResponse__Output } from './cleave/v1/InferResponse';
import type { InferResult as _cleave_v1_InferResult, InferResult__Output as _cleave_v1_InferResult__Output } from './cleave/v1/InferResult';
import type { ListModelsRequest as _cleave_v1_ListModelsRequest, ListModelsRequest__Output as _cleave_v1_ListModelsRequest__Output } from './cleave/v1/ListModelsRequest';
import type { ListModelsResponse as _cleave_v1_ListModelsResponse, ListModelsResponse__Output as _cleave_v1_ListModelsResponse__Output } from './cleave/v1/ListModelsResponse';
import type { ModelMetadataRequest as _cleave_v1_ModelMetadataRequest, ModelMetadataRequest__Output as _cleave_v1_ModelMetadataRequest__Output } from './cleave/v1/ModelMetadataRequest';
import type { ModelMetadataResponse as _cleave_v1_ModelMetadataResponse, ModelMetadataResponse__Output as _cleave_v1_ModelMetadataResponse__Output } from './cleave/v1/ModelMetadataResponse';
import type { ModelReadyRequest as _cleave_v1_ModelReadyRequest, ModelReadyRequest__Output as _cleave_v1_ModelReadyRequest__Output } from './cleave/v1/ModelReadyRequest';
import type { ModelReadyResponse as _cleave_v1_ModelReadyResponse, ModelReadyResponse__Output as _cleave_v1_ModelReadyResponse__Output } from './cleave/v1/ModelReadyResponse';
import type { ModelSummary as _cleave_v1_ModelSummary, ModelSummary__Output as _cleave_v1_ModelSummary__Output } from './cleave/v1/ModelSummary';
import type { ServerReadyRequest as _cleave_v1_ServerReadyRequest, ServerReadyRequest__Output as _cleave_v1_ServerReadyRequest__Output } from './cleave/v1/ServerReadyRequest';
import type { ServerReadyResponse as _cleave_v1_ServerReadyResponse, ServerReadyResponse__Output as _cleave_v1_ServerReadyResponse__Output } from './cleave/v1/ServerReadyResponse';
import type { ServerTiming as _cleave_v1_ServerTiming, ServerTiming__Output as _cleave_v1_ServerTiming__Output } from './cleave/v1/ServerTiming';
import type { SplitInferenceClient as _cleave_v1_SplitInferenceClient, SplitInferenceDefinition as _cleave_v1_SplitInferenceDefinition } from './cleave/v1/SplitInference';
import type { TensorSpec as _cleave_v1_TensorSpec, TensorSpec__Output as _cleave_v1_TensorSpec__Output } from './cleave/v1/TensorSpec';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cleave: {
    v1: {
      BottleneckSpec: MessageTypeDefinition<_cleave_v1_BottleneckSpec, _cleave_v1_BottleneckSpec__Output>
      InferError: MessageTypeDefinition<_cleave_v1_InferError, _cleave_v1_InferError__Output>
      InferRequest: MessageTypeDefinition<_cleave_v1_InferRequest, _cleave_v1_InferRequest__Output>
      InferResponse: MessageTypeDefinition<_cleave_v1_InferResponse, _cleave_v1_InferResponse__Output>
      InferResult: MessageTypeDefinition<_cleave_v1_InferResult, _cleave_v1_InferResult__Output>
      ListModelsRequest: MessageTypeDefinition<_cleave_v1_ListModelsRequest, _cleave_v1_ListModelsRequest__Output>
      ListModelsResponse: MessageTypeDefinition<_cleave_v1_ListModelsResponse, _cleave_v1_ListModelsResponse__Output>
      ModelMetadataRequest: MessageTypeDefinition<_cleave_v1_ModelMetadataRequest, _cleave_v1_ModelMetadataRequest__Output>
      ModelMetadataResponse: MessageTypeDefinition<_cleave_v1_ModelMetadataResponse, _cleave_v1_ModelMetadataResponse__Output>
      ModelReadyRequest: MessageTypeDefinition<_cleave_v1_ModelReadyRequest, _cleave_v1_ModelReadyRequest__Output>
      ModelReadyResponse: MessageTypeDefinition<_cleave_v1_ModelReadyResponse, _cleave_v1_ModelReadyResponse__Output>
      ModelSummary: MessageTypeDefinition<_cleave_v1_ModelSummary, _cleave_v1_ModelSummary__Output>
      ServerReadyRequest: MessageTypeDefinition<_cleave_v1_ServerReadyRequest, _cleave_v1_ServerReadyRequest__Output>
      ServerReadyResponse: MessageTypeDefinition<_cleave_v1_ServerReadyResponse, _cleave_v1_ServerReadyResponse__Output>
      ServerTiming: MessageTypeDefinition<_cleave_v1_ServerTiming, _cleave_v1_ServerTiming__Output>
      SplitInference: SubtypeConstructor<typeof grpc.Client, _cleave_v1_SplitInferenceClient> & { service: _cleave_v1_SplitInferenceDefinition }
      TensorSpec: MessageTypeDefinition<_cleave_v1_TensorSpec, _cleave_v1_TensorSpec__Output>
    }
  }
}

