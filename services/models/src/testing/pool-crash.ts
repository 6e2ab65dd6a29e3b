import { poolSlotsForTesting, type SessionPool } from '../session-pool.js';

/**
 * Makes one worker of a pool crash on its next job: it throws an uncaught error instead of running
 * it, so the job is rejected with WorkerCrashedError and the pool respawns the worker. For tests of
 * the crash path only. (Terminating the thread from outside is no substitute: doing that while it is
 * inside ONNX Runtime aborts the whole process.)
 */
export function crashPoolWorker(pool: SessionPool, index = 0): void {
  const slot = poolSlotsForTesting.get(pool)?.[index];
  if (slot === undefined) throw new RangeError(`pool has no worker ${index}`);
  slot.crashForTesting();
}
