// Fault: the agents offload far more than the server can take. The server sheds with
// RESOURCE_EXHAUSTED at once, the agent answers those requests on the device (degraded, with the
// reason), every request id gets one answer, nothing hangs and memory stays bounded.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createTailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Answer, createAgent } from '@cleave/edge-agent';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('faults - overload', { timeout: 180_000 }, () => {
  it('faults - shed by the server, answered on the device, one answer per id, bounded memory', {
    timeout: 150_000,
  }, async () => {
    const server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { enabled: false },
      workers: 1,
      // A small server: a queue of 32 and no batching are quickly overrun.
      batching: { maxBatchSize: 1, queueLimit: 32 },
      limits: { maxInFlightPerStream: 32 },
    });
    const agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      mode: 'cloud-only',
      energy: { enabled: false },
      poolQueueLimit: 8192,
      cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 10_000 },
      // The breaker would stop offloading after the first failures; keep it closed to keep the
      // pressure on the server for the whole run.
      policy: { breaker: { failureThreshold: 1_000_000 } },
    });
    try {
      const data = await loadFashionMnist({ split: 'test', limit: 4000 });
      const rssBefore = process.memoryUsage().rss;
      const answers = new Map<number, Answer[]>();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: data.count }, async (_, id) => {
          const a = await agent.infer({ kind: 'pixels', data: imageAt(data, id) });
          answers.set(id, [...(answers.get(id) ?? []), a]);
        }),
      );
      const elapsed = performance.now() - started;
      const all = [...answers.values()];
      assert.equal(all.length, data.count);
      assert.ok(
        all.every((l) => l.length === 1),
        'exactly one answer per id',
      );
      const shed = all.filter((l) => l[0]!.degraded && /RESOURCE_EXHAUSTED/.test(l[0]!.reason ?? ''));
      const cloud = all.filter((l) => l[0]!.source === 'cloud');
      assert.ok(
        shed.length > data.count / 40,
        `the server shed many (${shed.length}), answered ${cloud.length}`,
      );
      assert.ok(cloud.length > 0);
      assert.equal(shed.length + cloud.length, data.count, 'only cloud answers and shed fallbacks');
      assert.ok(elapsed < 60_000, `nothing hangs (${elapsed.toFixed(0)} ms)`);
      const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      assert.ok(grown < 1024, `agent RSS grew ${grown.toFixed(0)} MB`);
    } finally {
      await agent.close();
      await server.drain();
    }
  });
});
