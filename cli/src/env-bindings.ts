// Which CLEAVE_* environment variables set which option of `cleave agent` and `cleave serve`
// (docs: README's option tables). Flags beat these, these beat the config file.
import type { EnvBinding } from './config-source.js';

export const AGENT_ENV: EnvBinding[] = [
  { name: 'CLEAVE_AGENT_BUNDLE', path: 'agent.bundleDir', type: 'string' },
  { name: 'CLEAVE_AGENT_CLOUD', path: 'agent.cloud.target', type: 'string' },
  { name: 'CLEAVE_AGENT_CLOUD_TIMEOUT_MS', path: 'agent.cloud.timeoutMs', type: 'int' },
  { name: 'CLEAVE_AGENT_CLOUD_STREAMS', path: 'agent.cloud.streams', type: 'int' },
  { name: 'CLEAVE_AGENT_CLOUD_BALANCING', path: 'agent.cloud.balancing', type: 'string' },
  { name: 'CLEAVE_AGENT_SCORE_FUNCTION', path: 'agent.gate.scoreFunction', type: 'string' },
  { name: 'CLEAVE_AGENT_WORKERS', path: 'agent.workers', type: 'int' },
  { name: 'CLEAVE_AGENT_EXECUTION_PROVIDERS', path: 'agent.executionProviders', type: 'list' },
  { name: 'CLEAVE_AGENT_ID', path: 'agent.id', type: 'string' },
  { name: 'CLEAVE_AGENT_DEVICE', path: 'agent.energy.device', type: 'string' },
  { name: 'CLEAVE_AGENT_LINK', path: 'agent.energy.link', type: 'string' },
  { name: 'CLEAVE_AGENT_LATENCY_BUDGET_MS', path: 'agent.policy.latencyBudgetMs', type: 'number' },
  { name: 'CLEAVE_AGENT_ENERGY_BUDGET_MJ', path: 'agent.policy.energyBudgetMj', type: 'number' },
  { name: 'CLEAVE_AGENT_HTTP_HOST', path: 'http.host', type: 'string' },
  { name: 'CLEAVE_AGENT_HTTP_PORT', path: 'http.port', type: 'int' },
];

export const SERVE_ENV: EnvBinding[] = [
  { name: 'CLEAVE_SERVE_HOST', path: 'host', type: 'string' },
  { name: 'CLEAVE_SERVE_PORT', path: 'port', type: 'int' },
  { name: 'CLEAVE_MODELS_DIR', path: 'modelsDir', type: 'string' },
  { name: 'CLEAVE_SERVE_MODELS', path: 'models', type: 'list' },
  { name: 'CLEAVE_SERVE_WORKERS', path: 'workers', type: 'int' },
  { name: 'CLEAVE_SERVE_BATCHES_PER_WORKER', path: 'batchesPerWorker', type: 'int' },
  { name: 'CLEAVE_SERVE_FULL', path: 'serveFull', type: 'bool' },
  { name: 'CLEAVE_SERVE_INTRA_OP_THREADS', path: 'intraOpThreads', type: 'int' },
  { name: 'CLEAVE_SERVE_INTRA_OP_SPINNING', path: 'intraOpSpinning', type: 'bool' },
  { name: 'CLEAVE_SERVE_EXECUTION_PROVIDERS', path: 'executionProviders', type: 'list' },
  { name: 'CLEAVE_SERVE_BATCHING', path: 'batching.enabled', type: 'bool' },
  { name: 'CLEAVE_SERVE_MAX_BATCH_SIZE', path: 'batching.maxBatchSize', type: 'int' },
  { name: 'CLEAVE_SERVE_MAX_QUEUE_DELAY_US', path: 'batching.maxQueueDelayMicros', type: 'int' },
  { name: 'CLEAVE_SERVE_QUEUE_LIMIT', path: 'batching.queueLimit', type: 'int' },
  { name: 'CLEAVE_SERVE_MAX_IN_FLIGHT_PER_STREAM', path: 'limits.maxInFlightPerStream', type: 'int' },
  { name: 'CLEAVE_SERVE_DRAIN_TIMEOUT_MS', path: 'drainTimeoutMs', type: 'int' },
  { name: 'CLEAVE_SERVE_ACCESS_LOG', path: 'accessLog', type: 'string' },
  { name: 'CLEAVE_SERVE_HTTP_PORT', path: 'http.port', type: 'int' },
  { name: 'CLEAVE_SERVE_MODEL_CONTROL', path: 'modelControl.mode', type: 'string' },
  { name: 'CLEAVE_SERVE_POLL_INTERVAL_MS', path: 'modelControl.pollIntervalMs', type: 'int' },
  { name: 'CLEAVE_ADMIN_TOKEN', path: 'admin.token', type: 'string' },
];
