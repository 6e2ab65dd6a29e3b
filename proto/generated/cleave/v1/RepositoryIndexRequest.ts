// Original file: proto/cleave/v1/model_repository.proto


export interface RepositoryIndexRequest {
  'ready_only'?: (boolean);
}

export interface RepositoryIndexRequest__Output {
  'ready_only': (boolean);
}
