// Original file: proto/cleave/v1/split_inference.proto


export interface InferError {
  'code'?: (string);
  'grpc_code'?: (number);
  'message'?: (string);
}

export interface InferError__Output {
  'code': (string);
  'grpc_code': (number);
  'message': (string);
}
