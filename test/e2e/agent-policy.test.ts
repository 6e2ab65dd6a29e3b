// The offload policy: a slow link with a 50 ms budget moves answers onto the device; a dead
// cloud gets every request answered, degraded, within its deadline, and opens the breaker.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { createAgent } from '@cleave/edge-agent';
import { type DelayProxy, startDelayProxy } from '../support/delay-proxy.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const bundleDir = join(MODELS_DIR, DEFAULT_BUNDLE);

describe('policy - slow link and dead cloud', { timeout: 180_000 }, () => {
  let server: TailServer;
  let proxy: DelayProxy;
  before(async () => {
    server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { port: 0 },
      workers: 1,
    });
    proxy = await startDelayProxy(server.port, 40); // 80 ms round trip on top of the server's time
  });
  after(async () => {
    await proxy?.close();
    await server?.drain();
  });

  it('policy - with a 50 ms budget on an 80 ms link, answers shift to the device', {
    timeout: 90_000,
  }, async () => {
    const data = await loadFashionMnist({ split: 'test', limit: 60 });
    const run = async (latencyBudgetMs: number | null) => {
      const agent = await createAgent({
        bundleDir,
        mode: 'cloud-only',
        cloud: { target: `127.0.0.1:${proxy.port}`, timeoutMs: 5000 },
        policy: { latencyBudgetMs, probeIntervalMs: 60_000 },
      });
      try {
        const answers = [];
        for (let i = 0; i < data.count; i++)
          answers.push(await agent.infer({ kind: 'pixels', data: imageAt(data, i) }));
        return { answers, stats: agent.stats() };
      } finally {
        await agent.close();
      }
    };
    const unbounded = await run(null);
    assert.ok(unbounded.answers.every((a) => a.source === 'cloud'));
    assert.ok(unbounded.stats.policy.link.srttMs >= 70, `srtt ${unbounded.stats.policy.link.srttMs}`);

    const budgeted = await run(50);
    const late = budgeted.answers.slice(10);
    const local = late.filter(
      (a) => a.source === 'fallback' && a.degraded && a.reason?.startsWith('latency budget'),
    );
    assert.ok(local.length >= late.length * 0.9, `${local.length}/${late.length} answered on the device`);
    assert.ok(
      local.every((a) => a.timings.totalMs < 50),
      'local answers meet the budget',
    );
    assert.ok(budgeted.stats.policy.localForBudget >= local.length);
  });

  it('policy - with the cloud down, every request is answered degraded in time and the breaker opens', {
    timeout: 60_000,
  }, async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const timeoutMs = 1000;
    const agent = await createAgent({
      bundleDir,
      mode: 'cloud-only',
      cloud: { target: `127.0.0.1:${deadPort}`, timeoutMs },
    });
    try {
      const data = await loadFashionMnist({ split: 'test', limit: 200 });
      const answers = await Promise.all(
        Array.from({ length: data.count }, (_, i) => agent.infer({ kind: 'pixels', data: imageAt(data, i) })),
      );
      assert.equal(answers.length, 200);
      assert.ok(answers.every((a) => a.degraded && a.source === 'fallback'));
      assert.ok(answers.every((a) => a.timings.totalMs < timeoutMs + 1000));
      const later = await agent.infer({ kind: 'pixels', data: imageAt(data, 0) });
      assert.ok(later.reason?.startsWith('circuit open'), later.reason);
      assert.ok(agent.stats().policy.breaker.opens >= 1);
    } finally {
      await agent.close();
    }
  });
});
