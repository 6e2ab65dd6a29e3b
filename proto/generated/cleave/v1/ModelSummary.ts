// Original file: proto/cleave/v1/split_inference.proto


export interface ModelSummary {
  'name'?: (string);
  'versions'?: (string)[];
  'ready'?: (boolean);
}

export interface ModelSummary__Output {
  'name': (string);
  'versions': (string)[];
  'ready': (boolean);
}
