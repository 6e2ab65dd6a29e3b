// cleave-test: exclusive (it loads every core at 10x capacity and bounds latency; a file beside it stretches the p99)
// Overload: a `cleave serve` process gets 10x the capacity measured a moment before, for 20 s.
// The admitted requests keep a bounded p99, the excess is shed at once with RESOURCE_EXHAUSTED,
// the server's RSS stays under a stated bound, and every request gets exactly one answer.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeRealFrames } from '@cleave/bench';
import { startServeProcess } from '@cleave/cli/serve-process';
import { loadBundle } from '@cleave/models';
import { status } from '@grpc/grpc-js';
import { openH2Load } from '../support/h2-load.js';
import { openRawStream } from '../support/raw-stream.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const QUEUE_LIMIT = 256;
const OVERLOAD_SECONDS = 20;
/** Stated bound on the server's resident memory under overload. */
const RSS_LIMIT_MB = 1024;
/** Stated bound on the p99 latency of admitted requests: the queue drains in well under this. */
const P99_LIMIT_MS = 2000;

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

describe('serve - overload is shed, not queued', { timeout: 180_000 }, () => {
  it('serve - 10x capacity for 20 s: bounded p99, RESOURCE_EXHAUSTED at once, bounded RSS, one answer each', {
    timeout: 150_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-overload-'));
    const config = join(dir, 'serve.json');
    writeFileSync(
      config,
      JSON.stringify({
        batching: { queueLimit: QUEUE_LIMIT },
        limits: { maxInFlightPerStream: QUEUE_LIMIT },
      }),
    );
    const server = await startServeProcess([
      '--models',
      MODELS_DIR,
      '--model',
      DEFAULT_BUNDLE,
      '--workers',
      '1',
      '--no-http',
      '--config',
      config,
    ]);
    const real = await makeRealFrames(await loadBundle(join(MODELS_DIR, DEFAULT_BUNDLE)), 256);
    const streams = Array.from({ length: 4 }, () => openRawStream(server.port));
    try {
      // Capacity: closed loop, 4 streams x 48 in flight, 3 s.
      let next = 0;
      const frame = () => real.frames[next % real.frames.length]!;
      let done = 0;
      const capacityEnd = performance.now() + 3000;
      const capStart = performance.now();
      await Promise.all(
        streams.map(async (s) => {
          while (performance.now() < capacityEnd) {
            const batch = Array.from({ length: 48 }, () => ({ request_id: `c${next++}`, frame: frame() }));
            const answers = await s.exchange(batch, 20_000);
            done += [...answers.values()].filter((a) => a.result).length;
          }
        }),
      );
      const capacity = done / ((performance.now() - capStart) / 1000);
      assert.ok(capacity > 100, `capacity ${capacity.toFixed(0)}/s`);

      // Overload: open loop at 10x capacity in ticks of 10 ms over 4 connections, from a raw
      // HTTP/2 generator cheap enough not to starve the server of this machine's two cores.
      const loads = await Promise.all(
        Array.from({ length: 4 }, () =>
          openH2Load({ port: server.port, model: DEFAULT_BUNDLE, frames: real.frames, timeoutMs: 5000 }),
        ),
      );
      const target = capacity * 10;
      let sent = 0;
      let maxRss = 0;
      const start = performance.now();
      while (performance.now() - start < OVERLOAD_SECONDS * 1000) {
        const due = Math.floor(((performance.now() - start) / 1000) * target) - sent;
        for (let k = 0; k < loads.length; k++) {
          const share = Math.floor(due / loads.length) + (k < due % loads.length ? 1 : 0);
          if (share > 0) loads[k]!.send(share);
        }
        sent += due;
        maxRss = Math.max(maxRss, rssMb(server.child.pid!));
        await new Promise((r) => setTimeout(r, 10));
      }
      const offeredRate = sent / ((performance.now() - start) / 1000);
      await Promise.all(loads.map((l) => l.settle(30_000)));
      maxRss = Math.max(maxRss, rssMb(server.child.pid!));
      const all = loads.flatMap((l) => l.outcomes);
      for (const l of loads) l.close();
      const p99 = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;
      const admitted = all.filter((o) => o.code === 0).map((o) => o.latencyMs);
      const shed = all.filter((o) => o.code === status.RESOURCE_EXHAUSTED).map((o) => o.latencyMs);
      const other = all.filter((o) => o.code !== 0 && o.code !== status.RESOURCE_EXHAUSTED);
      const ids = loads.map((l) => new Set(l.outcomes.map((o) => o.id)).size);
      const summary = `capacity ${capacity.toFixed(0)}/s offered ${offeredRate.toFixed(0)}/s sent ${sent} admitted ${admitted.length} (p99 ${p99(admitted).toFixed(0)} ms) shed ${shed.length} (p99 ${p99(shed).toFixed(0)} ms) other ${other.length} rss ${maxRss.toFixed(0)} MB`;
      process.stderr.write(`${summary}\n`);
      assert.equal(all.length, sent, `one answer per request (${summary})`);
      assert.equal(
        ids.reduce((a, b) => a + b, 0),
        sent,
        `no request answered twice (${summary})`,
      );
      assert.ok(offeredRate >= capacity * 9, `the test offered 10x capacity (${summary})`);
      assert.equal(other.length, 0, `only answers and RESOURCE_EXHAUSTED (${summary})`);
      assert.ok(shed.length > sent * 0.7, `the excess was shed (${summary})`);
      assert.ok(p99(shed) < P99_LIMIT_MS, `shed at once, not after a timeout (${summary})`);
      assert.ok(p99(admitted) < P99_LIMIT_MS, `admitted p99 under ${P99_LIMIT_MS} ms (${summary})`);
      assert.ok(maxRss < RSS_LIMIT_MB, `RSS under ${RSS_LIMIT_MB} MB (${summary})`);
    } finally {
      for (const s of streams) s.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
