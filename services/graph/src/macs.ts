// Multiply–accumulates per sample, for the manifest's `macs` and the profiler: counted for the
// layers that dominate a CNN classifier (Conv, ConvTranspose, Gemm, MatMul with a constant
// weight) from their output shapes, which ONNX Runtime reports (shape-probe.ts). Element-wise
// ops, pooling and attention-style MatMuls of two activations are not counted.
import type { GraphIndex } from './graph-index.js';
import { int64 } from './onnx-proto.js';

const MAC_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** The nodes whose MACs are counted, and the tensor whose shape that needs (their output). */
export function macNodes(index: GraphIndex): { node: number; output: string }[] {
  const weightDims = weightDimsOf(index);
  return index.nodes.flatMap((n, i) =>
    MAC_OPS.has(n.opType) && n.output[0] && weightDims(n.input[1]) ? [{ node: i, output: n.output[0] }] : [],
  );
}

function weightDimsOf(index: GraphIndex): (name: string | undefined) => number[] | undefined {
  const byName = new Map(index.graph.initializer.map((t) => [t.name, t.dims.map(int64)]));
  return (name) => (name === undefined ? undefined : byName.get(name));
}

/** MACs of node `i` for one sample, given its output dims without the batch dimension. */
export function nodeMacs(index: GraphIndex, i: number, outputDims: readonly number[]): number {
  const node = index.nodes[i]!;
  const w = weightDimsOf(index)(node.input[1]);
  if (!w) return 0;
  const outElems = outputDims.reduce((a, b) => a * b, 1);
  switch (node.opType) {
    case 'Conv': // W [Cout, Cin/group, k...]: each output element sums Cin/group · Πk products
      return outElems * w.slice(1).reduce((a, b) => a * b, 1);
    case 'ConvTranspose': // W [Cin, Cout/group, k...]
      return outElems * (w[0]! / Math.max(1, w[1]!)) * w.slice(2).reduce((a, b) => a * b, 1);
    case 'Gemm': {
      const transB = int64(node.attribute.find((a) => a.name === 'transB')?.i) === 1;
      return outElems * (transB ? w[1]! : w[0]!);
    }
    case 'MatMul':
      return outElems * (w.length >= 2 ? w[w.length - 2]! : 1);
    default:
      return 0;
  }
}

/** Total MACs of the nodes `ids` (e.g. a head's), given every counted node's output dims. */
export function sumMacs(
  index: GraphIndex,
  ids: Iterable<number>,
  dims: ReadonlyMap<string, number[]>,
): number {
  let total = 0;
  for (const i of ids) {
    const out = index.nodes[i]!.output[0];
    const d = out === undefined ? undefined : dims.get(out);
    if (d) total += nodeMacs(index, i, d);
  }
  return Math.round(total);
}
