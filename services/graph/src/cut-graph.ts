// Cutting a graph into head and tail at a valid cut point, and the other rewrites the bundle
// needs: the full model with its output named `logits`, and a probe model that exposes chosen
// inner tensors as outputs. Node and initializer messages are shared with the source model, never
// mutated: renamed nodes are shallow copies.
import { type GraphIndex, nodesNeeded } from './graph-index.js';
import {
  floatValueInfo,
  type GraphMsg,
  type ModelMsg,
  type NodeMsg,
  OnnxDataType,
  type TensorMsg,
  type ValueInfoMsg,
} from './onnx-proto.js';

/** Tensor names the runtime expects in a bundle (docs/bundle-format.md). */
export const FEATURES_NAME = 'features';
export const LOGITS_NAME = 'logits';

/** Extra nodes appended to the head (e.g. an exit classifier reading the head's tensors). */
export interface HeadBranch {
  nodes: NodeMsg[];
  initializers: TensorMsg[];
  outputs: ValueInfoMsg[];
}

export interface CutShapes {
  /** One sample's dims (no batch) of the input, the cut tensor and the logits. */
  input: readonly number[];
  features: readonly number[];
  logits: readonly number[];
}

export interface CutModels {
  head: ModelMsg;
  tail: ModelMsg;
  /** The names used in them: the input keeps its name, the cut and the output are renamed. */
  names: { input: string; features: string; logits: string };
}

function copyNode(node: NodeMsg, rename: ReadonlyMap<string, string>): NodeMsg {
  if (![...node.input, ...node.output].some((n) => rename.has(n))) return node;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(node)) as NodeMsg, node);
  copy.input = node.input.map((n) => rename.get(n) ?? n);
  copy.output = node.output.map((n) => rename.get(n) ?? n);
  return copy;
}

/** Every name the graph uses, so renames can avoid clashes. */
function namesIn(index: GraphIndex): Set<string> {
  const names = new Set<string>([index.inputName, ...index.initializers]);
  for (const n of index.nodes) for (const t of [...n.input, ...n.output]) if (t) names.add(t);
  return names;
}

/** Renames `from` → `to`; if `to` already names another tensor, that one moves aside. */
function renames(index: GraphIndex, pairs: ReadonlyArray<[string, string]>): Map<string, string> {
  const used = namesIn(index);
  const map = new Map<string, string>();
  for (const [from, to] of pairs) {
    if (from === to) continue;
    if (used.has(to) && !pairs.some(([f]) => f === to)) {
      let k = 1;
      while (used.has(`${to}_${k}`)) k++;
      map.set(to, `${to}_${k}`);
      used.add(`${to}_${k}`);
    }
    map.set(from, to);
  }
  return map;
}

function subModel(
  index: GraphIndex,
  name: string,
  nodeIds: readonly number[],
  inputs: ValueInfoMsg[],
  outputs: ValueInfoMsg[],
  rename: ReadonlyMap<string, string>,
  branch?: HeadBranch,
): ModelMsg {
  const reads = new Set(nodeIds.flatMap((i) => index.reads[i]!));
  const initializers = index.graph.initializer.filter((t) => reads.has(t.name));
  const graph: Partial<GraphMsg> = {
    name,
    node: [...nodeIds.map((i) => copyNode(index.nodes[i]!, rename)), ...(branch?.nodes ?? [])],
    initializer: [...initializers, ...(branch?.initializers ?? [])],
    input: inputs,
    output: [...outputs, ...(branch?.outputs ?? [])],
  };
  const m = index.model;
  const model: Partial<ModelMsg> = {
    irVersion: m.irVersion,
    opsetImport: m.opsetImport,
    producerName: 'cleave split',
    graph: graph as GraphMsg,
  };
  if (m.functions.length > 0) model.functions = m.functions;
  return model as ModelMsg;
}

/**
 * Head (input → features) and tail (features → logits) at `tensor`, which must be a valid cut
 * (validCutPoints). Initializers go to whichever side reads them, to both if both do; constant
 * subgraphs (e.g. shape computations) are duplicated the same way.
 */
export function cutModel(
  index: GraphIndex,
  tensor: string,
  shapes: CutShapes,
  branch?: HeadBranch,
): CutModels {
  const rename = renames(index, [
    [tensor, FEATURES_NAME],
    [index.outputName, LOGITS_NAME],
  ]);
  const features = rename.get(tensor) ?? tensor;
  const logits = rename.get(index.outputName) ?? index.outputName;
  const headNodes = nodesNeeded(index, [tensor]);
  const tailNodes = nodesNeeded(index, [index.outputName], new Set([tensor]));
  const inputInfo = floatValueInfo(index.inputName, shapes.input);
  const featuresInfo = floatValueInfo(features, shapes.features);
  const head = subModel(index, 'head', headNodes, [inputInfo], [featuresInfo], rename, branch);
  const tail = subModel(
    index,
    'tail',
    tailNodes,
    [featuresInfo],
    [floatValueInfo(logits, shapes.logits)],
    rename,
  );
  return { head, tail, names: { input: index.inputName, features, logits } };
}

/** The whole model with its output renamed to `logits` and a dynamic batch dimension. */
export function fullModel(index: GraphIndex, shapes: Omit<CutShapes, 'features'>): ModelMsg {
  const rename = renames(index, [[index.outputName, LOGITS_NAME]]);
  const logits = rename.get(index.outputName) ?? index.outputName;
  return subModel(
    index,
    'full',
    nodesNeeded(index, [index.outputName]),
    [floatValueInfo(index.inputName, shapes.input)],
    [floatValueInfo(logits, shapes.logits)],
    rename,
  );
}

/** The whole model, also returning `tensors` as outputs (their shapes are left to ONNX Runtime). */
export function probeModel(
  index: GraphIndex,
  inputDims: readonly number[],
  tensors: readonly string[],
): ModelMsg {
  const extra = tensors
    .filter((t) => t !== index.outputName)
    .map((name) => ({ name, type: { tensorType: { elemType: OnnxDataType.FLOAT } } }) as ValueInfoMsg);
  return subModel(
    index,
    'probe',
    nodesNeeded(index, [index.outputName, ...tensors]),
    [floatValueInfo(index.inputName, inputDims)],
    [{ name: index.outputName, type: { tensorType: { elemType: OnnxDataType.FLOAT } } }, ...extra],
    new Map(),
  );
}
