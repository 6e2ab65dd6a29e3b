// ONNX Runtime sessions in worker threads, behind one bounded FIFO queue.
// Inference never runs on the caller's event loop: run() blocks the thread it is called on.
import { Worker } from 'node:worker_threads';
import type { BundleError } from './bundle-error.js';
import { PoolClosedError, PoolError, PoolErrorCode, PoolOverloadedError } from './pool-errors.js';
import { resolvePoolOptions, type SessionPoolOptions } from './session-pool-options.js';
import { type Job, type PoolEvents, WorkerSlot } from './session-worker-slot.js';
import type { TensorMap } from './tensor-batch.js';
import type { WorkerInit } from './worker-protocol.js';

export interface RunOptions {
  /** Aborting rejects the run with `signal.reason`. A run already in a worker still finishes there. */
  signal?: AbortSignal;
  /**
   * Move the feed buffers to the worker instead of copying them. The caller's arrays become
   * unusable (detached). Only buffers the arrays cover whole are moved; `stackBatch` output qualifies.
   */
  transfer?: boolean;
}

export interface SessionPoolStats {
  /** Waiting for a worker. */
  queued: number;
  /** In a worker now. */
  running: number;
  completed: number;
  /** Rejected by ONNX Runtime or lost in a worker crash. */
  failed: number;
  /** Refused on entry: queue full, pool closed or failed, unknown model. */
  rejected: number;
  /** Cancelled through their AbortSignal. */
  aborted: number;
  /** Workers with their models loaded. */
  workersReady: number;
}

export interface SessionPool {
  /** Resolves when every worker has loaded every model; rejects with the BundleError of the first that failed. */
  readonly ready: Promise<void>;
  run(key: string, feeds: TensorMap, options?: RunOptions): Promise<TensorMap>;
  stats(): SessionPoolStats;
  /** Stops taking runs, finishes the queued and running ones, then terminates the workers. */
  close(): Promise<void>;
}

// Tests reach the worker slots through this map (see ./testing), the public API never does.
export const poolSlotsForTesting = new WeakMap<SessionPool, readonly WorkerSlot[]>();

/** Plain JavaScript: a worker starts with no TypeScript loader (see the file's head). */
const workerFile = new URL('./session-worker.mjs', import.meta.url);

function transferList(feeds: TensorMap): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { data } of Object.values(feeds)) {
    const { buffer } = data;
    if (buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength) {
      buffers.add(buffer);
    }
  }
  return [...buffers];
}

