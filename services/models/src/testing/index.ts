export {
  createFixtureBundle,
  FIXTURE_LABELS,
  type FixtureBundleOptions,
  writeFixtureBundle,
} from './bundle-fixture.js';
export { type EventLoopReport, watchEventLoop } from './event-loop-watch.js';
export {
  type AffineModelOptions,
  affineModel,
  encodeOnnxModel,
  type MatMulChainOptions,
  matMulChainModel,
  type OnnxGraph,
  type OnnxInitializer,
  type OnnxNode,
  type OnnxValueInfo,
  seededFloats,
} from './onnx-fixture.js';
export { crashPoolWorker } from './pool-crash.js';
