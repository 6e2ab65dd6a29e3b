// Original file: proto/cleave/v1/split_inference.proto

import type { InferResult as _cleave_v1_InferResult, InferResult__Output as _cleave_v1_InferResult__Output } from '../../cleave/v1/InferResult';
import type { InferError as _cleave_v1_InferError, InferError__Output as _cleave_v1_InferError__Output } from '../../cleave/v1/InferError';
import type { InferResponse as _cleave_v1_InferResponse, InferResponse__Output as _cleave_v1_InferResponse__Output } from '../../cleave/v1/InferResponse';

export interface InferResponse {
  'request_id'?: (string);
  'result'?: (_cleave_v1_InferResult | null);
  'error'?: (_cleave_v1_InferError | null);
  'id'?: (number);
  'label'?: (number);
  'score_e4'?: (number);
  'server_100us'?: (number);
  'logits'?: (number | string)[];
  'model'?: (string);
  'bundle'?: (_cleave_v1_InferResponse)[];
  'outcome'?: "result"|"error";
}

export interface InferResponse__Output {
  'request_id': (string);
  'result'?: (_cleave_v1_InferResult__Output | null);
  'error'?: (_cleave_v1_InferError__Output | null);
  'id': (number);
  'label': (number);
  'score_e4': (number);
  'server_100us': (number);
  'logits': (number)[];
  'model': (string);
  'bundle': (_cleave_v1_InferResponse__Output)[];
  'outcome'?: "result"|"error";
}
