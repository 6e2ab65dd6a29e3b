// Original file: proto/cleave/v1/split_inference.proto

import type { ServerTiming as _cleave_v1_ServerTiming, ServerTiming__Output as _cleave_v1_ServerTiming__Output } from '../../cleave/v1/ServerTiming';

export interface InferResult {
  'model_name'?: (string);
  'model_version'?: (string);
  'label'?: (number);
  'score'?: (number | string);
  'logits'?: (number | string)[];
  'timing'?: (_cleave_v1_ServerTiming | null);
  'batch_size'?: (number);
}

export interface InferResult__Output {
  'model_name': (string);
  'model_version': (string);
  'label': (number);
  'score': (number);
  'logits': (number)[];
  'timing': (_cleave_v1_ServerTiming__Output | null);
  'batch_size': (number);
}
