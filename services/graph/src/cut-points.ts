// Valid cut points: the tensors every path from the input to the output passes through. Cutting
// there leaves a head that computes one tensor and a tail that needs only that tensor (and
// constants): a residual block's inner tensors are bypassed by its skip connection, so they are
// not valid; the block's output is. Found as the dominators of the output in the tensor DAG.
import { type GraphIndex, nodesNeeded } from './graph-index.js';
import { OnnxDataType } from './onnx-proto.js';

export interface CutPoint {
  tensor: string;
  /** Index in topological order of the node that produces it: cuts sort by it, input to output. */
  order: number;
  /** The producing node's op type and name, for listings. */
  op: string;
  node: string;
}

/** Immediate dominators of every dynamic tensor, rooted at the input (tensor DAG, topological order). */
function immediateDominators(index: GraphIndex): Map<string, string> {
  const idom = new Map<string, string>([[index.inputName, index.inputName]]);
  const depth = new Map<string, number>([[index.inputName, 0]]);
  const intersect = (a: string, b: string): string => {
    while (a !== b) {
      if (depth.get(a)! >= depth.get(b)!) a = idom.get(a)!;
      else b = idom.get(b)!;
    }
    return a;
  };
  index.nodes.forEach((node, i) => {
    const preds = index.reads[i]!.filter((r) => index.dynamic.has(r) && idom.has(r));
    if (preds.length === 0) return; // constant, or reads only dynamic tensors no path reaches
    const dom = preds.reduce(intersect);
    for (const out of node.output) {
      if (!out || idom.has(out)) continue;
      idom.set(out, dom);
      depth.set(out, depth.get(dom)! + 1);
    }
  });
  return idom;
}

function isFloat(index: GraphIndex, tensor: string): boolean {
  const t = index.elemType.get(tensor);
  return t === undefined || t === OnnxDataType.FLOAT;
}

/** Every valid cut, input side first; neither the input nor the output itself. */
export function validCutPoints(index: GraphIndex): CutPoint[] {
  const idom = immediateDominators(index);
  if (!idom.has(index.outputName))
    throw new Error(`the output "${index.outputName}" does not depend on the input`);
  const chain: string[] = [];
  for (let t = idom.get(index.outputName)!; t !== index.inputName; t = idom.get(t)!) chain.push(t);
  return chain
    .reverse()
    .filter((t) => isFloat(index, t))
    .map((tensor) => {
      const order = index.producer.get(tensor)!;
      const node = index.nodes[order]!;
      return { tensor, order, op: node.opType, node: node.name };
    });
}

/** Forward closure: tensors computed (transitively) from `from`. */
function downstream(index: GraphIndex, from: string): Set<string> {
  const out = new Set([from]);
  index.nodes.forEach((node, i) => {
    if (index.reads[i]!.some((r) => out.has(r))) for (const o of node.output) if (o) out.add(o);
  });
  return out;
}

export const describeCut = (c: CutPoint) => `${c.tensor} (after ${c.op}${c.node ? ` ${c.node}` : ''})`;

/**
 * Why `tensor` is not a valid cut, with the valid cuts nearest to it; undefined when it is valid.
 * `cuts` is validCutPoints(index).
 */
export function explainInvalidCut(
  index: GraphIndex,
  tensor: string,
  cuts: readonly CutPoint[],
  near = 3,
): string | undefined {
  if (cuts.some((c) => c.tensor === tensor)) return undefined;
  const list = (cs: readonly CutPoint[]) => cs.map((c) => `  ${describeCut(c)}`).join('\n');
  const order = index.producer.get(tensor);
  if (order === undefined && tensor !== index.inputName) {
    const known = index.initializers.has(tensor) ? ' (it is a weight)' : '';
    return `no tensor "${tensor}" is computed in this graph${known}. Valid cut points:\n${list(cuts)}`;
  }
  let why: string;
  if (tensor === index.inputName || tensor === index.outputName) {
    why = `"${tensor}" is the model's ${tensor === index.inputName ? 'input' : 'output'}: a cut there leaves nothing to split`;
  } else if (!index.dynamic.has(tensor)) {
    why = `"${tensor}" does not depend on the input (a constant)`;
  } else if (!isFloat(index, tensor)) {
    why = `"${tensor}" is not a float32 tensor`;
  } else {
    const after = downstream(index, tensor);
    const tail = nodesNeeded(index, [index.outputName], new Set([tensor]));
    const bypass = tail
      .flatMap((i) => index.reads[i]!)
      .filter((r) => index.dynamic.has(r) && !after.has(r))
      .sort((a, b) => (index.producer.get(b) ?? -1) - (index.producer.get(a) ?? -1))[0];
    why =
      bypass === undefined
        ? `"${tensor}" does not lead to the output "${index.outputName}"`
        : `the tail would also need "${bypass}", which a path from the input computes without passing "${tensor}" (e.g. a residual connection around it)`;
  }
  const at = order ?? -1;
  const before = cuts.filter((c) => c.order < at).slice(-near);
  const later = cuts.filter((c) => c.order > at).slice(0, near);
  const nearby = [...before, ...later];
  return `cannot cut at "${tensor}": ${why}.\nValid cut points near it:\n${list(nearby.length > 0 ? nearby : cuts)}`;
}
