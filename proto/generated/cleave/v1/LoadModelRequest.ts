// Original file: proto/cleave/v1/model_repository.proto


export interface LoadModelRequest {
  'name'?: (string);
}

export interface LoadModelRequest__Output {
  'name': (string);
}
