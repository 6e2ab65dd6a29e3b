// Offloaded inputs whose cloud answer disagrees with the device's guess land on disk for retraining.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createTailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { createAgent } from '@cleave/edge-agent';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('agent - hard examples', { timeout: 120_000 }, () => {
  it('agent - cloud answers that overrule the device are kept with a manifest', {
    timeout: 100_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-hard-'));
    const server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { port: 0 },
      workers: 1,
    });
    try {
      const agent = await createAgent({
        bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
        mode: 'cloud-only',
        cloud: { target: `127.0.0.1:${server.port}` },
        hardExamples: { dir, maxItems: 20 },
      });
      const data = await loadFashionMnist({ split: 'test', limit: 300 });
      for (let i = 0; i < data.count; i++) await agent.infer({ kind: 'pixels', data: imageAt(data, i) });
      await agent.close(); // flushes
      const lines = readFileSync(join(dir, 'manifest.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { file: string; cloudLabel: number; localLabel: number });
      assert.ok(lines.length > 0 && lines.length <= 20, `${lines.length} kept`);
      assert.ok(lines.every((l) => l.cloudLabel !== l.localLabel && existsSync(join(dir, l.file))));
      assert.ok(lines.every((l) => l.file.endsWith('.png')));
    } finally {
      await server.drain();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
