// Must-show: `cleave split --exit-at TENSOR` gives a user's own model an early exit with no
// training framework. The "user's model" is the shipped Fashion-MNIST teacher (full.onnx); the
// calibration inputs are 1000 training images, the checks use 1000 test images (disjoint). The
// head's ONNX branch reproduces the TypeScript classifier, the gate keeps its agreement with the
// full model on unseen images, the agent answers on the device with it unchanged, and an exit
// tensor the head does not compute is refused with the candidates.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FASHION_MNIST_LABELS, imageAt, loadFashionMnist } from '@cleave/dataset';
import { createAgent } from '@cleave/edge-agent';
import {
  decodeOnnxModel,
  exitActivations,
  fitExit,
  indexGraph,
  normalizePixels,
  openModels,
  regressionLogits,
} from '@cleave/graph';
import {
  argmax,
  type Bundle,
  loadBundle,
  type Manifest,
  scoreFunction,
  softmax,
  stackBatch,
} from '@cleave/models';
import { runCleave as cleave } from './support.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TEACHER = join(ROOT, 'models', 'fmnist-c6b2');
const MODEL = join(TEACHER, 'full.onnx');
// The teacher's own input normalisation, as its manifest states it.
const NORM = (JSON.parse(readFileSync(join(TEACHER, 'manifest.json'), 'utf8')) as Manifest).input
  .normalization;
const DIMS = [1, 28, 28];
const CUT = '/block2/Relu_1_output_0';
const EXIT_AT = '/block1/Relu_1_output_0';
const TARGET = 0.99;
/** Allowed shortfall on unseen images: the gate is chosen on 250 held-out inputs, ±1 to 2 points. */
const MARGIN = 0.03;

