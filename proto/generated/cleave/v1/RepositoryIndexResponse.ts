// Original file: proto/cleave/v1/model_repository.proto

import type { RepositoryModel as _cleave_v1_RepositoryModel, RepositoryModel__Output as _cleave_v1_RepositoryModel__Output } from '../../cleave/v1/RepositoryModel';

export interface RepositoryIndexResponse {
  'models'?: (_cleave_v1_RepositoryModel)[];
}

export interface RepositoryIndexResponse__Output {
  'models': (_cleave_v1_RepositoryModel__Output)[];
}
