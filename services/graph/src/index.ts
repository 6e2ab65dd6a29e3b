// @cleave/graph: bring your own ONNX classifier. Read and write ONNX (official onnx.proto through
// protobufjs), find the valid cut points, cut head and tail, calibrate the bottleneck, write a
// bundle (`cleave split`), and profile every cut for a device and a link (`cleave profile`).
export { type BundleFileInput, tensorSpec, writeBundle } from './bundle-writer.js';
export {
  type CalibrationSet,
  decodeImagePixels,
  loadCalibrationSet,
  type Normalization,
  normalizePixels,
  parseNpy,
} from './calibration-input.js';
export {
  type CutModels,
  type CutShapes,
  cutModel,
  FEATURES_NAME,
  fullModel,
  type HeadBranch,
  LOGITS_NAME,
  probeModel,
} from './cut-graph.js';
export { type CutPoint, describeCut, explainInvalidCut, validCutPoints } from './cut-points.js';
export {
  checkExitTensor,
  EXIT_LOGITS,
  type ExitFit,
  type ExitOptions,
  exitActivations,
  exitBranch,
  fitExit,
  HOLDOUT_EVERY,
  poolActivations,
} from './exit-classifier.js';
export {
  CodeHistogram,
  frequencyTable,
  RangeObserver,
  shannonBits,
  TABLE_PRECISION_BITS,
} from './feature-stats.js';
export { type GraphIndex, indexGraph, nodesNeeded } from './graph-index.js';
export {
  type LabelledAccuracy,
  type LabelledSet,
  loadLabelledSet,
} from './labelled-set.js';
export {
  type LearnOptions,
  type LearnResult,
  learnBottleneck,
  MIN_LEARN_INPUTS,
  type TrainerResult,
} from './learn-bottleneck.js';
export {
  checkTrainer,
  LearnError,
  LearnInterrupted,
  type TrainerCommand,
  type TrainerEvent,
  writeNpy,
} from './learn-trainer.js';
export { type BottleneckPlan, defaultBottleneck } from './learned-estimate.js';
export { macNodes, nodeMacs, sumMacs } from './macs.js';
export { type ModelRunner, openModels, type RunnerOptions } from './model-runner.js';
export {
  decodeOnnxModel,
  encodeOnnxModel,
  floatTensor,
  type ModelMsg,
  makeNode,
  type NodeMsg,
  OnnxModelError,
  type TensorMsg,
} from './onnx-proto.js';
export { manifestInput, type PreparedCut, prepareCut } from './prepare-cut.js';
export {
  type CutPrediction,
  type CutProfile,
  type DeviceModel,
  type LinkModel,
  modelId,
  type Objective,
  type ProfileOptions,
  predictCuts,
  profileCuts,
  recommendCut,
} from './profile-cuts.js';
export { modelInputDims, probeShapes } from './shape-probe.js';
export {
  ABSENT_CLASS_LOGIT,
  chooseThreshold,
  fitSoftmaxRegression,
  type GateChoice,
  regressionLogits,
  type SoftmaxRegression,
} from './softmax-regression.js';
export {
  type BottleneckCalibration,
  type CutIo,
  calibrateBottleneck,
  codecFor,
  headOutputs,
  measureSplit,
  type SplitMeasurement,
} from './split-calibration.js';
export {
  type CutBundleOptions,
  checkFeatureShape,
  type ExitBranch,
  resolveCut,
  SplitError,
  type SplitOptions,
  type SplitResult,
  splitModel,
} from './split-model.js';
