/** Why the session pool refused or failed a run. Boundaries map these to gRPC/HTTP status codes. */
export const PoolErrorCode = {
  /** The bounded queue is full; shed load (RESOURCE_EXHAUSTED / 503) or fall back locally. */
  POOL_OVERLOADED: 'POOL_OVERLOADED',
  /** `close()` was called; no new runs are accepted. */
  POOL_CLOSED: 'POOL_CLOSED',
  /** The worker running the job died; the pool respawns it. */
  WORKER_CRASHED: 'WORKER_CRASHED',
  /** ONNX Runtime rejected the run (wrong feed name, shape or dtype). */
  INFERENCE_FAILED: 'INFERENCE_FAILED',
  /** No model was loaded under that key. */
  UNKNOWN_MODEL: 'UNKNOWN_MODEL',
} as const;
export type PoolErrorCode = (typeof PoolErrorCode)[keyof typeof PoolErrorCode];

export class PoolError extends Error {
  override name = 'PoolError';
  readonly code: PoolErrorCode;

  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export class PoolOverloadedError extends PoolError {
  override name = 'PoolOverloadedError';
  declare readonly code: typeof PoolErrorCode.POOL_OVERLOADED;

  constructor(queueLimit: number) {
    super(PoolErrorCode.POOL_OVERLOADED, `session pool queue is full (${queueLimit} waiting)`);
  }
}

export class PoolClosedError extends PoolError {
  override name = 'PoolClosedError';
  declare readonly code: typeof PoolErrorCode.POOL_CLOSED;

  constructor() {
    super(PoolErrorCode.POOL_CLOSED, 'session pool is closed');
  }
}

export class WorkerCrashedError extends PoolError {
  override name = 'WorkerCrashedError';
  declare readonly code: typeof PoolErrorCode.WORKER_CRASHED;

  constructor(detail: string, options?: { cause?: unknown }) {
    super(PoolErrorCode.WORKER_CRASHED, `session worker crashed: ${detail}`, options);
  }
}

export class InferenceError extends PoolError {
  override name = 'InferenceError';
  declare readonly code: typeof PoolErrorCode.INFERENCE_FAILED;

  constructor(key: string, detail: string) {
    super(PoolErrorCode.INFERENCE_FAILED, `inference on "${key}" failed: ${detail}`);
  }
}
