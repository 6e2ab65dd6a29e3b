// Original file: proto/cleave/v1/split_inference.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { InferRequest as _cleave_v1_InferRequest, InferRequest__Output as _cleave_v1_InferRequest__Output } from '../../cleave/v1/InferRequest';
import type { InferResponse as _cleave_v1_InferResponse, InferResponse__Output as _cleave_v1_InferResponse__Output } from '../../cleave/v1/InferResponse';
import type { ListModelsRequest as _cleave_v1_ListModelsRequest, ListModelsRequest__Output as _cleave_v1_ListModelsRequest__Output } from '../../cleave/v1/ListModelsRequest';
import type { ListModelsResponse as _cleave_v1_ListModelsResponse, ListModelsResponse__Output as _cleave_v1_ListModelsResponse__Output } from '../../cleave/v1/ListModelsResponse';
import type { ModelMetadataRequest as _cleave_v1_ModelMetadataRequest, ModelMetadataRequest__Output as _cleave_v1_ModelMetadataRequest__Output } from '../../cleave/v1/ModelMetadataRequest';
import type { ModelMetadataResponse as _cleave_v1_ModelMetadataResponse, ModelMetadataResponse__Output as _cleave_v1_ModelMetadataResponse__Output } from '../../cleave/v1/ModelMetadataResponse';
import type { ModelReadyRequest as _cleave_v1_ModelReadyRequest, ModelReadyRequest__Output as _cleave_v1_ModelReadyRequest__Output } from '../../cleave/v1/ModelReadyRequest';
import type { ModelReadyResponse as _cleave_v1_ModelReadyResponse, ModelReadyResponse__Output as _cleave_v1_ModelReadyResponse__Output } from '../../cleave/v1/ModelReadyResponse';
import type { ServerReadyRequest as _cleave_v1_ServerReadyRequest, ServerReadyRequest__Output as _cleave_v1_ServerReadyRequest__Output } from '../../cleave/v1/ServerReadyRequest';
import type { ServerReadyResponse as _cleave_v1_ServerReadyResponse, ServerReadyResponse__Output as _cleave_v1_ServerReadyResponse__Output } from '../../cleave/v1/ServerReadyResponse';

export interface SplitInferenceClient extends grpc.Client {
  GetModelMetadata(argument: _cleave_v1_ModelMetadataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ModelMetadataResponse__Output>): grpc.ClientUnaryCall;
  GetModelMetadata(argument: _cleave_v1_ModelMetadataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_ModelMetadataResponse__Output>): grpc.ClientUnaryCall;
  GetModelMetadata(argument: _cleave_v1_ModelMetadataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ModelMetadataResponse__Output>): grpc.ClientUnaryCall;
  GetModelMetadata(argument: _cleave_v1_ModelMetadataRequest, callback: grpc.requestCallback<_cleave_v1_ModelMetadataResponse__Output>): grpc.ClientUnaryCall;
  getModelMetadata(argument: _cleave_v1_ModelMetadataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ModelMetadataResponse__Output>): grpc.ClientUnaryCall;
  getModelMetadata(argument: _cleave_v1_ModelMetadataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_ModelMetadataResponse__Output>): grpc.ClientUnaryCall;
  getModelMetadata(argument: _cleave_v1_ModelMetadataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ModelMetadataResponse__Output>): grpc.ClientUnaryCall;
  getModelMetadata(argument: _cleave_v1_ModelMetadataRequest, callback: grpc.requestCallback<_cleave_v1_ModelMetadataResponse__Output>): grpc.ClientUnaryCall;
  
