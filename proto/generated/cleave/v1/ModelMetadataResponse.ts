// Original file: proto/cleave/v1/split_inference.proto

import type { BottleneckSpec as _cleave_v1_BottleneckSpec, BottleneckSpec__Output as _cleave_v1_BottleneckSpec__Output } from '../../cleave/v1/BottleneckSpec';
import type { TensorSpec as _cleave_v1_TensorSpec, TensorSpec__Output as _cleave_v1_TensorSpec__Output } from '../../cleave/v1/TensorSpec';

export interface ModelMetadataResponse {
  'name'?: (string);
  'versions'?: (string)[];
  'labels'?: (string)[];
  'bottleneck'?: (_cleave_v1_BottleneckSpec | null);
  'head_sha256'?: (string);
  'platform'?: (string);
  'inputs'?: (_cleave_v1_TensorSpec)[];
  'outputs'?: (_cleave_v1_TensorSpec)[];
}

export interface ModelMetadataResponse__Output {
  'name': (string);
  'versions': (string)[];
  'labels': (string)[];
  'bottleneck': (_cleave_v1_BottleneckSpec__Output | null);
  'head_sha256': (string);
  'platform': (string);
  'inputs': (_cleave_v1_TensorSpec__Output)[];
  'outputs': (_cleave_v1_TensorSpec__Output)[];
}
