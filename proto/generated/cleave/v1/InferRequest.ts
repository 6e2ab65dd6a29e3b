// Original file: proto/cleave/v1/split_inference.proto

import type { InferRequest as _cleave_v1_InferRequest, InferRequest__Output as _cleave_v1_InferRequest__Output } from '../../cleave/v1/InferRequest';

export interface InferRequest {
  'request_id'?: (string);
  'frame'?: (Buffer | Uint8Array | string);
  'timeout_ms'?: (number);
  'parameters'?: ({[key: string]: string});
  'id'?: (number);
  'trace'?: (Buffer | Uint8Array | string);
  'want_logits'?: (boolean);
  'bundle'?: (_cleave_v1_InferRequest)[];
}

export interface InferRequest__Output {
  'request_id': (string);
  'frame': (Buffer);
  'timeout_ms': (number);
  'parameters': ({[key: string]: string});
  'id': (number);
  'trace': (Buffer);
  'want_logits': (boolean);
  'bundle': (_cleave_v1_InferRequest__Output)[];
}