  Infer(argument: _cleave_v1_InferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  Infer(argument: _cleave_v1_InferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  Infer(argument: _cleave_v1_InferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  Infer(argument: _cleave_v1_InferRequest, callback: grpc.requestCallback<_cleave_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  infer(argument: _cleave_v1_InferRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  infer(argument: _cleave_v1_InferRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  infer(argument: _cleave_v1_InferRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  infer(argument: _cleave_v1_InferRequest, callback: grpc.requestCallback<_cleave_v1_InferResponse__Output>): grpc.ClientUnaryCall;
  
  InferStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_cleave_v1_InferRequest, _cleave_v1_InferResponse__Output>;
  InferStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_cleave_v1_InferRequest, _cleave_v1_InferResponse__Output>;
  inferStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_cleave_v1_InferRequest, _cleave_v1_InferResponse__Output>;
  inferStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_cleave_v1_InferRequest, _cleave_v1_InferResponse__Output>;
  
  ListModels(argument: _cleave_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _cleave_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _cleave_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _cleave_v1_ListModelsRequest, callback: grpc.requestCallback<_cleave_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _cleave_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _cleave_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _cleave_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _cleave_v1_ListModelsRequest, callback: grpc.requestCallback<_cleave_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  
  ModelReady(argument: _cleave_v1_ModelReadyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ModelReadyResponse__Output>): grpc.ClientUnaryCall;
  ModelReady(argument: _cleave_v1_ModelReadyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_ModelReadyResponse__Output>): grpc.ClientUnaryCall;
  ModelReady(argument: _cleave_v1_ModelReadyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ModelReadyResponse__Output>): grpc.ClientUnaryCall;
  ModelReady(argument: _cleave_v1_ModelReadyRequest, callback: grpc.requestCallback<_cleave_v1_ModelReadyResponse__Output>): grpc.ClientUnaryCall;
  modelReady(argument: _cleave_v1_ModelReadyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ModelReadyResponse__Output>): grpc.ClientUnaryCall;
  modelReady(argument: _cleave_v1_ModelReadyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_ModelReadyResponse__Output>): grpc.ClientUnaryCall;
  modelReady(argument: _cleave_v1_ModelReadyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ModelReadyResponse__Output>): grpc.ClientUnaryCall;
  modelReady(argument: _cleave_v1_ModelReadyRequest, callback: grpc.requestCallback<_cleave_v1_ModelReadyResponse__Output>): grpc.ClientUnaryCall;
  
  ServerReady(argument: _cleave_v1_ServerReadyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ServerReadyResponse__Output>): grpc.ClientUnaryCall;
  ServerReady(argument: _cleave_v1_ServerReadyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_ServerReadyResponse__Output>): grpc.ClientUnaryCall;
  ServerReady(argument: _cleave_v1_ServerReadyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ServerReadyResponse__Output>): grpc.ClientUnaryCall;
  ServerReady(argument: _cleave_v1_ServerReadyRequest, callback: grpc.requestCallback<_cleave_v1_ServerReadyResponse__Output>): grpc.ClientUnaryCall;
  serverReady(argument: _cleave_v1_ServerReadyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ServerReadyResponse__Output>): grpc.ClientUnaryCall;
  serverReady(argument: _cleave_v1_ServerReadyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_ServerReadyResponse__Output>): grpc.ClientUnaryCall;
  serverReady(argument: _cleave_v1_ServerReadyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_ServerReadyResponse__Output>): grpc.ClientUnaryCall;
  serverReady(argument: _cleave_v1_ServerReadyRequest, callback: grpc.requestCallback<_cleave_v1_ServerReadyResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface SplitInferenceHandlers extends grpc.UntypedServiceImplementation {
  GetModelMetadata: grpc.handleUnaryCall<_cleave_v1_ModelMetadataRequest__Output, _cleave_v1_ModelMetadataResponse>;
  
  Infer: grpc.handleUnaryCall<_cleave_v1_InferRequest__Output, _cleave_v1_InferResponse>;
  
  InferStream: grpc.handleBidiStreamingCall<_cleave_v1_InferRequest__Output, _cleave_v1_InferResponse>;
  
  ListModels: grpc.handleUnaryCall<_cleave_v1_ListModelsRequest__Output, _cleave_v1_ListModelsResponse>;
  
  ModelReady: grpc.handleUnaryCall<_cleave_v1_ModelReadyRequest__Output, _cleave_v1_ModelReadyResponse>;
  
  ServerReady: grpc.handleUnaryCall<_cleave_v1_ServerReadyRequest__Output, _cleave_v1_ServerReadyResponse>;
  
}

export interface SplitInferenceDefinition extends grpc.ServiceDefinition {
  GetModelMetadata: MethodDefinition<_cleave_v1_ModelMetadataRequest, _cleave_v1_ModelMetadataResponse, _cleave_v1_ModelMetadataRequest__Output, _cleave_v1_ModelMetadataResponse__Output>
  Infer: MethodDefinition<_cleave_v1_InferRequest, _cleave_v1_InferResponse, _cleave_v1_InferRequest__Output, _cleave_v1_InferResponse__Output>
  InferStream: MethodDefinition<_cleave_v1_InferRequest, _cleave_v1_InferResponse, _cleave_v1_InferRequest__Output, _cleave_v1_InferResponse__Output>
  ListModels: MethodDefinition<_cleave_v1_ListModelsRequest, _cleave_v1_ListModelsResponse, _cleave_v1_ListModelsRequest__Output, _cleave_v1_ListModelsResponse__Output>
  ModelReady: MethodDefinition<_cleave_v1_ModelReadyRequest, _cleave_v1_ModelReadyResponse, _cleave_v1_ModelReadyRequest__Output, _cleave_v1_ModelReadyResponse__Output>
  ServerReady: MethodDefinition<_cleave_v1_ServerReadyRequest, _cleave_v1_ServerReadyResponse, _cleave_v1_ServerReadyRequest__Output, _cleave_v1_ServerReadyResponse__Output>
}
