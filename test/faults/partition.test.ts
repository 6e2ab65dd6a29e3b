// Fault: the link between agent and cloud is cut (a proxy that stops passing bytes either way,
// as a pulled cable does: no reset, just silence) and then healed. During the cut every answer
// comes from the device, degraded, within its deadline; after healing the cloud answers again.
// Counted on both sides: each request id answered exactly once on the agent, and none answered
// twice on a stream by the server (its access log).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createTailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Answer, createAgent } from '@cleave/edge-agent';
import { createAgentLedger, readAccessLog, tallyServers } from '../support/answer-ledger.js';
import { startDelayProxy } from '../support/delay-proxy.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('faults - network partition', { timeout: 180_000 }, () => {
  it('faults - a cut link turns answers degraded within their deadlines, then they recover', {
    timeout: 150_000,
  }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-partition-'));
    const accessLog = join(dir, 'access.jsonl');
    const server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { enabled: false },
      workers: 1,
      accessLog,
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
    const ledger = createAgentLedger(agent);
    try {
      const data = await loadFashionMnist({ split: 'test', limit: 300 });
      // Counted on the agent per request id; a missing answer is reported, not waited on.
      const batch = async (from: number, n: number) => {
        const ids = Array.from({ length: n }, (_, k) => from + k);
        for (const i of ids)
          void ledger.issue(i, () => agent.infer({ kind: 'pixels', data: imageAt(data, i) }));
        assert.deepEqual(await ledger.settle(timeoutMs + 10_000), [], 'request ids with no answer');
        return ids.map((id) => {
          assert.equal(ledger.answers.get(id)?.length, 1, `request ${id}: exactly one answer`);
          return ledger.answers.get(id)![0]!;
        });
      };
      const before = await batch(0, 50);
      assert.ok(before.every((a) => a.source === 'cloud'));

      proxy.partition(true);
      const cut = await batch(50, 100);
      assert.equal(ledger.announced(), 150, 'answers the agent announced (onAnswer)');
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

      // The server side: no request id answered twice on a stream, and every cloud answer the
      // agent took (the 50 before the cut) written by the server.
      const served = tallyServers(readAccessLog(accessLog));
      assert.deepEqual(served.twiceOnOneStream, [], 'request ids the server answered twice on one stream');
      assert.deepEqual(served.unnamed, [], 'every logged request named by its agent stream (TAG-N/ID)');
      assert.ok(served.ok >= 50, `cloud answers written by the server: ${served.ok}`);
      t.diagnostic(
        `agent: 150 ids answered once each (50 cloud, 100 degraded during the cut); server: ${served.lines} answers written`,
      );
    } finally {
      ledger.stop();
      await agent.close();
      await proxy.close();
      await server.drain();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
