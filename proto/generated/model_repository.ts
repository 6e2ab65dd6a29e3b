import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { LoadModelRequest as _cleave_v1_LoadModelRequest, LoadModelRequest__Output as _cleave_v1_LoadModelRequest__Output } from './cleave/v1/LoadModelRequest';
import type { ModelRepositoryClient as _cleave_v1_ModelRepositoryClient, ModelRepositoryDefinition as _cleave_v1_ModelRepositoryDefinition } from './cleave/v1/ModelRepository';
import type { RepositoryIndexRequest as _cleave_v1_RepositoryIndexRequest, RepositoryIndexRequest__Output as _cleave_v1_RepositoryIndexRequest__Output } from './cleave/v1/RepositoryIndexRequest';
import type { RepositoryIndexResponse as _cleave_v1_RepositoryIndexResponse, RepositoryIndexResponse__Output as _cleave_v1_RepositoryIndexResponse__Output } from './cleave/v1/RepositoryIndexResponse';
import type { RepositoryModel as _cleave_v1_RepositoryModel, RepositoryModel__Output as _cleave_v1_RepositoryModel__Output } from './cleave/v1/RepositoryModel';
import type { UnloadModelRequest as _cleave_v1_UnloadModelRequest, UnloadModelRequest__Output as _cleave_v1_UnloadModelRequest__Output } from './cleave/v1/UnloadModelRequest';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  cleave: {
    v1: {
      LoadModelRequest: MessageTypeDefinition<_cleave_v1_LoadModelRequest, _cleave_v1_LoadModelRequest__Output>
      ModelRepository: SubtypeConstructor<typeof grpc.Client, _cleave_v1_ModelRepositoryClient> & { service: _cleave_v1_ModelRepositoryDefinition }
      RepositoryIndexRequest: MessageTypeDefinition<_cleave_v1_RepositoryIndexRequest, _cleave_v1_RepositoryIndexRequest__Output>
      RepositoryIndexResponse: MessageTypeDefinition<_cleave_v1_RepositoryIndexResponse, _cleave_v1_RepositoryIndexResponse__Output>
      RepositoryModel: MessageTypeDefinition<_cleave_v1_RepositoryModel, _cleave_v1_RepositoryModel__Output>
      UnloadModelRequest: MessageTypeDefinition<_cleave_v1_UnloadModelRequest, _cleave_v1_UnloadModelRequest__Output>
    }
  }
}

