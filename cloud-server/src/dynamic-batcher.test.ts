import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDynamicBatcher } from './dynamic-batcher.js';
import { ServingError } from './serving-errors.js';

function recordingBatcher(opts: {
  maxBatchSize: number;
  delayUs: number;
  queueLimit: number;
  concurrent?: number;
  runMs?: number;
  preferred?: number[];
}) {
  const batches: number[][] = [];
  const sizes: number[] = [];
  const batcher = createDynamicBatcher<number, number>({
    maxBatchSize: opts.maxBatchSize,
    maxQueueDelayMicros: opts.delayUs,
    queueLimit: opts.queueLimit,
    maxConcurrentBatches: opts.concurrent ?? 1,
    ...(opts.preferred ? { preferredBatchSizes: opts.preferred } : {}),
    onBatch: (size) => sizes.push(size),
    run: async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, opts.runMs ?? 5));
      return items.map((x) => x * 10);
    },
  });
  return { batcher, batches, sizes };
}

describe('batcher - dynamic batching', () => {
  it('batcher - fills batches up to maxBatchSize and answers each item in order', {
    timeout: 5000,
  }, async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 8, delayUs: 50_000, queueLimit: 100 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.submit(i)));
    assert.deepEqual(
      results.map((r) => r.value),
      Array.from({ length: 20 }, (_, i) => i * 10),
    );
    assert.ok(batches.every((b) => b.length <= 8));
    assert.equal(batches.flat().length, 20);
    assert.ok(results.some((r) => r.batchSize > 1));
    assert.equal(batcher.stats().completed, 20);
  });

  it('batcher - a lone request leaves after maxQueueDelayMicros, not later', { timeout: 5000 }, async () => {
    const { batcher } = recordingBatcher({ maxBatchSize: 64, delayUs: 20_000, queueLimit: 100 });
    await batcher.submit(0); // the first goes at once: no batch is running
    const t = performance.now();
    const [a, b] = await Promise.all([batcher.submit(1), batcher.submit(2)]);
    assert.equal(a.batchSize, 2);
    assert.equal(b.batchSize, 2);
    assert.ok(performance.now() - t < 500);
  });

  it('batcher - a preferred batch size leaves at once instead of waiting out the delay', {
    timeout: 5000,
  }, async () => {
    const { batcher, batches, sizes } = recordingBatcher({
      maxBatchSize: 32,
      delayUs: 2_000_000,
      queueLimit: 100,
      preferred: [4],
      concurrent: 2,
    });
    const started = performance.now();
    // Five arrive together: four leave at once as a preferred batch, the fifth waits for company.
    const results = Array.from({ length: 5 }, (_, i) => batcher.submit(i));
    await Promise.all(results.slice(0, 4));
    assert.ok(performance.now() - started < 1000, 'the preferred batch did not wait for the 2 s delay');
    assert.deepEqual(batches[0], [0, 1, 2, 3]);
    assert.equal(batcher.stats().queued, 1);
    await results[4];
    assert.deepEqual(sizes, [4, 1]);
  });
  it('batcher - a full queue is refused at once with QUEUE_FULL', { timeout: 5000 }, async () => {
    const { batcher } = recordingBatcher({ maxBatchSize: 1, delayUs: 0, queueLimit: 3, runMs: 50 });
    const accepted = [batcher.submit(1), batcher.submit(2), batcher.submit(3), batcher.submit(4)];
    const t = performance.now();
    await assert.rejects(
      batcher.submit(5),
      (e: unknown) => e instanceof ServingError && e.code === 'QUEUE_FULL',
    );
    assert.ok(performance.now() - t < 20);
    await Promise.all(accepted);
    assert.equal(batcher.stats().rejected, 1);
  });

  it('batcher - a request whose deadline passes in the queue is dropped before compute', {
    timeout: 5000,
  }, async () => {
    const { batcher, batches } = recordingBatcher({ maxBatchSize: 1, delayUs: 0, queueLimit: 10, runMs: 60 });
    const first = batcher.submit(1);
    const late = batcher.submit(2, performance.now() + 10);
    await assert.rejects(late, (e: unknown) => e instanceof ServingError && e.code === 'DEADLINE_EXCEEDED');
    await first;
    await batcher.idle();
    assert.deepEqual(batches, [[1]]);
    assert.equal(batcher.stats().expired, 1);
  });

  it('batcher - a failing batch rejects each of its requests and the batcher goes on', {
    timeout: 5000,
  }, async () => {
    let calls = 0;
    const batcher = createDynamicBatcher<number, number>({
      maxBatchSize: 4,
      maxQueueDelayMicros: 0,
      queueLimit: 10,
      maxConcurrentBatches: 1,
      run: async (items) => {
        if (calls++ === 0) throw new Error('boom');
        return items;
      },
    });
    await assert.rejects(batcher.submit(1), /boom/);
    assert.equal((await batcher.submit(2)).value, 2);
  });
  it('batcher - enqueue calls its target back once: settled with its share, or failed (deadline passed); a full queue throws', {
    timeout: 5000,
  }, async () => {
    const { batcher } = recordingBatcher({ maxBatchSize: 2, delayUs: 1000, queueLimit: 3, runMs: 20 });
    const heard: string[] = [];
    const target = (name: string) => ({
      settled: (r: { value: number; batchSize: number }) => heard.push(`${name}=${r.value}/${r.batchSize}`),
      failed: (e: unknown) => heard.push(`${name}!${(e as ServingError).code}`),
    });
    // a and b fill the one batch allowed at a time; c (whose deadline passes meanwhile), d and e
    // wait behind it and fill the queue (limit 3), so f is refused at once.
    batcher.enqueue(1, Number.POSITIVE_INFINITY, target('a'));
    batcher.enqueue(2, Number.POSITIVE_INFINITY, target('b'));
    batcher.enqueue(3, performance.now() + 5, target('c'));
    batcher.enqueue(4, Number.POSITIVE_INFINITY, target('d'));
    batcher.enqueue(5, Number.POSITIVE_INFINITY, target('e'));
    assert.throws(() => batcher.enqueue(6, Number.POSITIVE_INFINITY, target('f')), /queue full/);
    assert.deepEqual(heard, [], 'nothing is called back from inside enqueue while there is time');
    await batcher.idle();
    assert.deepEqual(heard, ['a=10/2', 'b=20/2', 'c!DEADLINE_EXCEEDED', 'd=40/2', 'e=50/2']);
    const stats = batcher.stats();
    assert.equal(stats.completed, 4);
    assert.equal(stats.expired, 1);
    assert.equal(stats.rejected, 1);
  });
});
