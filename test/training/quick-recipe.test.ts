// The training recipe end to end on a small subset (--quick), as CI runs it: Debian's
// python3-torch trains, exports ONNX and writes manifests the TypeScript loader accepts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadFashionMnist } from '@cleave/dataset';
import { bundleSessionModels, createSessionPool, listBundles, loadBundle } from '@cleave/models';

const ROOT = join(import.meta.dirname, '..', '..');

describe('training - quick recipe', { timeout: 420_000 }, () => {
  it('training - --quick rebuilds every bundle and the runtime loads and runs them', {
    timeout: 400_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'cleave-quick-'));
    try {
      const started = Date.now();
      const r = spawnSync(
        '/usr/bin/python3',
        // One thread: files run beside this one, and two OpenMP threads on a shared core wait on
        // each other (46 s of CPU on one thread, 55 s on two).
        [join(ROOT, 'training', 'train.py'), '--recipe', 'fmnist', '--quick', '--threads', '1', '--out', out],
        {
          encoding: 'utf8',
          timeout: 380_000,
        },
      );
      assert.equal(r.status, 0, `train.py failed:\n${r.stdout}\n${r.stderr}`);
      const report = JSON.parse(readFileSync(join(out, 'zoo-report.json'), 'utf8')) as {
        quick: boolean;
        seconds: number;
      };
      assert.equal(report.quick, true);
      assert.ok(Date.now() - started < 300_000);
      const dirs = await listBundles(out);
      assert.ok(dirs.length >= 3, `bundles: ${dirs.join(', ')}`);
      const data = await loadFashionMnist({ split: 'test', limit: 8 });
      for (const dir of dirs) {
        const bundle = await loadBundle(dir);
        const pool = createSessionPool({ models: bundleSessionModels(bundle) });
        try {
          await pool.ready;
          const input = { data: Float32Array.from(data.images, (p) => p / 255), dims: [8, 1, 28, 28] };
          const head = await pool.run('head', { input });
          assert.deepEqual(head.exit_logits!.dims, [8, 10]);
          assert.deepEqual(head.features!.dims, [8, ...bundle.manifest.bottleneck.shape]);
          const tail = await pool.run('tail', { features: head.features! });
          assert.deepEqual(tail.logits!.dims, [8, 10]);
        } finally {
          await pool.close();
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
