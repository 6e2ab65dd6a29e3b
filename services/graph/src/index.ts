export * from './cut-graph.js';
export { type CutPoint, explainInvalidCut, validCutPoints } from './cut-points.js';
export { type GraphIndex, indexGraph, nodesNeeded } from './graph-index.js';
export * from './onnx-proto.js';
