// SIGTERM: the server stops taking work, answers what it took, and exits 0.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServeProcess } from '@cleave/cli/serve-process';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent } from '@cleave/edge-agent';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('serve - drain on SIGTERM', { timeout: 120_000 }, () => {
  it('serve - in-flight requests finish, every request is answered once, exit code 0', {
    timeout: 100_000,
  }, async () => {
    const server = await startServeProcess([
      '--models',
      MODELS_DIR,
      '--model',
      DEFAULT_BUNDLE,
      '--workers',
      '1',
    ]);
    let agent: Agent | undefined;
    try {
      agent = await createAgent({
        bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
        mode: 'cloud-only',
        cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 20_000 },
      });
      const edge = agent;
      const data = await loadFashionMnist({ split: 'test', limit: 600 });
      let cloud = 0;
      let cloudAfterSignal = 0;
      let signalled = false;
      let exit: Promise<number | null> | undefined;
      const answers = await Promise.all(
        Array.from({ length: data.count }, async (_, i) => {
          const a = await edge.infer({ kind: 'pixels', data: imageAt(data, i) });
          if (a.source === 'cloud') {
            cloud++;
            if (signalled) cloudAfterSignal++;
            if (cloud === 100) {
              signalled = true;
              exit = server.stop('SIGTERM');
            }
          }
          return a;
        }),
      );
      assert.equal(answers.length, 600);
      assert.ok(answers.every((a) => a.source === 'cloud' || (a.source === 'fallback' && a.degraded)));
      assert.ok(cloudAfterSignal > 0, 'requests already taken were answered after SIGTERM');
      assert.equal(await exit, 0);
    } finally {
      await agent?.close();
      await server.stop('SIGKILL');
    }
  });
});
