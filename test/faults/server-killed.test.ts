// Fault: the tail server is SIGKILLed with 2,000 requests in flight. Every request id gets exactly
// one answer (the cloud's, or the device's own marked degraded) within its deadline; when the
// server comes back on the same port, the agent reconnects and offloading resumes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServeProcess } from '@cleave/cli/serve-process';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Answer, createAgent } from '@cleave/edge-agent';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const SERVE_ARGS = ['--models', MODELS_DIR, '--model', DEFAULT_BUNDLE, '--workers', '1', '--no-http'];

describe('faults - server killed', { timeout: 240_000 }, () => {
  it('faults - SIGKILL with 2,000 in flight: one answer per request id, then reconnection', {
    timeout: 200_000,
  }, async () => {
    let server = await startServeProcess(SERVE_ARGS);
    const port = server.port;
    const timeoutMs = 5000;
    const agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      mode: 'cloud-only',
      energy: { enabled: false },
      cloud: { target: `127.0.0.1:${port}`, timeoutMs },
      policy: { breaker: { baseBackoffMs: 100, maxBackoffMs: 1000 } },
      // 2,000 in flight wait for the head's workers; the device-side queue must hold them.
      poolQueueLimit: 4096,
    });
    try {
      const data = await loadFashionMnist({ split: 'test', limit: 2000 });
      const answers = new Map<number, Answer[]>();
      let cloud = 0;
      let killed = false;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: data.count }, async (_, id) => {
          const a = await agent.infer({ kind: 'pixels', data: imageAt(data, id) });
          answers.set(id, [...(answers.get(id) ?? []), a]);
          if (a.source === 'cloud' && ++cloud === 300 && !killed) {
            killed = true;
            server.child.kill('SIGKILL');
          }
        }),
      );
      assert.ok(killed, `the server was killed mid-run (cloud answers: ${cloud})`);
      assert.equal(answers.size, data.count, 'every request id answered');
      assert.ok(
        [...answers.values()].every((list) => list.length === 1),
        'exactly once',
      );
      const all = [...answers.values()].map((l) => l[0]!);
      const degraded = all.filter((a) => a.degraded);
      assert.ok(degraded.length > 0, 'some answered on the device after the kill');
      assert.equal(all.filter((a) => a.source === 'cloud').length + degraded.length, data.count);
      const slowest = Math.max(...all.map((a) => a.timings.totalMs));
      assert.ok(
        slowest < timeoutMs + 3000,
        `no answer later than its deadline (slowest ${slowest.toFixed(0)} ms)`,
      );
      assert.ok(performance.now() - started < 120_000);

      // The server comes back on the same port; offloading resumes without restarting the agent.
      server = await startServeProcess([...SERVE_ARGS, '--port', String(port)]);
      assert.equal(server.port, port);
      const until = Date.now() + 30_000;
      let resumed: Answer | undefined;
      for (let i = 0; Date.now() < until; i++) {
        const a = await agent.infer({ kind: 'pixels', data: imageAt(data, i % data.count) });
        if (a.source === 'cloud') {
          resumed = a;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(resumed, 'the agent reconnected and offloaded again');
    } finally {
      await agent.close();
      await server.stop('SIGKILL');
    }
  });
});
