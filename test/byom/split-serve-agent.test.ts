// Must-show: a bundle made by `cleave split` (the CLI, as a user runs it) is served by `cleave
// serve` (a separate process) and used by createAgent with no code change: every image goes
// head → real frame → InferStream → tail, and the answer equals head → codec → tail run here.
// The same CLI refuses a cut inside a residual block and lists the valid cut points near it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ServeProcess, startServeProcess } from '@cleave/cli/serve-process';
import { createAgent, softmax } from '@cleave/edge-agent';
import { decodeImagePixels, normalizePixels, openModels } from '@cleave/graph';
import { bundleCodec, loadBundle } from '@cleave/models';
import { runCleave as cleave, exportFixtures, IMAGENET, writeImageFolder } from './support.js';

const CUT = '/features/features.7/conv/conv.2/Conv_output_0';
const INSIDE_RESIDUAL = '/features/features.3/conv/conv.0/conv.0.0/Conv_output_0';
const LABELS = [
  'tshirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'boot',
];

describe('byom - cleave split → cleave serve → agent', { timeout: 600_000 }, () => {
  let dir: string;
  let images: string[];
  let server: ServeProcess | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cleave-byom-e2e-'));
    images = await writeImageFolder(join(dir, 'images'), 300);
    await exportFixtures(dir, ['mobilenet_v2'], join(dir, 'images'));
    writeFileSync(join(dir, 'labels.txt'), `${LABELS.join('\n')}\n`);
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('split - a tensor inside a residual block is refused with the valid cut points near it', {
    timeout: 60_000,
  }, async () => {
    const r = await cleave([
      'split',
      join(dir, 'mobilenet_v2.onnx'),
      '--at',
      INSIDE_RESIDUAL,
      '--calib',
      join(dir, 'images'),
      '--out',
      join(dir, 'models', 'x'),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot cut at .*features\.3\/conv\/conv\.0/);
    assert.match(r.stderr, /residual connection/);
    assert.match(
      r.stderr,
      /Valid cut points near it:\n(.*\n)* {2}\/features\/features\.2\/conv\/conv\.2\/Conv_output_0 /,
    );
    assert.match(r.stderr, /\/features\/features\.3\/Add_output_0/);
  });

  it('split → serve → agent - every answer comes from the cloud and equals head → codec → tail here', {
    timeout: 300_000,
  }, async () => {
    const out = join(dir, 'models', 'mnv2-split');
    const r = await cleave([
      'split',
      join(dir, 'mobilenet_v2.onnx'),
      '--at',
      CUT,
      '--calib',
      join(dir, 'images'),
      '--limit',
      '64',
      '--labels',
      join(dir, 'labels.txt'),
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /top-1 agreement with full.onnx/);
    const bundle = await loadBundle(out);
    const m = bundle.manifest;
    assert.deepEqual(m.labels, LABELS);
    assert.deepEqual(m.bottleneck.shape, [64, 4, 4]);
    assert.equal(m.bottleneck.bits, 8);
    assert.equal(m.bottleneck.entropy?.tables.length, 64);
    assert.deepEqual(m.gates.exit.thresholds, {});
    assert.ok(m.metrics.accuracy.split! >= 0.95, `calibration agreement ${m.metrics.accuracy.split}`);

    server = await startServeProcess(['--models', join(dir, 'models'), '--no-http', '--workers', '1']);
    const agent = await createAgent({
      bundleDir: out,
      cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 20_000 },
    });
    const local = await openModels({
      head: readFileSync(bundle.files.head.path),
      tail: readFileSync(bundle.files.tail.path),
    });
    const codec = bundleCodec(bundle);
    try {
      for (const path of images.slice(100, 120)) {
        const bytes = readFileSync(path);
        // scores: the cloud's logits travel with the answer (the compact form leaves them out).
        const answer = await agent.infer({ kind: 'image', data: bytes }, { scores: true });
        assert.equal(answer.source, 'cloud', answer.reason);
        assert.equal(answer.degraded, false);
        assert.equal(answer.gate.stage, 'none');
        assert.ok(answer.bytesSent.frame > 0 && answer.bytesSent.frame < 4 * 64 * 16);
        // The same input through the bundle here: head, the codec's frame, tail.
        const x = normalizePixels(await decodeImagePixels(bytes, m.input.shape), 3, IMAGENET);
        const features = (await local.run('head', { input: { data: x, dims: [1, ...m.input.shape] } }))
          .features!;
        const frame = codec.encode(features.data);
        assert.equal(frame.byteLength, answer.bytesSent.frame);
        const decoded = codec.decode(frame).features;
        const logits = (
          await local.run('tail', { features: { data: decoded, dims: [1, ...m.bottleneck.shape] } })
        ).logits!.data;
        const probs = softmax(logits);
        assert.equal(answer.label, probs.indexOf(Math.max(...probs)));
        assert.equal(answer.labelName, LABELS[answer.label]);
        assert.equal(answer.scores.length, probs.length);
        for (const [k, s] of answer.scores.entries()) assert.ok(Math.abs(s - probs[k]!) < 1e-5, `score ${k}`);
      }
      await assert.rejects(
        agent.infer({ kind: 'image', data: readFileSync(images[0]!) }, { mode: 'edge-only' }),
        /no exit branch/,
      );
      assert.equal(agent.stats().answeredBy.cloud, 20);
    } finally {
      await local.close();
      await agent.close();
    }
    assert.equal(await server.stop(), 0);
    server = undefined;
  });

  it('profile - the CLI lists every valid cut and writes the recommended bundle with --split', {
    timeout: 200_000,
  }, async () => {
    const json = join(dir, 'profile.json');
    const out = join(dir, 'models', 'mnv2-3g');
    const r = await cleave([
      'profile',
      join(dir, 'mobilenet_v2.onnx'),
      '--calib',
      join(dir, 'images'),
      '--limit',
      '16',
      '--repeats',
      '2',
      '--link',
      '3g',
      '--device',
      'rpi4',
      '--json',
      json,
      '--split',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /speed factor 5/);
    assert.match(r.stdout, /recommended for latency: /);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      cuts: { cut: string; frameBytes: number }[];
      recommended: { latency: string };
    };
    assert.equal(report.cuts.length, 49);
    const bundle = await loadBundle(out);
    assert.equal(bundle.manifest.calibration.cut, report.recommended.latency);
  });
});
