// What a cut needs to know about a graph: nodes in topological order, who produces and who uses
// each tensor, which tensors depend on the input (the rest are constants a cut can duplicate),
// and element types where they can be told without running the model.
import {
  type GraphMsg,
  int64,
  type ModelMsg,
  type NodeMsg,
  OnnxDataType,
  OnnxModelError,
  valueInfoElemType,
} from './onnx-proto.js';

export interface GraphIndex {
  readonly model: ModelMsg;
  readonly graph: GraphMsg;
  /** Nodes in a topological order (the file's own order where it already is one). */
  readonly nodes: readonly NodeMsg[];
  /** The one graph input that is not an initializer. */
  readonly inputName: string;
  /** The one graph output. */
  readonly outputName: string;
  /** Tensor → index in `nodes` of the node that produces it. */
  readonly producer: ReadonlyMap<string, number>;
  /** Node index → the tensors it reads: its inputs plus outer names its subgraphs use. */
  readonly reads: readonly (readonly string[])[];
  readonly initializers: ReadonlySet<string>;
  /** Tensors computed from the input (everything else is constant). */
  readonly dynamic: ReadonlySet<string>;
  /** ONNX element type per tensor, where known (value_info, initializers, or propagated). */
  readonly elemType: ReadonlyMap<string, number>;
}

/** Names a subgraph reads from the enclosing scope: used inside, produced nowhere inside. */
function outerNames(graph: GraphMsg, out: Set<string>): void {
  const inner = new Set<string>([
    ...graph.input.map((v) => v.name),
    ...graph.initializer.map((t) => t.name),
    ...graph.node.flatMap((n) => n.output),
  ]);
  for (const node of graph.node) {
    for (const name of node.input) if (name && !inner.has(name)) out.add(name);
    for (const sub of subgraphs(node)) outerNames(sub, out);
  }
}

function subgraphs(node: NodeMsg): GraphMsg[] {
  return node.attribute.flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);
}

function readsOf(node: NodeMsg): string[] {
  const names = new Set(node.input.filter((n) => n !== ''));
  for (const sub of subgraphs(node)) outerNames(sub, names);
  return [...names];
}

/** Ops whose outputs are integers whatever their inputs. */
const INT64_OPS = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression']);

function propagateTypes(
  nodes: readonly NodeMsg[],
  reads: readonly (readonly string[])[],
  types: Map<string, number>,
): void {
  nodes.forEach((node, i) => {
    const attr = (name: string) => node.attribute.find((a) => a.name === name);
    for (const [k, out] of node.output.entries()) {
      if (!out || types.has(out)) continue;
      let t: number | undefined;
      if (node.opType === 'Cast') t = int64(attr('to')?.i) || undefined;
      else if (node.opType === 'Constant') t = attr('value')?.t?.dataType;
      else if (INT64_OPS.has(node.opType) || (node.opType === 'TopK' && k === 1)) t = OnnxDataType.INT64;
      else if (/^(Equal|Less|Greater|Not|And|Or|Xor|IsNaN|IsInf)/.test(node.opType)) t = OnnxDataType.BOOL;
      else {
        const first = reads[i]![0];
        t = first === undefined ? undefined : types.get(first);
      }
      if (t !== undefined) types.set(out, t);
    }
  });
}

/** Orders nodes so each comes after the producers of what it reads (Kahn, stable). */
function topologicalOrder(graph: GraphMsg): { nodes: NodeMsg[]; reads: string[][] } {
  const all = graph.node;
  const allReads = all.map(readsOf);
  const producedBy = new Map<string, number>();
  all.forEach((n, i) => {
    for (const o of n.output) if (o) producedBy.set(o, i);
  });
  const waiting = all.map((_, i) => new Set(allReads[i]!.filter((r) => producedBy.has(r))));
  const users = new Map<string, number[]>();
  allReads.forEach((rs, i) => {
    for (const r of rs) if (producedBy.has(r)) users.set(r, [...(users.get(r) ?? []), i]);
  });
  const ready = all.map((_, i) => i).filter((i) => waiting[i]!.size === 0);
  const order: number[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(i);
    for (const o of all[i]!.output) {
      for (const u of users.get(o) ?? []) {
        const w = waiting[u]!;
        if (w.delete(o) && w.size === 0) ready.push(u);
      }
    }
  }
  if (order.length !== all.length) throw new OnnxModelError('the ONNX graph has a cycle');
  return { nodes: order.map((i) => all[i]!), reads: order.map((i) => allReads[i]!) };
}

export function indexGraph(model: ModelMsg): GraphIndex {
  const graph = model.graph;
  if (!graph) throw new OnnxModelError('the ONNX model has no graph');
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.filter((v) => !initializers.has(v.name));
  if (inputs.length !== 1) {
    throw new OnnxModelError(
      `expected a classifier with one input, the graph has ${inputs.length}: ${inputs.map((v) => v.name).join(', ')}`,
    );
  }
  if (graph.output.length !== 1) {
    throw new OnnxModelError(
      `expected a classifier with one output (the logits), the graph has ${graph.output.length}: ${graph.output.map((v) => v.name).join(', ')}`,
    );
  }
  const inputName = inputs[0]!.name;
  const outputName = graph.output[0]!.name;
  const { nodes, reads } = topologicalOrder(graph);
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output) if (o) producer.set(o, i);
  });
  if (!producer.has(outputName)) throw new OnnxModelError(`no node produces the output "${outputName}"`);

  const dynamic = new Set<string>([inputName]);
  nodes.forEach((n, i) => {
    if (reads[i]!.some((r) => dynamic.has(r))) for (const o of n.output) if (o) dynamic.add(o);
  });

  const elemType = new Map<string, number>();
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) {
    const t = valueInfoElemType(v);
    if (t !== undefined) elemType.set(v.name, t);
  }
  for (const t of graph.initializer) elemType.set(t.name, t.dataType);
  propagateTypes(nodes, reads, elemType);

  return { model, graph, nodes, inputName, outputName, producer, reads, initializers, dynamic, elemType };
}

/** Indices (ascending) of the nodes needed to compute `targets`, treating `stops` as given. */
export function nodesNeeded(
  index: GraphIndex,
  targets: readonly string[],
  stops: ReadonlySet<string> = new Set(),
): number[] {
  const seen = new Set<number>();
  const stack = targets.filter((t) => !stops.has(t));
  const visited = new Set<string>(stack);
  while (stack.length > 0) {
    const name = stack.pop()!;
    const p = index.producer.get(name);
    if (p === undefined || seen.has(p)) continue;
    seen.add(p);
    for (const r of index.reads[p]!) {
      if (!stops.has(r) && !visited.has(r)) {
        visited.add(r);
        stack.push(r);
      }
    }
  }
  return [...seen].sort((a, b) => a - b);
}
