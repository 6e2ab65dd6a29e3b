// Gathers single requests into batches for one model: a batch leaves when it is full or when
// its oldest request has waited maxQueueDelayMicros. The queue is bounded and overflow is
// refused at once; a request whose deadline passes while queued is dropped before compute.
import { ServingError, ServingErrorCode } from './serving-errors.js';

export interface BatcherOptions<I, O> {
  /** Runs one batch; must return one output per input, in order. */
  run: (items: I[]) => Promise<O[]>;
  maxBatchSize: number;
  maxQueueDelayMicros: number;
  /**
   * Batch sizes worth sending without waiting (Triton's preferred_batch_size): as soon as this
   * many are queued, a batch of the largest such size leaves; the rest wait for company.
   */
  preferredBatchSizes?: readonly number[];
  /** Told the size of every batch that runs (metrics). */
  onBatch?: (size: number) => void;
  /** Requests allowed to wait; one more is refused with QUEUE_FULL. */
  queueLimit: number;
  /** Batches in flight at once (workers × batchesPerWorker: each worker runs one and holds the next). */
  maxConcurrentBatches: number;
}

export interface BatchedResult<O> {
  value: O;
  queueUs: number;
  computeUs: number;
  batchSize: number;
}

export interface BatcherStats {
  queued: number;
  inFlightBatches: number;
  batches: number;
  completed: number;
  rejected: number;
  expired: number;
  failed: number;
}

/** Who hears how a queued request ended: its share of a batch, or why it got none. */
export interface BatchTarget<O> {
  settled(result: BatchedResult<O>): void;
  /** The batch failed, or the request's deadline passed while it was queued. */
  failed(error: unknown): void;
}

interface Pending<I, O> {
  item: I;
  enqueuedAt: number;
  deadline: number;
  target: BatchTarget<O>;
}

export interface DynamicBatcher<I, O> {
  /** `deadline` is a performance.now() time; Infinity for none. */
  submit(item: I, deadline?: number): Promise<BatchedResult<O>>;
  /**
   * submit without a promise: `target` hears the outcome once, from the batch's completion, or
   * from any dispatch (this enqueue's too) that finds its deadline passed. Throws QUEUE_FULL at
   * once when there is no room. For the hot
   * path, where each request already has an object to call back: a promise, its two resolving
   * functions and the continuations behind them would each live as long as the request waits.
   */
  enqueue(item: I, deadline: number, target: BatchTarget<O>): void;
  /** Whether one more request would be queued now (else submit refuses it with QUEUE_FULL). */
  hasRoom(): boolean;
  stats(): BatcherStats;
  /** Resolves once nothing is queued or running. */
  idle(): Promise<void>;
}

// One shared instance: shedding happens tens of thousands of times a second under overload, and
// capturing a stack trace per refusal was the largest cost on the server's main thread.
const QUEUE_FULL_ERROR = new ServingError(
  ServingErrorCode.QUEUE_FULL,
  'batch queue full: the server is overloaded, shed at once',
);

export function queueFull(): ServingError {
  return QUEUE_FULL_ERROR;
}

export function createDynamicBatcher<I, O>(options: BatcherOptions<I, O>): DynamicBatcher<I, O> {
  const { run, maxBatchSize, maxQueueDelayMicros, queueLimit, maxConcurrentBatches, onBatch } = options;
  const preferred = [...(options.preferredBatchSizes ?? [])]
    .filter((n) => n >= 1 && n < maxBatchSize)
    .sort((a, b) => b - a);
  const smallestPreferred = preferred.at(-1) ?? maxBatchSize;
  /** The largest preferred size that the queue can fill now. */
  const preferredFit = () => preferred.find((n) => n <= queue.length);
  const queue: Pending<I, O>[] = [];
  const counts = { batches: 0, completed: 0, rejected: 0, expired: 0, failed: 0 };
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let idleWaiters: (() => void)[] = [];

  function checkIdle(): void {
    if (queue.length === 0 && inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function takeBatch(size: number): Pending<I, O>[] {
    const now = performance.now();
    const batch: Pending<I, O>[] = [];
    while (batch.length < size && queue.length > 0) {
      const p = queue.shift()!;
      if (p.deadline <= now) {
        counts.expired++;
        p.target.failed(new ServingError(ServingErrorCode.DEADLINE_EXCEEDED, 'deadline passed while queued'));
        continue;
      }
      batch.push(p);
    }
    return batch;
  }

  function dispatch(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (inFlight < maxConcurrentBatches && queue.length > 0) {
      const oldestWaitUs = (performance.now() - queue[0]!.enqueuedAt) * 1000;
      const waitedEnough = oldestWaitUs >= maxQueueDelayMicros;
      const fit = queue.length >= maxBatchSize || waitedEnough ? maxBatchSize : preferredFit();
      // A partial batch may wait for company until its oldest request has waited long enough.
      if (fit === undefined) {
        timer = setTimeout(dispatch, Math.max(0, (maxQueueDelayMicros - oldestWaitUs) / 1000));
        break;
      }
      const batch = takeBatch(fit);
      if (batch.length > 0) void execute(batch);
    }
    checkIdle();
  }

  async function execute(batch: Pending<I, O>[]): Promise<void> {
    inFlight++;
    counts.batches++;
    onBatch?.(batch.length);
    const started = performance.now();
    try {
      const outputs = await run(batch.map((p) => p.item));
      const computeUs = Math.round((performance.now() - started) * 1000);
      counts.completed += batch.length;
      batch.forEach((p, i) => {
        p.target.settled({
          value: outputs[i]!,
          queueUs: Math.round((started - p.enqueuedAt) * 1000),
          computeUs,
          batchSize: batch.length,
        });
      });
    } catch (error) {
      counts.failed += batch.length;
      for (const p of batch) p.target.failed(error);
    } finally {
      inFlight--;
      dispatch();
    }
  }

  function enqueue(item: I, deadline: number, target: BatchTarget<O>): void {
    if (queue.length >= queueLimit) {
      counts.rejected++;
      throw queueFull();
    }
    queue.push({ item, enqueuedAt: performance.now(), deadline, target });
    if (queue.length >= smallestPreferred || (inFlight < maxConcurrentBatches && !timer)) dispatch();
  }

  return {
    submit(item, deadline = Number.POSITIVE_INFINITY) {
      if (queue.length >= queueLimit) {
        counts.rejected++;
        return Promise.reject(queueFull());
      }
      return new Promise<BatchedResult<O>>((resolve, reject) => {
        enqueue(item, deadline, { settled: resolve, failed: reject });
      });
    },
    enqueue,
    hasRoom: () => queue.length < queueLimit,
    stats: () => ({ queued: queue.length, inFlightBatches: inFlight, ...counts }),
    idle() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