/** A .npy file of float32 samples [N, 1, 28, 28]. */
function writeNpy(path: string, samples: readonly Float32Array[]): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${samples.length}, 1, 28, 28), }`;
  header += `${' '.repeat(63 - ((header.length + 10) % 64))}\n`;
  const head = Buffer.concat([
    Buffer.from('\x93NUMPY\x01\x00', 'latin1'),
    Buffer.alloc(2),
    Buffer.from(header),
  ]);
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.concat(samples.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength)));
  writeFileSync(path, Buffer.concat([head, body]));
}

const maxSoftmax = (logits: ArrayLike<number>) => scoreFunction('max-softmax')(softmax(logits));

describe('byom - cleave split --exit-at', { timeout: 300_000 }, () => {
  let dir: string;
  let out: string;
  let calib: Float32Array[];
  let test: { pixels: Uint8Array[]; samples: Float32Array[] };
  let bundle: Bundle;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cleave-exit-at-'));
    out = join(dir, 'models', 'fmnist-exit');
    const train = await loadFashionMnist({ split: 'train', limit: 1000 });
    calib = Array.from({ length: train.count }, (_, i) => normalizePixels(imageAt(train, i), 1, NORM));
    writeNpy(join(dir, 'calib.npy'), calib);
    writeFileSync(join(dir, 'labels.txt'), `${FASHION_MNIST_LABELS.join('\n')}\n`);
    const set = await loadFashionMnist({ split: 'test', limit: 1000 });
    const pixels = Array.from({ length: set.count }, (_, i) => imageAt(set, i).slice());
    test = { pixels, samples: pixels.map((p) => normalizePixels(p, 1, NORM)) };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const split = (at: string, exitAt: string, to = out) =>
    cleave([
      'split',
      MODEL,
      '--at',
      at,
      '--exit-at',
      exitAt,
      '--calib',
      join(dir, 'calib.npy'),
      '--limit',
      '1000',
      '--scale',
      String(NORM.scale),
      '--mean',
      String(NORM.mean[0]),
      '--std',
      String(NORM.std[0]),
      '--labels',
      join(dir, 'labels.txt'),
      '--out',
      to,
    ]);

  it('split --exit-at - the head outputs exit_logits and the manifest holds the gate', {
    timeout: 120_000,
  }, async () => {
    const r = await split(CUT, EXIT_AT);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /exit {6}at \/block1\/Relu_1_output_0 \[48, 14, 14\], fitted on 750 inputs/);
    bundle = await loadBundle(out);
    const m = bundle.manifest;
    const outputs = bundle.files.head.spec.outputs.map((o) => [o.name, o.shape]);
    assert.deepEqual(outputs, [
      ['features', [-1, 96, 7, 7]],
      ['exit_logits', [-1, 10]],
    ]);
    assert.equal(m.gates.exit.default, 'max-softmax');
    for (const fn of ['max-softmax', 'margin', 'entropy'] as const)
      assert.ok(m.gates.exit.thresholds[fn]! > 0, fn);
    assert.ok(m.metrics.exitCoverage > 0 && m.metrics.exitCoverage < 1);
    assert.ok(m.metrics.accuracy.exit! > 0.8, `exit ${m.metrics.accuracy.exit}`);
    assert.ok((m.metrics.exitAnsweredAccuracy as number) >= TARGET);
    assert.equal(m.calibration.exitAt, EXIT_AT);
    assert.equal(m.calibration.exitHeldOutSamples, 250);
  });

  it('exit branch - head.onnx reproduces the TypeScript classifier within 1e-4', {
    timeout: 60_000,
  }, async (t) => {
    const model = readFileSync(MODEL);
    const fit = await fitExit({ model, at: CUT, exitAt: EXIT_AT, samples: calib, inputDims: DIMS });
    // The same fit as the CLI's: deterministic.
    assert.equal(fit.threshold, bundle.manifest.gates.exit.thresholds['max-softmax']);
    const some = test.samples.slice(0, 64);
    const index = indexGraph(decodeOnnxModel(model));
    const { pooled } = await exitActivations(index, DIMS, EXIT_AT, some);
    const runner = await openModels({ head: readFileSync(bundle.files.head.path) });
    try {
      const onnx = (await runner.run('head', { input: stackBatch(some, DIMS) })).exit_logits!;
      assert.deepEqual(onnx.dims, [64, 10]);
      let worst = 0;
      pooled.forEach((row, i) => {
        const ts = regressionLogits(fit.classifier, row);
        for (let k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(ts[k]! - onnx.data[i * 10 + k]!));
      });
      t.diagnostic(`largest |TS − ONNX| exit logit difference on 64 test images: ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-4, `largest |TS − ONNX| logit difference ${worst}`);
    } finally {
      await runner.close();
    }
  });

  it('exit gate - on 1000 unseen test images the answered ones agree with full.onnx', {
    timeout: 60_000,
  }, async (t) => {
    const threshold = bundle.manifest.gates.exit.thresholds['max-softmax']!;
    const runner = await openModels({
      head: readFileSync(bundle.files.head.path),
      full: readFileSync(bundle.files.full!.path),
    });
    let answered = 0;
    let agree = 0;
    let agreeAll = 0;
    try {
      for (let i = 0; i < test.samples.length; i += 100) {
        const x = stackBatch(test.samples.slice(i, i + 100), DIMS);
        const exit = (await runner.run('head', { input: x })).exit_logits!.data;
        const full = (await runner.run('full', { input: x })).logits!.data;
        for (let j = 0; j < x.dims[0]!; j++) {
          const e = exit.subarray(j * 10, (j + 1) * 10);
          const same = argmax(e) === argmax(full.subarray(j * 10, (j + 1) * 10));
          agreeAll += Number(same);
          if (maxSoftmax(e) >= threshold) {
            answered++;
            agree += Number(same);
          }
        }
      }
    } finally {
      await runner.close();
    }
    const n = test.samples.length;
    t.diagnostic(
      `test images: coverage ${(answered / n).toFixed(3)}, agreement where answered ${(agree / answered).toFixed(4)}, exit alone ${(agreeAll / n).toFixed(3)}; manifest (held-out calibration): coverage ${bundle.manifest.metrics.exitCoverage.toFixed(3)}`,
    );
    assert.ok(answered / n > 0.2, `coverage ${answered / n}`);
    assert.ok(agree / answered >= TARGET - MARGIN, `agreement ${agree / answered}`);
  });

  it('agent - createAgent answers the confident images on the device from the exit, as the gate says', {
    timeout: 60_000,
  }, async () => {
    const threshold = bundle.manifest.gates.exit.thresholds['max-softmax']!;
    // No cloud: an image the gate passes is answered by the exit, any other falls back, degraded.
    const agent = await createAgent({ bundleDir: out, stages: { cache: false } });
    const sources = { exit: 0, fallback: 0 };
    try {
      for (const pixels of test.pixels.slice(0, 60)) {
        const a = await agent.infer({ kind: 'pixels', data: pixels });
        assert.equal(a.gate.stage, 'exit');
        assert.equal(a.gate.threshold, threshold);
        assert.equal(a.label, argmax(a.scores));
        if (a.source === 'exit') {
          assert.ok(a.gate.score >= threshold && !a.degraded);
          sources.exit++;
        } else {
          assert.equal(a.source, 'fallback');
          assert.ok(a.gate.score < threshold && a.degraded);
          sources.fallback++;
        }
      }
    } finally {
      await agent.close();
    }
    assert.ok(sources.exit > 10 && sources.fallback > 0, JSON.stringify(sources));
  });

  it('split --exit-at - a tensor downstream of the cut, or unknown, is refused with the candidates', {
    timeout: 60_000,
  }, async () => {
    const early = '/down2/down2.2/Relu_output_0';
    const r = await split(early, CUT, join(dir, 'models', 'x'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot exit at "\/block2\/Relu_1_output_0": .* not computed by the head/);
    assert.match(r.stderr, /Candidates:.*\n(.*\n)* {2}\/block1\/Relu_1_output_0 /);
    const u = await split(CUT, 'nope', join(dir, 'models', 'y'));
    assert.equal(u.code, 2, u.stderr);
    assert.match(u.stderr, /no tensor "nope" is computed in this graph/);
  });
});
