// `npm start` is `cleave demo`: the whole test set through the real pipeline, exit code 0,
// and the accuracy the training recipe measured, to within 0.1 pt.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DemoReport } from '@cleave/cli/demo-report';
import { loadBundle } from '@cleave/models';
import { MODELS_DIR, shippedBundleNames } from '../support/shipped-bundles.js';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'bin', 'cleave.js');

describe('demo - npm start', { timeout: 400_000 }, () => {
  it('demo - 10,000 test images, exit code 0, accuracy matches the manifest', { timeout: 380_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-demo-'));
    try {
      const json = join(dir, 'report.json');
      const r = spawnSync(process.execPath, [CLI, 'demo', '--json', json], {
        encoding: 'utf8',
        timeout: 360_000,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /answered by/);
      const report = JSON.parse(readFileSync(json, 'utf8')) as DemoReport;
      assert.equal(report.samples, 10_000);
      const sum = Object.values(report.answeredBy).reduce((a, b) => a + b, 0);
      assert.equal(sum, 10_000);
      assert.equal(report.answeredBy.fallback, 0);
      assert.ok(report.answeredBy.exit > 0 && report.answeredBy.cloud > 0);
      assert.ok(report.manifestAccuracy !== null);
      assert.ok(
        Math.abs(report.accuracy - report.manifestAccuracy) <= 0.001,
        `${report.accuracy} vs ${report.manifestAccuracy}`,
      );
      assert.ok(report.bytesPerOffload.mean > 0 && report.bytesPerOffload.mean < report.rawInputBytes);
      // The compact form (issue 18): at most 12 B of message around the frame on average, answers
      // of at most 16 B without logits, and the socket counted by the demo's proxy.
      const overhead = report.wireBytesPerOffload.mean - report.bytesPerOffload.mean;
      assert.ok(overhead > 0 && overhead <= 12, `request overhead ${overhead} B`);
      assert.ok(report.responseBytesPerOffload.mean <= 16, `answer ${report.responseBytesPerOffload.mean} B`);
      const socket = report.socketPerOffload!;
      assert.ok(socket.offloads >= report.answeredBy.cloud, `${socket.offloads} offloads seen by the proxy`);
      assert.ok(Math.abs(socket.up.message - report.wireBytesPerOffload.mean) < 1, 'proxy and agent agree');
      assert.ok(socket.up.tcp - report.bytesPerOffload.mean <= 30, `TCP up ${socket.up.tcp} B`);
      for (const k of ['p50', 'p95', 'p99'] as const) assert.ok(report.latencyMs[k] > 0);
      assert.ok(report.throughputPerSec > 0);
      assert.ok(report.teacherAccuracy > 0.9);
      assert.equal(report.manifestAccuracyKey, 'cascade');
      assert.ok(report.answeredBy.dual > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo - the most accurate bundle answers >= 60% on the device within 0.5 pt of the teacher', {
    timeout: 380_000,
  }, async () => {
    const bundles = await Promise.all(shippedBundleNames().map((n) => loadBundle(join(MODELS_DIR, n))));
    const split = (b: (typeof bundles)[number]) =>
      (b.manifest.metrics.accuracy as Record<string, number>).split!;
    const best = bundles.reduce((a, b) => (split(b) > split(a) ? b : a));
    const dir = mkdtempSync(join(tmpdir(), 'cleave-demo-'));
    try {
      const json = join(dir, 'report.json');
      const r = spawnSync(process.execPath, [CLI, 'demo', '--bundle', best.manifest.name, '--json', json], {
        encoding: 'utf8',
        timeout: 360_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(readFileSync(json, 'utf8')) as DemoReport;
      assert.equal(report.samples, 10_000);
      const { exit, dual, cache } = report.answeredBy;
      const onDevice = (exit + dual + cache) / report.samples;
      const summary = `${best.manifest.name}: ${(onDevice * 100).toFixed(1)}% on device, accuracy ${report.accuracy}, teacher ${report.teacherAccuracy}`;
      assert.ok(onDevice >= 0.6, summary);
      assert.ok(report.accuracy >= report.teacherAccuracy - 0.005, summary);
      // Per-stage shares and accuracies are in the report.
      for (const stage of ['exit', 'dual', 'cloud'] as const) {
        assert.ok((report.accuracyBySource[stage] ?? 0) > 0.8, `${stage}: ${report.accuracyBySource[stage]}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo - --device rpi4 --link lte: energy per inference for local-only, full offload and split', {
    timeout: 200_000,
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-demo-'));
    try {
      const json = join(dir, 'report.json');
      const r = spawnSync(
        process.execPath,
        [CLI, 'demo', '--device', 'rpi4', '--link', 'lte', '--limit', '1000', '--json', json],
        { encoding: 'utf8', timeout: 180_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /energy \/ inference on rpi4 over lte/);
      const e = (JSON.parse(readFileSync(json, 'utf8')) as DemoReport).energy!;
      assert.equal(e.device, 'rpi4');
      assert.equal(e.link, 'lte');
      const { 'local-only': local, 'full-offload': full, split } = e.strategies;
      assert.ok(local.computeMj > 0 && local.computeMethod === 'estimated' && local.radioMethod === 'none');
      assert.ok(full.radioMj > 0 && full.radioMethod === 'modeled' && full.computeMethod === 'none');
      assert.ok(split.computeMj > 0 && split.radioMj > 0);
      assert.equal(split.computeMethod, 'estimated');
      assert.equal(split.radioMethod, 'modeled');
      for (const s of [local, full, split]) assert.ok(Math.abs(s.totalMj - s.computeMj - s.radioMj) < 1e-9);
      // The split sends feature frames, far fewer bytes than the raw image.
      assert.ok(split.bytesUp < full.bytesUp / 5, `${split.bytesUp} vs ${full.bytesUp}`);
      // The head alone costs less on the device than the whole teacher. (The split's total compute
      // also counts the dual CNNs where the exit was unsure, so it may come close to local-only.)
      assert.ok(e.modelMs.head! < e.modelMs.full!, JSON.stringify(e.modelMs));
      assert.equal(e.agent?.meter, 'device-profile:rpi4');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo - --duplicate 2: at least 49% cache hits and the same accuracy', { timeout: 380_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-demo-'));
    try {
      const json = join(dir, 'report.json');
      const r = spawnSync(process.execPath, [CLI, 'demo', '--duplicate', '2', '--json', json], {
        encoding: 'utf8',
        timeout: 360_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(readFileSync(json, 'utf8')) as DemoReport;
      assert.equal(report.samples, 20_000);
      assert.ok(
        report.answeredBy.cache / report.samples >= 0.49,
        `cache share ${report.answeredBy.cache / report.samples}`,
      );
      assert.ok(report.manifestAccuracy !== null);
      assert.ok(Math.abs(report.accuracy - report.manifestAccuracy) <= 0.001, `${report.accuracy}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo - --limit, --concurrency and --bundle are honoured', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-demo-'));
    try {
      const json = join(dir, 'report.json');
      const r = spawnSync(
        process.execPath,
        [CLI, 'demo', '--limit', '200', '--concurrency', '4', '--bundle', 'fmnist-c12b3', '--json', json],
        { encoding: 'utf8', timeout: 100_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(readFileSync(json, 'utf8')) as DemoReport;
      assert.equal(report.samples, 200);
      assert.equal(report.concurrency, 4);
      assert.equal(report.bundle.name, 'fmnist-c12b3');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
