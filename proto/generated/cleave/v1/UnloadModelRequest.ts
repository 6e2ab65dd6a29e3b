// Original file: proto/cleave/v1/model_repository.proto


export interface UnloadModelRequest {
  'name'?: (string);
  'version'?: (string);
}

export interface UnloadModelRequest__Output {
  'name': (string);
  'version': (string);
}
