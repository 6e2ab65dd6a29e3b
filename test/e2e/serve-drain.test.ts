// SIGTERM: the server stops taking work, answers what it took, and exits 0.
// The signal goes out while the server provably holds requests: its batch queue waits up to 1 s
// for a batch to fill, and the test sends SIGTERM once /metrics shows that queue non-empty.
// (Signalling at the Nth answer instead depended on timing: under load the server could hold
// nothing at that moment, and nothing was left to answer after the signal.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServeProcess } from '@cleave/cli/serve-process';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent } from '@cleave/edge-agent';
import { serverMetricSum } from '../support/server-metric.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('serve - drain on SIGTERM', { timeout: 120_000 }, () => {
  it('serve - in-flight requests finish, every request is answered once, exit code 0', {
    timeout: 100_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-drain-'));
    const config = join(dir, 'serve.json');
    // A batch leaves the queue when 1,024 wait or the first has waited 1 s: requests sit there.
    writeFileSync(
      config,
      JSON.stringify({ batching: { maxBatchSize: 1024, maxQueueDelayMicros: 1_000_000 } }),
    );
    const server = await startServeProcess([
      '--models',
      MODELS_DIR,
      '--model',
      DEFAULT_BUNDLE,
      '--workers',
      '1',
      '--config',
      config,
    ]);
    let agent: Agent | undefined;
    try {
      assert.ok(server.httpPort, 'the server serves /metrics');
      agent = await createAgent({
        bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
        mode: 'cloud-only',
        cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 20_000 },
      });
      const edge = agent;
      const data = await loadFashionMnist({ split: 'test', limit: 600 });
      let cloudAfterSignal = 0;
      let signalled = false;
      let settled = false;
      const all = Promise.all(
        Array.from({ length: data.count }, async (_, i) => {
          const a = await edge.infer({ kind: 'pixels', data: imageAt(data, i) });
          if (a.source === 'cloud' && signalled) cloudAfterSignal++;
          return a;
        }),
      ).finally(() => {
        settled = true;
      });
      let held = 0;
      while (!settled && held === 0) {
        held = await serverMetricSum(server.httpPort!, 'cleave_server_queue_depth');
        if (held === 0) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(held > 0, 'the server held requests at some point before they were all answered');
      signalled = true;
      const exit = server.stop('SIGTERM');
      const answers = await all;
      assert.equal(answers.length, 600);
      assert.ok(answers.every((a) => a.source === 'cloud' || (a.source === 'fallback' && a.degraded)));
      assert.ok(
        cloudAfterSignal >= held,
        `the ${held} requests queued at SIGTERM were answered by the cloud after it (${cloudAfterSignal})`,
      );
      assert.ok(
        answers.some((a) => a.source === 'fallback'),
        'requests sent after SIGTERM were refused and answered on the device',
      );
      assert.equal(await exit, 0);
    } finally {
      await agent?.close();
      await server.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
