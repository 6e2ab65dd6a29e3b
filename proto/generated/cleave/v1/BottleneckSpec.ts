// Original file: proto/cleave/v1/split_inference.proto


export interface BottleneckSpec {
  'shape'?: (number)[];
  'bits'?: (number);
}

export interface BottleneckSpec__Output {
  'shape': (number)[];
  'bits': (number);
}
