// Original file: proto/cleave/v1/split_inference.proto

import type { Long } from '@grpc/proto-loader';

export interface ServerTiming {
  'queue_us'?: (number | string | Long);
  'compute_us'?: (number | string | Long);
  'total_us'?: (number | string | Long);
}

export interface ServerTiming__Output {
  'queue_us': (string);
  'compute_us': (string);
  'total_us': (string);
}
