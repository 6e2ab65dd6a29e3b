// One worker thread of the session pool, with its lifecycle: start, run jobs, crash, respawn, stop.
import type { Worker } from 'node:worker_threads';
import { BundleError } from './bundle-error.js';
import { InferenceError, WorkerCrashedError } from './pool-errors.js';
import type { TensorMap } from './tensor-batch.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

export interface Job {
  id: number;
  key: string;
  feeds: TensorMap;
  transfer: ArrayBuffer[];
  resolve: (outputs: TensorMap) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  /** Set only when the job has a signal: its 'abort' listener. */
  onAbort?: (() => void) | undefined;
  settled: boolean;
}

export type JobOutcome = { outputs: TensorMap } | { error: Error };

/** How a slot reports to its pool. */
export interface PoolEvents {
  onReady(slot: WorkerSlot): void;
  onLoadFailed(slot: WorkerSlot, error: BundleError): void;
  onJobDone(job: Job, outcome: JobOutcome): void;
  onCrashed(slot: WorkerSlot, error: WorkerCrashedError): void;
  shouldRespawn(): boolean;
}

/**
 * `starting` covers loading models and waiting to respawn; `busy` means the worker holds at least
 * one job; `dead` slots never come back.
 */
export type SlotState = 'starting' | 'idle' | 'busy' | 'dead';

// A worker that keeps dying gives up after this many crashes in a row, with growing pauses.
const MAX_CONSECUTIVE_CRASHES = 5;
const respawnDelayMs = (crashes: number) => (crashes <= 1 ? 0 : Math.min(5000, 100 * 2 ** (crashes - 2)));
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
// How long a stopping worker may take to finish a native call before it is abandoned (unref'd).
const STOP_GRACE_MS = 30_000;

/**
 * Asks a worker to exit and waits for it. Never `worker.terminate()`: terminating a thread that is
 * inside ONNX Runtime's native code aborts the whole process. A worker that does not exit in time
 * is unref'd and left to finish, so it cannot hold the process open.
 */
function stopWorker(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      worker.unref();
      resolve();
    }, STOP_GRACE_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    const message: ToWorker = { type: 'stop' };
    worker.postMessage(message);
  });
}

export class WorkerSlot {
  readonly index: number;
  state: SlotState = 'starting';
  /** Whether this slot has loaded its models at least once. */
  everReady = false;
  /** When the slot last became idle; the pool hands work to the longest idle. */
  idleSince = 0;
  /**
   * Jobs posted to the worker, in the order it runs them: the first is running, the others wait in
   * the worker's message port so that it starts the next one without a round trip to this thread.
   */
  readonly jobs: Job[] = [];
  readonly #events: PoolEvents;
  readonly #spawn: () => Worker;
  #worker: Worker | undefined;
  #crashes = 0;
  #respawnTimer: NodeJS.Timeout | undefined;
  #lastError: unknown;
  /** Settles when every worker this slot asked to stop has exited (or was abandoned). */
  #exited: Promise<unknown> = Promise.resolve();

  constructor(index: number, events: PoolEvents, spawn: () => Worker) {
    this.index = index;
    this.#events = events;
    this.#spawn = spawn;
  }

  start(): void {
    const worker = this.#spawn();
    this.#worker = worker;
    this.state = 'starting';
    this.#lastError = undefined;
    worker.on('message', (message: FromWorker) => this.#onMessage(worker, message));
    worker.on('error', (error) => {
      if (worker === this.#worker) this.#lastError = error;
    });
    worker.on('messageerror', (error) => {
      if (worker === this.#worker) this.#lastError = error;
    });
    worker.on('exit', (code) => this.#onExit(worker, code));
  }

  /** Whether the worker is loaded and can take a job (the pool decides how many it may hold). */
  get live(): boolean {
    return this.state === 'idle' || this.state === 'busy';
  }

  dispatch(job: Job): void {
    const worker = this.#worker;
    if (worker === undefined || !this.live) throw new Error(`worker ${this.index} is not running`);
    this.state = 'busy';
    this.jobs.push(job);
    const message: ToWorker = { type: 'run', id: job.id, key: job.key, feeds: job.feeds };
    try {
      worker.postMessage(message, job.transfer);
    } catch (error) {
      // The feeds could not be cloned (not a Float32Array, detached buffer...): the worker never saw them.
      this.#finish(job);
      this.#events.onJobDone(job, { error: new InferenceError(job.key, describe(error)) });
    }
  }

  /** Takes a job off the slot; the slot is idle once it holds none. */
  #finish(job: Job): void {
    const at = this.jobs.indexOf(job);
    if (at >= 0) this.jobs.splice(at, 1);
    if (this.jobs.length === 0 && this.state === 'busy') this.#becomeIdle();
  }

  /** Fails every job the worker held (it was stopped or it crashed). */
  #failAll(error: Error): void {
    for (const job of this.jobs.splice(0)) this.#events.onJobDone(job, { error });
  }

  /** Stops the worker for good: it finishes any native call in flight, then exits. */
  async stop(): Promise<void> {
    clearTimeout(this.#respawnTimer);
    const worker = this.#worker;
    this.#worker = undefined;
    this.state = 'dead';
    this.#failAll(new WorkerCrashedError(`worker ${this.index} was stopped`));
    if (worker) this.#retire(worker);
    await this.#exited;
  }

  #retire(worker: Worker): void {
    this.#exited = Promise.all([this.#exited, stopWorker(worker)]);
  }

  /** Makes the worker throw an uncaught error instead of running its next job; for tests of the crash path. */
  crashForTesting(): void {
    const message: ToWorker = { type: 'crash-for-testing' };
    this.#worker?.postMessage(message);
  }

  #becomeIdle(): void {
    this.state = 'idle';
    this.idleSince = performance.now();
  }

  #onMessage(worker: Worker, message: FromWorker): void {
    if (worker !== this.#worker) return;
    switch (message.type) {
      case 'ready':
        this.everReady = true;
        this.#becomeIdle();
        this.#events.onReady(this);
        return;
      case 'load-failed': {
        const error = new BundleError(
          message.code,
          message.path,
          `cannot load model "${message.key}": ${message.message}`,
        );
        this.#worker = undefined;
        this.state = 'dead';
        this.#retire(worker);
        this.#events.onLoadFailed(this, error);
        return;
      }
      case 'result':
      case 'failed': {
        const job = this.jobs.find((j) => j.id === message.id);
        if (job === undefined) return;
        this.#crashes = 0;
        this.#finish(job);
        const outcome =
          message.type === 'result'
            ? { outputs: message.outputs }
            : { error: new InferenceError(job.key, message.message) };
        this.#events.onJobDone(job, outcome);
        return;
      }
    }
  }

  #onExit(worker: Worker, code: number): void {
    if (worker !== this.#worker) return; // stopped on purpose
    this.#worker = undefined;
    this.state = 'dead';
    const detail = this.#lastError === undefined ? `exit code ${code}` : describe(this.#lastError);
    const error = new WorkerCrashedError(`worker ${this.index}: ${detail}`, { cause: this.#lastError });
    this.#failAll(error);
    this.#crashes++;
    if (this.everReady && this.#crashes <= MAX_CONSECUTIVE_CRASHES && this.#events.shouldRespawn()) {
      this.state = 'starting';
      this.#respawnTimer = setTimeout(() => {
        if (this.#events.shouldRespawn()) this.start();
        else this.state = 'dead';
      }, respawnDelayMs(this.#crashes));
    }
    this.#events.onCrashed(this, error);
  }
}
