// Messages between the session pool (main thread) and its workers.
import type { TensorMap } from './tensor-batch.js';

export interface WorkerModel {
  key: string;
  path: string;
  /** When set, the worker hashes the bytes it loads and refuses a mismatch. */
  sha256?: string;
}

/** `workerData` of every session worker. */
export interface WorkerInit {
  models: WorkerModel[];
  intraOpThreads: number;
  /** ONNX Runtime's session.intra_op.allow_spinning. */
  intraOpSpinning: boolean;
  executionProviders: string[];
}

export type LoadFailureCode = 'FILE_MISSING' | 'HASH_MISMATCH' | 'ONNX_INVALID';

export type RunRequest = { type: 'run'; id: number; key: string; feeds: TensorMap };

/**
 * `stop`: finish what is running, release the sessions and exit. The pool never uses
 * `worker.terminate()` on a live worker: terminating a thread inside ONNX Runtime's native code
 * aborts the whole process ("terminate called after throwing an instance of 'Napi::Error'").
 * `crash-for-testing`: throw an uncaught error instead of running the next job.
 */
export type ToWorker = RunRequest | { type: 'stop' } | { type: 'crash-for-testing' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'load-failed'; code: LoadFailureCode; key: string; path: string; message: string }
  | { type: 'result'; id: number; outputs: TensorMap }
  | { type: 'failed'; id: number; message: string };
