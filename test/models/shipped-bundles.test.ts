// The model zoo as shipped: every bundle validates, every ONNX file loads in onnxruntime-node,
// and the accuracies measured here on the 10,000 test images match the manifests.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type ImageSet, loadFashionMnist } from '@cleave/dataset';
import { createExitGate } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import { measureBundle, shannonBytes } from '../support/bundle-eval.js';
import { MODELS_DIR, shippedBundleNames } from '../support/shipped-bundles.js';

const TOLERANCE = 0.001; // 0.1 pt

describe('models - shipped bundles', { timeout: 600_000 }, () => {
  let test: ImageSet;
  const names = shippedBundleNames();
  before(async () => {
    test = await loadFashionMnist({ split: 'test' });
  });

  it('models - at least three bundles, each within 5 MB, all within 20 MB', { timeout: 30_000 }, async () => {
    assert.ok(names.length >= 3, `bundles: ${names.join(', ')}`);
    let total = 0;
    for (const name of names) {
      const bundle = await loadBundle(join(MODELS_DIR, name));
      const bytes = Object.values(bundle.files).reduce((n, f) => n + statSync(f.path).size, 0);
      assert.ok(bytes <= 5 * 1024 * 1024, `${name}: ${bytes} bytes`);
      total += bytes;
    }
    assert.ok(total <= 20 * 1024 * 1024, `models/: ${total} bytes`);
  });

  for (const name of names) {
    it(`models - ${name}: accuracies measured through onnxruntime-node match the manifest`, {
      timeout: 300_000,
    }, async () => {
      const bundle = await loadBundle(join(MODELS_DIR, name));
      const metrics = bundle.manifest.metrics;
      assert.equal(metrics.evaluatedOn, 'fashion-mnist-test-10000');
      const got = await measureBundle(bundle, test);
      const claimed = metrics.accuracy as Record<string, number>;
      for (const key of ['full', 'split', 'exit', 'dual-a', 'dual-b']) {
        const delta = Math.abs(got.accuracy[key]! - claimed[key]!);
        assert.ok(
          delta <= TOLERANCE,
          `${name} ${key}: measured ${got.accuracy[key]} vs manifest ${claimed[key]}`,
        );
      }
      // The early exit at its calibrated threshold answers >= 50% and costs <= 0.3 pt.
      const gates = bundle.manifest.gates.exit;
      const gate = createExitGate({
        scoreFunction: gates.default,
        threshold: gates.thresholds[gates.default]!,
      });
      let exits = 0;
      let correct = 0;
      for (let i = 0; i < test.count; i++) {
        const d = gate.decide(got.exitLogits.subarray(i * 10, (i + 1) * 10));
        const label = d.pass ? d.label : got.predictions.split![i]!;
        if (d.pass) exits++;
        if (label === test.labels[i]) correct++;
      }
      const coverage = exits / test.count;
      const cascade = correct / test.count;
      // Bundles whose thresholds `cleave calibrate` chose jointly for the whole cascade trade exit
      // answers for dual ones; for them the manifest's figures must hold, measured here.
      if (String(bundle.manifest.calibration.method).startsWith('cleave calibrate')) {
        assert.ok(Math.abs(coverage - (metrics.exitCoverage as number)) <= 0.001, `${name}: ${coverage}`);
      } else {
        assert.ok(coverage >= 0.5, `${name}: exit answers ${coverage}`);
        assert.ok(
          got.accuracy.split! - cascade <= 0.003,
          `${name}: exit costs ${got.accuracy.split! - cascade}`,
        );
      }
      assert.ok(Math.abs(cascade - claimed['exit-cascade']!) <= TOLERANCE);
      // The entropy model's bound, computed here from the codes the TypeScript codec produced.
      const bound = shannonBytes(bundle, got.codes, test.count);
      assert.ok(
        Math.abs(bound - (metrics.shannonBytes as number)) / bound < 0.005,
        `${name}: bound ${bound}`,
      );
      assert.ok((metrics.meanFrameBytes as number) >= bound);
    });
  }

  // The goal (<= 0.5 pt from the teacher at <= 78 B) is not met yet; what must hold is that the
  // model-zoo table states the measured gap, so nobody reads a stale or rounder figure.
  it('models - docs/model-zoo.md states the measured gap at <= 78 bytes per offload', {
    timeout: 30_000,
  }, async () => {
    const bundles = await Promise.all(names.map((n) => loadBundle(join(MODELS_DIR, n))));
    const small = bundles.filter((b) => (b.manifest.metrics.meanFrameBytes as number) <= 78);
    assert.ok(small.length > 0, 'a bundle at <= 78 bytes per offload');
    const best = Math.max(
      ...small.map((b) => (b.manifest.metrics.accuracy as Record<string, number>).split!),
    );
    const teacher = bundles[0]!.manifest.metrics.teacherAccuracy;
    // The figures carry docs:check marks (<!-- fig … -->); the sentence is read without them.
    const doc = readFileSync(join(MODELS_DIR, '..', 'docs', 'model-zoo.md'), 'utf8').replace(
      /<!-- fig [^>]*-->/g,
      '',
    );
    const claim = `reaches ${(best * 100).toFixed(2)}%, ${((teacher - best) * 100).toFixed(2)} pt from the teacher`;
    assert.ok(doc.includes(claim), `docs/model-zoo.md should say "${claim}"`);
  });
});
