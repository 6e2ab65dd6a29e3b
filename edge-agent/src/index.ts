export type { AnswerEnergy } from '@cleave/models';
export {
  type AgentInput,
  ANSWER_SOURCES,
  type Answer,
  type AnswerSource,
  type AnswerTimings,
  argmax,
  createInputPreparer,
  type GateRecord,
  INFERENCE_MODES,
  type InferenceMode,
  InputError,
  type InputPreparer,
  registerScoreFunction,
  scoreFunction,
  scoreFunctionNames,
  softmax,
} from '@cleave/models';
export {
  type AdaptivePlanner,
  type AdaptivePlannerOptions,
  createAdaptivePlanner,
  type GateObservation,
  type PlanChange,
} from './adaptive-planner.js';
export {
  choosePlan,
  createCoverageTracker,
  estimatePlans,
  offloads,
  PLANS,
  type Plan,
  type PlanEstimate,
  type PlanInputs,
  radioPerOffloadMj,
  type StageCosts,
  usesDual,
} from './adaptive-plans.js';
export { type Agent, type AgentStats, createAgent, type SwapResult } from './agent.js';
export {
  type AgentOptions,
  AgentOptionsError,
  AgentOptionsSchema,
  type ResolvedAgentOptions,
  resolveAgentOptions,
} from './agent-options.js';
export {
  type BundleRuntime,
  loadBundleRuntime,
  prepareBundle,
  readSelfTest,
  runSelfTest,
  SELF_TEST_FILE,
  type SelfTestFile,
  SelfTestFileSchema,
  type SelfTestReport,
  type SelfTestSuite,
  stagesFor,
} from './bundle-runtime.js';
export { type CachedAnswer, createCascade } from './cascade.js';
export {
  type CascadeCalibration,
  type CascadeOutcomes,
  type CascadeTarget,
  calibrateCascade,
  evaluateCascade,
  meetsTarget,
  NEVER,
} from './cascade-calibration.js';
export {
  type BreakerOptions,
  type BreakerState,
  type CircuitBreaker,
  createCircuitBreaker,
} from './circuit-breaker.js';
export { createDualStage, type DualResult, type DualStage } from './dual-stage.js';
export {
  createEnergyAccounting,
  type EnergyAccounting,
  type EnergyOptions,
  type EnergyTotals,
  NOMINAL_LINK_MBPS,
} from './energy-accounting.js';
export { createExitGate, type ExitGate, type GateDecision } from './exit-gate.js';
export { FFMPEG_BIN, frameProcess, SourceError } from './frame-process.js';
export {
  createHardExampleStore,
  type HardExample,
  type HardExampleOptions,
  type HardExampleStore,
} from './hard-examples.js';
export { type HttpApi, type HttpApiOptions, startHttpApi } from './http-api.js';
export { LatestFrameQueue } from './latest-frame-queue.js';
export {
  createLinkEstimator,
  type LinkEstimate,
  type LinkEstimator,
  type LinkSample,
} from './link-estimator.js';
export {
  applyLivePatch,
  BundleSwapError,
  type LiveConfig,
  LiveConfigError,
  type LiveConfigPatch,
  LiveConfigPatchSchema,
  type LiveSettings,
  liveSettingsOf,
} from './live-config.js';
export {
  createOffloadClient,
  type OffloadClient,
  OffloadError,
  type OffloadResult,
} from './offload-client.js';
export {
  createOffloadPolicy,
  type OffloadDecision,
  type OffloadPolicy,
  type PolicyOptions,
  type PolicyStats,
} from './offload-policy.js';
export {
  type CacheKey,
  type CacheOptions,
  type CacheStats,
  createResultCache,
  dHash,
  exactKey,
  hammingDistance,
  type ResultCache,
} from './result-cache.js';
export { serveEvents } from './sse-events.js';
export {
  attachStreamOutputs,
  type StreamConfig,
  StreamConfigSchema,
  type StreamOutputs,
} from './stream-config.js';
export {
  createJsonlSink,
  type FrameAnsweredBy,
  type JsonlSink,
  labelChangesOnly,
  type StreamEvent,
  type StreamEventListener,
} from './stream-event.js';
export {
  createStreamHub,
  frameFormatOf,
  type StreamHub,
  type StreamOptions,
  StreamOptionsSchema,
} from './stream-hub.js';
export { type SourceState, type SourceStats, type StreamSource, startStreamSource } from './stream-source.js';
export {
  type FrameFormat,
  ffmpegArgs,
  kindOfUrl,
  parseSourceArg,
  resolveSourceSpec,
  SOURCE_KINDS,
  type SourceKind,
  type SourceSpec,
  SourceSpecError,
  type SourceSpecInput,
  SourceSpecSchema,
} from './stream-source-spec.js';
export { type Calibration, type CalibrationTarget, calibrateThreshold } from './threshold-calibration.js';
export { compactRequestWireBytes, inferRequestWireBytes, socketBytesOf } from './wire-size.js';
