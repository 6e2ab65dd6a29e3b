/** One model every worker loads, run later by its key. */
export interface SessionModel {
  key: string;
  /** Path of the .onnx file. */
  path: string;
  /** When set, each worker hashes the bytes it loads and refuses a mismatch (HASH_MISMATCH). */
  sha256?: string;
}

export interface SessionPoolOptions {
  models: readonly SessionModel[];
  /** Worker threads; each loads every model and runs one job at a time. Default 1. */
  workers?: number;
  /** ONNX Runtime intra-op threads per session. Default 1, so workers do not fight over cores. */
  intraOpThreads?: number;
  /**
   * Whether ONNX Runtime's intra-op threads spin while waiting for work (its default, true). With
   * intraOpThreads > 1 on cores that other threads also use (the event loop, other workers,
   * sidecars), spinning threads wait on descheduled ones: false was ~15% faster in that case here.
   */
  intraOpSpinning?: boolean;
  /**
   * Jobs a worker may hold at once: the one it runs and the ones waiting in its message port.
   * Default 1 (a job goes to whichever worker frees up first). 2 keeps a busy worker from idling
   * while this thread answers its last job and sends the next, at the cost of a queued job being
   * tied to one worker; the tail server uses 2.
   */
  jobsPerWorker?: number;
  /** Runs allowed to wait for a worker; one more is refused with PoolOverloadedError. Default 1024. */
  queueLimit?: number;
  /**
   * ONNX Runtime execution providers, in order of preference. Default `['cpu']`.
   * On a Jetson, `['tensorrt', 'cuda', 'cpu']` or `['cuda', 'cpu']` (needs an onnxruntime-node
   * build with those providers and the CUDA libraries on the device).
   */
  executionProviders?: readonly string[];
}

export interface ResolvedPoolOptions {
  models: SessionModel[];
  workers: number;
  intraOpThreads: number;
  intraOpSpinning: boolean;
  jobsPerWorker: number;
  queueLimit: number;
  executionProviders: string[];
}

export const POOL_DEFAULTS = {
  workers: 1,
  intraOpThreads: 1,
  intraOpSpinning: true,
  jobsPerWorker: 1,
  queueLimit: 1024,
  executionProviders: ['cpu'],
} as const;

function integer(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

/** Fills in the defaults and refuses options that cannot work. */
export function resolvePoolOptions(options: SessionPoolOptions): ResolvedPoolOptions {
  if (options.models.length === 0) throw new RangeError('models must list at least one model');
  const keys = new Set<string>();
  for (const model of options.models) {
    if (model.key === '') throw new RangeError('model keys must be non-empty');
    if (keys.has(model.key)) throw new RangeError(`model key "${model.key}" appears twice`);
    keys.add(model.key);
  }
  const executionProviders = [...(options.executionProviders ?? POOL_DEFAULTS.executionProviders)];
  if (executionProviders.length === 0) throw new RangeError('executionProviders must not be empty');
  return {
    models: options.models.map((m) => ({ ...m })),
    workers: integer('workers', options.workers ?? POOL_DEFAULTS.workers, 1),
    intraOpThreads: integer('intraOpThreads', options.intraOpThreads ?? POOL_DEFAULTS.intraOpThreads, 1),
    intraOpSpinning: options.intraOpSpinning ?? POOL_DEFAULTS.intraOpSpinning,
    jobsPerWorker: integer('jobsPerWorker', options.jobsPerWorker ?? POOL_DEFAULTS.jobsPerWorker, 1),
    queueLimit: integer('queueLimit', options.queueLimit ?? POOL_DEFAULTS.queueLimit, 0),
    executionProviders,
  };
}
