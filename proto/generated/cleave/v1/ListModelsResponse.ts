// Original file: proto/cleave/v1/split_inference.proto

import type { ModelSummary as _cleave_v1_ModelSummary, ModelSummary__Output as _cleave_v1_ModelSummary__Output } from '../../cleave/v1/ModelSummary';

export interface ListModelsResponse {
  'models'?: (_cleave_v1_ModelSummary)[];
}

export interface ListModelsResponse__Output {
  'models': (_cleave_v1_ModelSummary__Output)[];
}
