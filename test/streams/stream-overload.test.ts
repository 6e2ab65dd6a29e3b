// cleave-test: exclusive (it measures frame age against inference time)
// Must show (#21), overload: a source at 30 fps into a head that is slower than the frame interval
// (a deliberately expensive bundle: the shipped head plus a dead-weight MatMul chain, same outputs).
// Frames are dropped, not queued: the frame age p99 stays under 3 frame intervals plus one
// inference time, the queue never holds more than its bound, and in = answered + skipped + dropped.
// The 5-minute RSS-flat run is `cleave bench stream --overload-minutes 5` (docs/benchmarks.md).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeSlowHeadBundleFor } from '@cleave/bench';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent, createStreamHub, type StreamEvent } from '@cleave/edge-agent';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';
import { type Clip, makeClip } from '../support/stream-clip.js';

const RUN_MS = 15_000;
const FPS = 30;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

describe('streams - overload: a head slower than the frame interval', { timeout: 120_000 }, () => {
  let dir: string;
  let clip: Clip;
  let agent: Agent;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cleave-overload-'));
    const data = await loadFashionMnist({ split: 'test', limit: 200 });
    clip = await makeClip(
      dir,
      Array.from({ length: 200 }, (_, i) => imageAt(data, i)),
      { fps: FPS },
    );
    // About 3 frame intervals per inference on this machine, whatever its speed.
    const bundle = await makeSlowHeadBundleFor(join(MODELS_DIR, DEFAULT_BUNDLE), dir, (3 * 1000) / FPS);
    agent = await createAgent({
      bundleDir: bundle,
      mode: 'edge-only',
      stages: { cache: false },
      energy: { enabled: false },
    });
  });
  after(async () => {
    await agent?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('streams - frames are dropped, not queued: age p99 < 3 intervals + 1 inference, counts add up', {
    timeout: 90_000,
  }, async () => {
    // No skipping and no cache: every admitted frame that is not dropped runs the slow head.
    const hub = createStreamHub(agent, [{ id: 'cam', url: clip.path, rate: 1, loop: true }], {
      skipDistance: null,
    });
    const events: StreamEvent[] = [];
    hub.onEvent((e) => events.push(e));
    let maxQueued = 0;
    const started = Date.now();
    while (Date.now() - started < RUN_MS) {
      await new Promise((r) => setTimeout(r, 100));
      maxQueued = Math.max(maxQueued, hub.stats()[0]!.queued);
    }
    await hub.close();
    const s = hub.stats()[0]!;
    assert.equal(s.state, 'stopped');
    assert.equal(s.failed, 0, JSON.stringify(s));
    assert.equal(
      s.in,
      s.answered + s.skipped + s.dropped,
      `in = answered + skipped + dropped: ${JSON.stringify(s)}`,
    );
    assert.equal(s.skipped, 0);
    assert.equal(events.length, s.answered);
    assert.ok(maxQueued <= 1, `queue bound 1, saw ${maxQueued}`);

    // Warm-up aside (the first second), the head is slower than the frames: a share is dropped.
    const steady = events.filter((e) => e.captureTime >= started + 1000);
    const inference = steady.map((e) => e.inferenceMs).sort((a, b) => a - b);
    const ages = steady.map((e) => e.frameAgeMs).sort((a, b) => a - b);
    // Time from capture to the start of its inference: what queueing would make grow.
    const waits = steady.map((e) => e.frameAgeMs - e.inferenceMs).sort((a, b) => a - b);
    const interval = 1000 / FPS;
    // "One inference time" at the same percentile as the age: this machine's p99 inference.
    const oneInference = percentile(inference, 99);
    const bound = 3 * interval + oneInference;
    const report = {
      in: s.in,
      answered: s.answered,
      dropped: s.dropped,
      inferenceMs: { p50: percentile(inference, 50), p99: oneInference },
      ageMs: { p50: percentile(ages, 50), p99: percentile(ages, 99), max: ages.at(-1) },
      waitMs: { p50: percentile(waits, 50), p99: percentile(waits, 99) },
      boundMs: bound,
    };
    assert.ok(
      percentile(inference, 50) > interval,
      `the head must be slower than a frame interval: ${JSON.stringify(report)}`,
    );
    assert.ok(report.waitMs.p99 < 3 * interval, `a frame waits under 3 intervals: ${JSON.stringify(report)}`);
    assert.ok(s.dropped > 0.1 * s.in, `frames dropped: ${JSON.stringify(report)}`);
    assert.ok(report.ageMs.p99 < bound, `frame age p99 under the bound: ${JSON.stringify(report)}`);
    // If frames were queued instead, age would grow with time: the last answers are as fresh as the first.
    const late = steady.slice(-50).map((e) => e.frameAgeMs);
    assert.ok(Math.max(...late) < bound, `late frames fresh: ${JSON.stringify(late)}`);
    process.stdout.write(`# overload: ${JSON.stringify(report)}\n`);
  });
});
