// cleave-test: exclusive (it bounds the event loop's timer gaps; another file's processes on the same two cores stretch them)
// The rule this package exists for: inference never blocks the event loop of its caller.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { createSessionPool, type SessionPool } from './session-pool.js';
import { watchEventLoop } from './testing/event-loop-watch.js';
import { matMulChainModel } from './testing/onnx-fixture.js';

const SIZE = 512;
const MAX_GAP_MS = 60;
let dir: string;
let chainPath: string;
let pool: SessionPool;
let batch = 256;

const heavyFeeds = () => ({ x: { data: new Float32Array(batch * SIZE).fill(0.01), dims: [batch, SIZE] } });

async function timedRun(): Promise<number> {
  const start = performance.now();
  await pool.run('chain', heavyFeeds(), { transfer: true });
  return performance.now() - start;
}

describe('session pool responsiveness', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cleave-pool-'));
    chainPath = join(dir, 'chain.onnx');
    await writeFile(chainPath, matMulChainModel({ size: SIZE, depth: 16 }));
    pool = createSessionPool({ models: [{ key: 'chain', path: chainPath }], workers: 1, intraOpThreads: 1 });
    await pool.ready;
    // Grow the batch until one run is longer than the gap we allow: had it run on the event loop,
    // a single run would already break the bound.
    while ((await timedRun()) < 2 * MAX_GAP_MS && batch < 16_384) batch *= 2;
  });
  after(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('session pool - a 10 ms timer keeps firing while heavy batches run for 1.5 s', {
    timeout: 60_000,
  }, async (t) => {
    const watch = watchEventLoop(10);
    const deadline = performance.now() + 1600;
    const durations: number[] = [];
    // Two lanes keep the worker busy back to back: one run is always queued behind the other.
    const lane = async () => {
      while (performance.now() < deadline) durations.push(await timedRun());
    };
    await Promise.all([lane(), lane()]);
    const report = watch.stop();
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    t.diagnostic(
      `batch ${batch}: ${durations.length} runs, mean ${mean.toFixed(0)} ms; ` +
        `timer ${report.ticks} ticks in ${report.elapsedMs.toFixed(0)} ms, max gap ${report.maxGapMs.toFixed(1)} ms`,
    );

    assert.ok(report.elapsedMs >= 1500, `heavy work ran for only ${report.elapsedMs.toFixed(0)} ms`);
    assert.ok(durations.length >= 4, `only ${durations.length} runs`);
    assert.ok(
      report.maxGapMs < MAX_GAP_MS,
      `event loop stalled for ${report.maxGapMs.toFixed(1)} ms (batch ${batch}, runs ${durations.length})`,
    );
    const expected = report.elapsedMs / 10;
    assert.ok(
      report.ticks >= 0.75 * expected,
      `timer fired ${report.ticks} times, expected about ${expected.toFixed(0)}`,
    );
    assert.equal(pool.stats().failed, 0);
  });

  it('session pool - control: the same run on the main thread does stall the timer', {
    timeout: 60_000,
  }, async (t) => {
    // Proves the test above can fail: ONNX Runtime's run() blocks whichever thread calls it.
    const session = await ort.InferenceSession.create(chainPath, { intraOpNumThreads: 1 });
    try {
      const feeds = heavyFeeds();
      const watch = watchEventLoop(10);
      await new Promise((resolve) => setTimeout(resolve, 30));
      await session.run({ x: new ort.Tensor('float32', feeds.x.data, feeds.x.dims) });
      await new Promise((resolve) => setTimeout(resolve, 30));
      const report = watch.stop();
      t.diagnostic(`main-thread run: max gap ${report.maxGapMs.toFixed(1)} ms`);
      assert.ok(
        report.maxGapMs >= MAX_GAP_MS,
        `main-thread run stalled the loop only ${report.maxGapMs.toFixed(1)} ms`,
      );
    } finally {
      await session.release();
    }
  });
});
