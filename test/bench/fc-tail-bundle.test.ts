// The bundle `cleave bench serve --fc-tail` measures: exported with python3-torch, cut before the
// VGG-style classifier, so its tail holds the three fully connected layers and nothing else.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeFcTailBundle } from '@cleave/bench';
import { decodeOnnxModel } from '@cleave/graph';
import { loadBundle } from '@cleave/models';

describe('bench - fully connected tail bundle', () => {
  it('bench - --fc-tail makes a bundle whose tail is the classifier: 3 Gemm layers, all of its weights', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-fc-tail-test-'));
    try {
      const width = 64;
      const fc = await makeFcTailBundle(dir, width, 96);
      assert.equal(fc.name, 'fmnist-fc64');
      const bundle = await loadBundle(join(dir, fc.name));
      assert.deepEqual(bundle.manifest.bottleneck.shape, [64, 7, 7]);
      assert.deepEqual(bundle.manifest.input.shape, [1, 28, 28]);
      const tail = decodeOnnxModel(readFileSync(bundle.files.tail.path)).graph!;
      const ops = tail.node.map((n) => n.opType);
      assert.equal(ops.filter((o) => o === 'Gemm').length, 3, ops.join(','));
      assert.ok(!ops.includes('Conv'), 'no convolution left in the tail');
      const parameters = tail.initializer
        .filter((t) => t.dims.length > 0)
        .reduce((n, t) => n + t.dims.reduce((a: number, b) => a * Number(b), 1), 0);
      assert.equal(parameters, fc.tailParameters);
      // Split and full agree on (nearly) every calibration image at 8 bits, weights random or not.
      assert.ok(
        (bundle.manifest.metrics.accuracy.split ?? 0) >= 0.95,
        JSON.stringify(bundle.manifest.metrics),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