export function createSessionPool(options: SessionPoolOptions): SessionPool {
  const config = resolvePoolOptions(options);
  const keys = new Set(config.models.map((m) => m.key));
  const init: WorkerInit = {
    models: config.models,
    intraOpThreads: config.intraOpThreads,
    intraOpSpinning: config.intraOpSpinning,
    executionProviders: config.executionProviders,
  };
  const queue: Job[] = [];
  const counts = { completed: 0, failed: 0, rejected: 0, aborted: 0 };
  let nextId = 1;
  let failure: Error | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;
  let notifyDrained: (() => void) | undefined;

  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Callers who never await `ready` still see the failure through run().
  ready.catch(() => {});

  const settle = (job: Job, outcome: { outputs: TensorMap } | { error: Error }) => {
    if (job.settled) return;
    job.settled = true;
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if ('outputs' in outcome) {
      counts.completed++;
      job.resolve(outcome.outputs);
    } else {
      counts.failed++;
      job.reject(outcome.error);
    }
  };

  const failPool = (error: Error) => {
    if (failure !== undefined) return;
    failure = error;
    rejectReady(error);
    for (const job of queue.splice(0)) settle(job, { error });
    for (const slot of slots) void slot.stop();
    checkDrained();
  };

  /** The live worker holding the fewest jobs, below the limit; among idle ones the longest idle. */
  const nextSlot = (): WorkerSlot | undefined => {
    let best: WorkerSlot | undefined;
    for (const s of slots) {
      if (!s.live || s.jobs.length >= config.jobsPerWorker) continue;
      if (
        best === undefined ||
        s.jobs.length < best.jobs.length ||
        (s.jobs.length === best.jobs.length && s.idleSince < best.idleSince)
      )
        best = s;
    }
    return best;
  };

  const pump = () => {
    while (queue.length > 0) {
      const slot = nextSlot();
      if (slot === undefined) return;
      slot.dispatch(queue.shift()!);
    }
  };

  const checkDrained = () => {
    if (notifyDrained && queue.length === 0 && slots.every((s) => s.state !== 'busy')) notifyDrained();
  };

  const events: PoolEvents = {
    onReady: () => {
      if (slots.every((s) => s.everReady)) resolveReady();
      pump();
      checkDrained();
    },
    onLoadFailed: (slot, error: BundleError) => {
      // Every worker loads the same files: one that cannot at start-up means none can. Later (a
      // respawn) the other workers keep serving, until none is left.
      if (!slot.everReady || slots.every((s) => s.state === 'dead')) failPool(error);
    },
    onJobDone: (job, outcome) => {
      settle(job, outcome);
      pump();
      checkDrained();
    },
    onCrashed: (slot, error) => {
      if (!slot.everReady || slots.every((s) => s.state === 'dead')) failPool(error);
      checkDrained();
    },
    shouldRespawn: () => failure === undefined && (!closing || queue.length > 0),
  };

  const slots = Array.from(
    { length: config.workers },
    (_, index) => new WorkerSlot(index, events, spawnWorker),
  );
  function spawnWorker(): Worker {
    return new Worker(workerFile, { workerData: init, name: 'cleave-session' });
  }
  for (const slot of slots) slot.start();

  function refuse(error: Error): Promise<never> {
    counts.rejected++;
    return Promise.reject(error);
  }
  /** Takes a job that is still queued out of the queue when its signal aborts. */
  function abortQueued(job: Job): void {
    if (job.settled) return;
    const at = queue.indexOf(job);
    if (at >= 0) queue.splice(at, 1);
    job.settled = true;
    counts.aborted++;
    job.reject(job.signal?.reason);
    checkDrained();
  }

  // run() makes no named closure unless it is given a signal: under tsx each one costs an
  // Object.defineProperty (esbuild's keepNames) on every call, once per batch here.
  const pool: SessionPool = {
    ready,
    run(key, feeds, runOptions = {}) {
      if (failure !== undefined) return refuse(failure);
      if (closing) return refuse(new PoolClosedError());
      if (!keys.has(key))
        return refuse(new PoolError(PoolErrorCode.UNKNOWN_MODEL, `no model loaded as "${key}"`));
      const { signal } = runOptions;
      if (signal?.aborted) {
        counts.aborted++;
        return Promise.reject(signal.reason);
      }
      if (!(nextSlot() && queue.length === 0) && queue.length >= config.queueLimit) {
        return refuse(new PoolOverloadedError(config.queueLimit));
      }
      return new Promise<TensorMap>((resolve, reject) => {
        const job: Job = {
          id: nextId++,
          key,
          feeds,
          transfer: runOptions.transfer ? transferList(feeds) : [],
          resolve,
          reject,
          signal,
          settled: false,
        };
        if (signal) {
          job.onAbort = () => abortQueued(job);
          signal.addEventListener('abort', job.onAbort, { once: true });
        }
        queue.push(job);
        pump();
      });
    },
    stats() {
      return {
        queued: queue.length,
        running: slots.reduce((n, s) => n + s.jobs.length, 0),
        ...counts,
        workersReady: slots.filter((s) => s.live).length,
      };
    },
    close() {
      closed ??= (async () => {
        closing = true;
        await new Promise<void>((resolve) => {
          notifyDrained = resolve;
          checkDrained();
        });
        await Promise.all(slots.map((slot) => slot.stop()));
      })();
      return closed;
    },
  };
  poolSlotsForTesting.set(pool, slots);
  return pool;
}
