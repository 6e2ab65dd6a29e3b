export { type Agent, type AgentStats, createAgent } from './agent.js';
export { type AgentInput, createInputPreparer, InputError, type InputPreparer } from './agent-input.js';
export {
  type AgentOptions,
  AgentOptionsError,
  AgentOptionsSchema,
  type ResolvedAgentOptions,
  resolveAgentOptions,
} from './agent-options.js';
export { ANSWER_SOURCES, type Answer, type AnswerSource, type AnswerTimings } from './answer.js';
export { createExitGate, type ExitGate, type GateDecision } from './exit-gate.js';
export { type HttpApi, type HttpApiOptions, startHttpApi } from './http-api.js';
export {
  createOffloadClient,
  type OffloadClient,
  OffloadError,
  type OffloadResult,
} from './offload-client.js';
export {
  argmax,
  registerScoreFunction,
  scoreFunction,
  scoreFunctionNames,
  softmax,
} from './score-functions.js';
export { inferRequestWireBytes } from './wire-size.js';
