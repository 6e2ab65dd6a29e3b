// Original file: proto/cleave/v1/model_repository.proto


export interface RepositoryModel {
  'name'?: (string);
  'version'?: (string);
  'state'?: (string);
  'reason'?: (string);
  'path'?: (string);
}

export interface RepositoryModel__Output {
  'name': (string);
  'version': (string);
  'state': (string);
  'reason': (string);
  'path': (string);
}
