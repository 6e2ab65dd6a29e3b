// Original file: proto/cleave/v1/model_repository.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { LoadModelRequest as _cleave_v1_LoadModelRequest, LoadModelRequest__Output as _cleave_v1_LoadModelRequest__Output } from '../../cleave/v1/LoadModelRequest';
import type { RepositoryIndexRequest as _cleave_v1_RepositoryIndexRequest, RepositoryIndexRequest__Output as _cleave_v1_RepositoryIndexRequest__Output } from '../../cleave/v1/RepositoryIndexRequest';
import type { RepositoryIndexResponse as _cleave_v1_RepositoryIndexResponse, RepositoryIndexResponse__Output as _cleave_v1_RepositoryIndexResponse__Output } from '../../cleave/v1/RepositoryIndexResponse';
import type { UnloadModelRequest as _cleave_v1_UnloadModelRequest, UnloadModelRequest__Output as _cleave_v1_UnloadModelRequest__Output } from '../../cleave/v1/UnloadModelRequest';

export interface ModelRepositoryClient extends grpc.Client {
  Index(argument: _cleave_v1_RepositoryIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  Index(argument: _cleave_v1_RepositoryIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  Index(argument: _cleave_v1_RepositoryIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  Index(argument: _cleave_v1_RepositoryIndexRequest, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  index(argument: _cleave_v1_RepositoryIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  index(argument: _cleave_v1_RepositoryIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  index(argument: _cleave_v1_RepositoryIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  index(argument: _cleave_v1_RepositoryIndexRequest, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  
  Load(argument: _cleave_v1_LoadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  Load(argument: _cleave_v1_LoadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  Load(argument: _cleave_v1_LoadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  Load(argument: _cleave_v1_LoadModelRequest, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  load(argument: _cleave_v1_LoadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  load(argument: _cleave_v1_LoadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  load(argument: _cleave_v1_LoadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  load(argument: _cleave_v1_LoadModelRequest, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  
  Unload(argument: _cleave_v1_UnloadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  Unload(argument: _cleave_v1_UnloadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  Unload(argument: _cleave_v1_UnloadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  Unload(argument: _cleave_v1_UnloadModelRequest, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  unload(argument: _cleave_v1_UnloadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  unload(argument: _cleave_v1_UnloadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  unload(argument: _cleave_v1_UnloadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  unload(argument: _cleave_v1_UnloadModelRequest, callback: grpc.requestCallback<_cleave_v1_RepositoryIndexResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ModelRepositoryHandlers extends grpc.UntypedServiceImplementation {
  Index: grpc.handleUnaryCall<_cleave_v1_RepositoryIndexRequest__Output, _cleave_v1_RepositoryIndexResponse>;
  
  Load: grpc.handleUnaryCall<_cleave_v1_LoadModelRequest__Output, _cleave_v1_RepositoryIndexResponse>;
  
  Unload: grpc.handleUnaryCall<_cleave_v1_UnloadModelRequest__Output, _cleave_v1_RepositoryIndexResponse>;
  
}

export interface ModelRepositoryDefinition extends grpc.ServiceDefinition {
  Index: MethodDefinition<_cleave_v1_RepositoryIndexRequest, _cleave_v1_RepositoryIndexResponse, _cleave_v1_RepositoryIndexRequest__Output, _cleave_v1_RepositoryIndexResponse__Output>
  Load: MethodDefinition<_cleave_v1_LoadModelRequest, _cleave_v1_RepositoryIndexResponse, _cleave_v1_LoadModelRequest__Output, _cleave_v1_RepositoryIndexResponse__Output>
  Unload: MethodDefinition<_cleave_v1_UnloadModelRequest, _cleave_v1_RepositoryIndexResponse, _cleave_v1_UnloadModelRequest__Output, _cleave_v1_RepositoryIndexResponse__Output>
}
