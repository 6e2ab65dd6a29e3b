// Original file: proto/cleave/v1/split_inference.proto

import type { Long } from '@grpc/proto-loader';

export interface TensorSpec {
  'name'?: (string);
  'datatype'?: (string);
  'shape'?: (number | string | Long)[];
}

export interface TensorSpec__Output {
  'name': (string);
  'datatype': (string);
  'shape': (string)[];
}
