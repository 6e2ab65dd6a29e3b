// Builds small, real ONNX models from TypeScript, for tests that need ONNX Runtime without Python.
// Only the subset of onnx.proto these graphs use is declared; field numbers follow onnx/onnx.proto.
import protobuf from 'protobufjs';

const ONNX_FLOAT = 1;
const ONNX_INT64 = 7;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: repeated('OperatorSetIdProto', 8),
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: { type: 'string', id: 2 },
            initializer: repeated('TensorProto', 5),
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: repeated('AttributeProto', 5),
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            i: { type: 'int64', id: 3 },
            ints: repeated('int64', 8),
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } } },
        TypeProtoTensor: {
          fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
        },
        TensorShapeProto: { fields: { dim: repeated('Dimension', 1) } },
        Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
      },
    },
  },
});
const ModelProto = root.lookupType('onnx.ModelProto');

/** A float32 graph input or output; a string dimension is symbolic (e.g. 'batch'). */
export interface OnnxValueInfo {
  name: string;
  shape: ReadonlyArray<number | string>;
}

/** A constant tensor stored in the model: float32 weights or int64 shapes. */
export interface OnnxInitializer {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Integer attributes only (e.g. Flatten's `axis`). */
  attributes?: Record<string, number | readonly number[]>;
}

export interface OnnxGraph {
  name?: string;
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  initializers?: readonly OnnxInitializer[];
  nodes: readonly OnnxNode[];
  /** Default opset 17. */
  opset?: number;
}

const valueInfo = (v: OnnxValueInfo) => ({
  name: v.name,
  type: {
    tensorType: {
      elemType: ONNX_FLOAT,
      shape: { dim: v.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  },
});

const tensor = (t: OnnxInitializer) => ({
  name: t.name,
  dims: [...t.dims],
  dataType: t.data instanceof Float32Array ? ONNX_FLOAT : ONNX_INT64,
  // raw_data is little-endian, as typed arrays are on every platform Node supports.
  rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
});

const node = (n: OnnxNode, i: number) => ({
  name: `${n.opType.toLowerCase()}_${i}`,
  opType: n.opType,
  input: [...n.inputs],
  output: [...n.outputs],
  attribute: Object.entries(n.attributes ?? {}).map(([name, value]) =>
    typeof value === 'number'
      ? { name, type: ATTRIBUTE_INT, i: value }
      : { name, type: ATTRIBUTE_INTS, ints: [...value] },
  ),
});

/** Serializes a graph as an ONNX model (IR version 8). */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const model = ModelProto.fromObject({
    irVersion: 8,
    producerName: 'cleave-onnx-fixture',
    opsetImport: [{ domain: '', version: graph.opset ?? 17 }],
    graph: {
      name: graph.name ?? 'fixture',
      node: graph.nodes.map(node),
      initializer: (graph.initializers ?? []).map(tensor),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  });
  return ModelProto.encode(model).finish();
}

/** Deterministic uniform values in [-scale, scale) (mulberry32), so fixtures are reproducible. */
export function seededFloats(count: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export interface AffineModelOptions {
  /** Row-major [inFeatures, outFeatures]. */
  weight: Float32Array;
  bias: Float32Array;
  inFeatures: number;
  outFeatures: number;
  inputName?: string;
  outputName?: string;
}

/** y = x · W + b, with x of dims [batch, inFeatures]. Small and exact: for correctness tests. */
export function affineModel(options: AffineModelOptions): Uint8Array {
  const { weight, bias, inFeatures, outFeatures, inputName = 'x', outputName = 'y' } = options;
  return encodeOnnxModel({
    name: 'affine',
    inputs: [{ name: inputName, shape: ['batch', inFeatures] }],
    outputs: [{ name: outputName, shape: ['batch', outFeatures] }],
    initializers: [
      { name: 'W', dims: [inFeatures, outFeatures], data: weight },
      { name: 'b', dims: [outFeatures], data: bias },
    ],
    nodes: [
      { opType: 'MatMul', inputs: [inputName, 'W'], outputs: ['xw'] },
      { opType: 'Add', inputs: ['xw', 'b'], outputs: [outputName] },
    ],
  });
}

export interface MatMulChainOptions {
  /** Width of the square weights; input and output are [batch, size]. */
  size: number;
  /** Number of MatMul layers. */
  depth: number;
  seed?: number;
  inputName?: string;
  outputName?: string;
}

/**
 * A chain of `depth` MatMuls with [size, size] weights: about 2·batch·size²·depth flops per run,
 * so a batch can be made as heavy as a test needs. Weights keep activations near unit scale.
 */
export function matMulChainModel(options: MatMulChainOptions): Uint8Array {
  const { size, depth, seed = 1, inputName = 'x', outputName = 'y' } = options;
  const scale = Math.sqrt(3 / size);
  const initializers: OnnxInitializer[] = [];
  const nodes: OnnxNode[] = [];
  let previous = inputName;
  for (let i = 0; i < depth; i++) {
    const out = i === depth - 1 ? outputName : `h${i}`;
    initializers.push({
      name: `W${i}`,
      dims: [size, size],
      data: seededFloats(size * size, seed + i, scale),
    });
    nodes.push({ opType: 'MatMul', inputs: [previous, `W${i}`], outputs: [out] });
    previous = out;
  }
  return encodeOnnxModel({
    name: 'matmul-chain',
    inputs: [{ name: inputName, shape: ['batch', size] }],
    outputs: [{ name: outputName, shape: ['batch', size] }],
    initializers,
    nodes,
  });
}
