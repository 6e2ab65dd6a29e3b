// Fault: the link between agent and cloud is cut (a proxy that stops passing bytes either way,
// as a pulled cable does: no reset, just silence) and then healed. During the cut every answer
// comes from the device, degraded, within its deadline; after healing the cloud answers again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createTailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Answer, createAgent } from '@cleave/edge-agent';
import { startDelayProxy } from '../support/delay-proxy.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('faults - network partition', { timeout: 180_000 }, () => {
  it('faults - a cut link turns answers degraded within their deadlines, then they recover', {
    timeout: 150_000,
  }, async () => {
    const server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { enabled: false },
      workers: 1,
    });
    const proxy = await startDelayProxy(server.port, 0);
    const timeoutMs = 1000;
    const agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      mode: 'cloud-only',
      energy: { enabled: false },
      cloud: { target: `127.0.0.1:${proxy.port}`, timeoutMs },
      policy: { breaker: { baseBackoffMs: 100, maxBackoffMs: 500 } },
    });
    try {
      const data = await loadFashionMnist({ split: 'test', limit: 300 });
      const batch = async (from: number, n: number) => {
        const ids = Array.from({ length: n }, (_, k) => from + k);
        const out = await Promise.all(
          ids.map((i) => agent.infer({ kind: 'pixels', data: imageAt(data, i) })),
        );
        return new Map(ids.map((id, k) => [id, out[k]!] as const));
      };
      const before = await batch(0, 50);
      assert.ok([...before.values()].every((a) => a.source === 'cloud'));

      proxy.partition(true);
      const during = await batch(50, 100);
      assert.equal(during.size, 100, 'one answer per request id');
      const cut = [...during.values()];
      assert.ok(
        cut.every((a: Answer) => a.degraded && a.source === 'fallback'),
        'all degraded while cut',
      );
      const slowest = Math.max(...cut.map((a) => a.timings.totalMs));
      assert.ok(slowest < timeoutMs + 500, `within the deadline (slowest ${slowest.toFixed(0)} ms)`);

      proxy.partition(false);
      const until = Date.now() + 30_000;
      let healed = false;
      for (let i = 150; Date.now() < until && !healed; i++) {
        healed = (await agent.infer({ kind: 'pixels', data: imageAt(data, i % 300) })).source === 'cloud';
        if (!healed) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(healed, 'the cloud answers again after the link heals');
    } finally {
      await agent.close();
      await proxy.close();
      await server.drain();
    }
  });
});
