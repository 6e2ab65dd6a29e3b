// ONNX models in and out through protobufjs and the official onnx.proto (IR version 8, vendored in
// ../proto). Decoded messages are used as they are: cutting a graph reuses the original node and
// initializer messages, so weights are never copied or converted on the way through.
import { join } from 'node:path';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(join(import.meta.dirname, '..', 'proto', 'onnx.proto'));
const ModelProto = root.lookupType('onnx.ModelProto');

/** int64 fields decode as Long (protobufjs with the `long` package) or number. */
export type Int64 = number | { toNumber(): number };

export const int64 = (v: Int64 | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

/** TensorProto.DataType values this package reads. */
export const OnnxDataType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

/** TensorProto.DataLocation.EXTERNAL: weights kept in a side file, which this package refuses. */
const DATA_LOCATION_EXTERNAL = 1;

export interface TensorMsg {
  name: string;
  dims: Int64[];
  dataType: number;
  rawData: Uint8Array;
  floatData: number[];
  int64Data: Int64[];
  int32Data: number[];
  dataLocation: number;
}

export interface AttributeMsg {
  name: string;
  type: number;
  i: Int64;
  f: number;
  ints: Int64[];
  t: TensorMsg | null;
  g: GraphMsg | null;
  graphs: GraphMsg[];
}

export interface NodeMsg {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: AttributeMsg[];
}

export interface DimMsg {
  dimValue?: Int64;
  dimParam?: string;
}

export interface ValueInfoMsg {
  name: string;
  type: { tensorType?: { elemType: number; shape?: { dim: DimMsg[] } | null } | null } | null;
}

export interface GraphMsg {
  node: NodeMsg[];
  name: string;
  initializer: TensorMsg[];
  sparseInitializer: unknown[];
  input: ValueInfoMsg[];
  output: ValueInfoMsg[];
  valueInfo: ValueInfoMsg[];
}

export interface OpsetMsg {
  domain: string;
  version: Int64;
}

export interface ModelMsg {
  irVersion: Int64;
  opsetImport: OpsetMsg[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: Int64;
  docString: string;
  graph: GraphMsg | null;
  metadataProps: { key: string; value: string }[];
  functions: unknown[];
}

/** A model that cannot be read or cut, with what to do about it. */
export class OnnxModelError extends Error {
  override readonly name = 'OnnxModelError';
}

/** Parses ONNX bytes. Refuses what cannot be cut here: no graph, external weights. */
export function decodeOnnxModel(bytes: Uint8Array): ModelMsg {
  let model: ModelMsg;
  try {
    model = ModelProto.decode(bytes) as unknown as ModelMsg;
  } catch (error) {
    throw new OnnxModelError(`not an ONNX model: ${(error as Error).message}`);
  }
  if (!model.graph || model.graph.node.length === 0) throw new OnnxModelError('the ONNX model has no graph');
  const external = model.graph.initializer.find((t) => t.dataLocation === DATA_LOCATION_EXTERNAL);
  if (external) {
    throw new OnnxModelError(
      `initializer "${external.name}" keeps its data in an external file; re-export with the weights inside the .onnx file (models under 2 GB)`,
    );
  }
  return model;
}

export function encodeOnnxModel(model: ModelMsg): Uint8Array {
  return ModelProto.encode(model as unknown as protobuf.Message).finish();
}

/** A float32 tensor value_info with a symbolic batch dimension first. */
export function floatValueInfo(name: string, sampleDims: readonly number[], batch = 'batch'): ValueInfoMsg {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxDataType.FLOAT,
        shape: { dim: [{ dimParam: batch }, ...sampleDims.map((d) => ({ dimValue: d }))] },
      },
    },
  };
}

/** Dims of a value_info: numbers, or the symbolic name (or '?') where a dim is not fixed. */
export function valueInfoDims(info: ValueInfoMsg): Array<number | string> | undefined {
  const shape = info.type?.tensorType?.shape;
  if (!shape) return undefined;
  return shape.dim.map((d) => {
    const v = int64(d.dimValue);
    return v > 0 ? v : d.dimParam || '?';
  });
}

export function valueInfoElemType(info: ValueInfoMsg): number | undefined {
  return info.type?.tensorType?.elemType || undefined;
}

/** The values of a float32 initializer, from raw_data or float_data. */
export function tensorFloats(t: TensorMsg): Float32Array {
  if (t.dataType !== OnnxDataType.FLOAT) throw new OnnxModelError(`tensor "${t.name}" is not float32`);
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData); // aligned, owned
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  return Float32Array.from(t.floatData);
}

/** A float32 initializer message (little-endian raw_data). */
export function floatTensor(name: string, dims: readonly number[], data: Float32Array): TensorMsg {
  return {
    name,
    dims: [...dims],
    dataType: OnnxDataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    floatData: [],
    int64Data: [],
    int32Data: [],
    dataLocation: 0,
  };
}

/** An int64 initializer message, e.g. a Reshape target. */
export function int64Tensor(name: string, dims: readonly number[], data: readonly number[]): TensorMsg {
  const raw = new BigInt64Array(data.map((v) => BigInt(v)));
  return {
    name,
    dims: [...dims],
    dataType: OnnxDataType.INT64,
    rawData: new Uint8Array(raw.buffer),
    floatData: [],
    int64Data: [],
    int32Data: [],
    dataLocation: 0,
  };
}

/** A node message; attributes are integers or integer lists. */
export function makeNode(
  opType: string,
  input: string[],
  output: string[],
  name: string,
  attributes: Record<string, number | number[]> = {},
): NodeMsg {
  return {
    input,
    output,
    name,
    opType,
    domain: '',
    attribute: Object.entries(attributes).map(([key, value]) =>
      typeof value === 'number'
        ? ({ name: key, type: 2, i: value } as AttributeMsg)
        : ({ name: key, type: 7, ints: value } as AttributeMsg),
    ),
  };
}
