// Must-show of bring-your-own-model: ResNet-18 and MobileNetV2 from torchvision, exported at test
// time by test/fixtures/export_torchvision.py with Debian's PyTorch after training the whole network
// (3 epochs, one CPU thread, seeded) on the first 3,000 images of the training split, at 32×32×3
// (Fashion-MNIST is 28×28) so the sweep fits CI on 2 cores. Each is split at every valid cut point:
//  - lossless setting (float32 frames, codec 3): head → frame → tail equals the full model's
//    logits within 1e-4 (on 100 inputs);
//  - 8-bit features (calibrated on the first 256 images of the validation split, rANS frames):
//    split and full agree on top-1 for ≥ 99% of 500 inputs, the first 500 of the test split.
// The three sets are disjoint (@cleave/dataset's splits): no image used to train or calibrate is
// evaluated. Inputs are real encoded frames through @cleave/codec, as the agent sends them.
// Measured (one run, docs/bring-your-own-model.md, "How faithful is 8-bit?"): ResNet-18 99.6–100%
// over its 21 cuts, MobileNetV2 99.2–100% over its 49 (2 epochs at this size gave 98.8% at its first
// cut); the log lists every cut. Each cut runs its own head and tail (cutModel), in sessions that
// the cuts of a group load into one shared worker: a worker per cut cost more than most cuts' checks.
// Also: the profiler's recommended cut moves toward smaller features as the link slows.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FLOAT32_BITS } from '@cleave/codec';
import { inferRequestWireBytes, NOMINAL_LINK_MBPS } from '@cleave/edge-agent';
import {
  calibrateBottleneck,
  codecFor,
  cutModel,
  decodeImagePixels,
  decodeOnnxModel,
  encodeOnnxModel,
  FEATURES_NAME,
  fullModel,
  indexGraph,
  type LinkModel,
  LOGITS_NAME,
  type ModelRunner,
  normalizePixels,
  openModels,
  predictCuts,
  probeShapes,
  profileCuts,
  recommendCut,
  validCutPoints,
} from '@cleave/graph';
import { stackBatch } from '@cleave/models';
import { DEVICE_PROFILES, radioEnergy } from '@cleave/telemetry';
import { exportFixtures, IMAGENET, writeImageFolder } from './support.js';

const SIZE = 32;
const DIMS = [3, SIZE, SIZE];
const EVAL = 500;
const TRAIN = 3000;
const EPOCHS = 3;
const CALIB = 256;
const LOSSLESS = 100;
const BATCH = 50;
/** ONNX bytes of heads and tails loaded in one worker at a time. */
const GROUP_BYTES = 128 * 2 ** 20;

const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
  return best;
};

describe('byom - torchvision ResNet-18 and MobileNetV2 cut at every valid cut point', {
  timeout: 900_000,
}, () => {
  let dir: string;
  let calib: Float32Array[];
  let evalSet: Float32Array[];
  let evalLabels: number[];
  let exportLog: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cleave-byom-'));
    await writeImageFolder(join(dir, 'train'), TRAIN, 'train', SIZE);
    const calibPaths = await writeImageFolder(join(dir, 'calib'), CALIB, 'validation', SIZE);
    const evalPaths = await writeImageFolder(join(dir, 'eval'), EVAL, 'test', SIZE);
    exportLog = await exportFixtures(dir, ['resnet18', 'mobilenet_v2'], join(dir, 'train'), {
      train: true,
      epochs: EPOCHS,
      size: SIZE,
      timeoutMs: 600_000,
    });
    const load = async (ps: string[]) =>
      Promise.all(
        ps.map(async (p) => normalizePixels(await decodeImagePixels(readFileSync(p), DIMS), 3, IMAGENET)),
      );
    calib = await load(calibPaths);
    evalSet = await load(evalPaths);
    evalLabels = evalPaths.map((p) => Number(basename(dirname(p))));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['resnet18', 'mobilenet_v2']) {
    it(`${name} - float32 frames give the full logits within 1e-4; 8-bit frames agree on top-1 for ≥ 99% of ${EVAL}`, {
      timeout: 400_000,
    }, async (t) => {
      const index = indexGraph(decodeOnnxModel(readFileSync(join(dir, `${name}.onnx`))));
      const cuts = validCutPoints(index);
      const shapes = await probeShapes(
        index,
        DIMS,
        calib[0]!,
        cuts.map((c) => c.tensor),
      );
      const logitsDims = shapes.get(index.outputName)!;
      const classes = logitsDims[0]!;
      const full = await openModels({ full: fullModel(index, { input: DIMS, logits: logitsDims }) });
      const reference = new Float32Array(EVAL * classes);
      for (let i = 0; i < EVAL; i += BATCH) {
        const out = await full.run('full', { input: stackBatch(evalSet.slice(i, i + BATCH), DIMS) });
        reference.set(out.logits!.data, i * classes);
      }
      await full.close();
      const predictions = new Set(
        Array.from({ length: EVAL }, (_, i) => argmax(reference.subarray(i * classes, (i + 1) * classes))),
      );
      assert.ok(predictions.size >= 5, `the fixture predicts only ${predictions.size} classes`);
      const correct = evalLabels.filter(
        (label, i) => argmax(reference.subarray(i * classes, (i + 1) * classes)) === label,
      ).length;

      const rows: string[] = [];
      const failures: string[] = [];
      // Every cut is checked through its own head and tail (cutModel), each its own ONNX Runtime
      // session. The sessions of a group of cuts share one worker of the pool (starting a worker
      // costs about as much as a small cut's whole check), up to GROUP_BYTES of ONNX per worker.
      let group: Array<{ tensor: string; featureDims: number[]; head: Uint8Array; tail: Uint8Array }> = [];
      let groupBytes = 0;
      const checkGroup = async () => {
        const runner = await openModels(
          Object.fromEntries(
            group.flatMap((c, k) => [
              [`head${k}`, c.head],
              [`tail${k}`, c.tail],
            ]),
          ),
        );
        try {
          for (const [k, { tensor, featureDims, head }] of group.entries()) {
            // The cut's own head and tail, under the names calibrateBottleneck runs.
            const cut: ModelRunner = { ...runner, run: (key, feeds) => runner.run(`${key}${k}`, feeds) };
            const row = await checkCut(cut, tensor, featureDims, head);
            rows.push(row.line);
            failures.push(...row.failures);
          }
        } finally {
          await runner.close();
        }
        group = [];
        groupBytes = 0;
      };
      const checkCut = async (
        runner: ModelRunner,
        tensor: string,
        featureDims: number[],
        headBytes: Uint8Array,
      ) => {
        const sha = createHash('sha256').update(headBytes).digest('hex');
        const io = {
          input: index.inputName,
          features: FEATURES_NAME,
          logits: LOGITS_NAME,
          inputDims: DIMS,
          featureDims,
          classes,
        };
        const { calibration } = await calibrateBottleneck(runner, io, calib, 8);
        const codec8 = codecFor(featureDims, 8, calibration, sha);
        const codec32 = codecFor(
          featureDims,
          FLOAT32_BITS,
          { min: calibration.min, max: calibration.max },
          sha,
        );
        const per = codec8.elementCount;
        let agree = 0;
        let maxDiff = 0;
        let bytes8 = 0;
        for (let i = 0; i < EVAL; i += BATCH) {
          const features = (
            await runner.run('head', { input: stackBatch(evalSet.slice(i, i + BATCH), DIMS) })
          ).features!.data;
          const n = features.length / per;
          const q8 = new Float32Array(features.length);
          const f32 = new Float32Array(features.length);
          for (let s = 0; s < n; s++) {
            const sample = features.subarray(s * per, (s + 1) * per);
            const frame = codec8.encode(sample);
            bytes8 += frame.byteLength;
            codec8.decode(frame, q8.subarray(s * per, (s + 1) * per));
            if (i < LOSSLESS) codec32.decode(codec32.encode(sample), f32.subarray(s * per, (s + 1) * per));
          }
          const dims = [n, ...featureDims];
          const split8 = (await runner.run('tail', { features: { data: q8, dims } })).logits!.data;
          for (let s = 0; s < n; s++) {
            const ref = reference.subarray((i + s) * classes, (i + s + 1) * classes);
            if (argmax(split8.subarray(s * classes, (s + 1) * classes)) === argmax(ref)) agree++;
          }
          if (i < LOSSLESS) {
            const split32 = (await runner.run('tail', { features: { data: f32, dims } })).logits!.data;
            for (let k = 0; k < n * classes; k++)
              maxDiff = Math.max(maxDiff, Math.abs(split32[k]! - reference[i * classes + k]!));
          }
        }
        const failures: string[] = [];
        if (maxDiff > 1e-4) failures.push(`${tensor}: float32 split differs by ${maxDiff}`);
        if (agree / EVAL < 0.99) failures.push(`${tensor}: 8-bit top-1 agreement ${agree}/${EVAL}`);
        return {
          line: `${tensor} [${featureDims.join('x')}]: float32 max |Δlogit| ${maxDiff.toExponential(1)}, 8-bit agreement ${((agree / EVAL) * 100).toFixed(1)}%, ${(bytes8 / EVAL).toFixed(0)} B/frame`,
          failures,
        };
      };
      for (const cut of cuts) {
        const featureDims = shapes.get(cut.tensor)!;
        const models = cutModel(index, cut.tensor, {
          input: DIMS,
          features: featureDims,
          logits: logitsDims,
        });
        // The names every cut's head and tail use (the checks above feed and read them).
        assert.deepEqual(models.names, {
          input: index.inputName,
          features: FEATURES_NAME,
          logits: LOGITS_NAME,
        });
        const head = encodeOnnxModel(models.head);
        const tail = encodeOnnxModel(models.tail);
        group.push({ tensor: cut.tensor, featureDims, head, tail });
        groupBytes += head.byteLength + tail.byteLength;
        if (groupBytes >= GROUP_BYTES) await checkGroup();
      }
      if (group.length > 0) await checkGroup();
      const trained = exportLog.split('\n').find((l) => l.startsWith(`${name}:`));
      t.diagnostic(
        `${trained}\n${name}: full model top-1 accuracy on the ${EVAL} test images ${((correct / EVAL) * 100).toFixed(1)}%; ${cuts.length} valid cuts\n${rows.join('\n')}`,
      );
      assert.deepEqual(failures, [], `${name}`);
      assert.ok(cuts.length >= (name === 'resnet18' ? 15 : 40), `${cuts.length} cuts`);
    });
  }

  it('profile - a slower link moves the recommended cut toward smaller features', {
    timeout: 200_000,
  }, async () => {
    const index = indexGraph(decodeOnnxModel(readFileSync(join(dir, 'mobilenet_v2.onnx'))));
    const profile = await profileCuts(index, DIMS, calib.slice(0, 16), { bits: 8, repeats: 3 });
    assert.equal(profile.cuts.length, validCutPoints(index).length);
    const p = DEVICE_PROFILES.rpi4;
    const device = {
      name: 'rpi4',
      speedFactor: p.speedFactor,
      busyWatts: p.idleWatts + (p.maxWatts - p.idleWatts) / 4,
    };
    const link = (name: string, up: number, radio: string): LinkModel => ({
      name,
      uplinkMbps: up,
      downlinkMbps: up,
      rttMs: 20,
      radioMj: (u, d) =>
        radioEnergy(radio, { bytesUp: u, bytesDown: d, uplinkMbps: up, downlinkMbps: up }).joules * 1000,
    });
    // Fastest to slowest.
    const links = [
      link('ethernet', NOMINAL_LINK_MBPS.ethernet!.up, 'ethernet'),
      link('wifi', NOMINAL_LINK_MBPS.wifi!.up, 'wifi'),
      link('lte', NOMINAL_LINK_MBPS.lte!.up, 'lte'),
      link('3g', NOMINAL_LINK_MBPS['3g']!.up, '3g'),
      link('custom', 0.1, '3g'),
    ];
    const wire = (b: number) => inferRequestWireBytes('00000001', b, 2000);
    for (const objective of ['latency', 'energy'] as const) {
      const chosen = links.map((l) =>
        recommendCut(predictCuts(profile.cuts, device, l, wire, 104), objective),
      );
      const bytes = chosen.map((c) => c.profile.frameBytes);
      for (let k = 1; k < bytes.length; k++) {
        assert.ok(
          bytes[k]! <= bytes[k - 1]!,
          `${objective}: ${links[k]!.name} chose ${bytes[k]} B after ${bytes[k - 1]} B`,
        );
      }
      assert.ok(bytes.at(-1)! < bytes[0]!, `${objective}: ${bytes.join(' → ')} B`);
    }
    // The slowest link picks the cut with the smallest frames there is (or one within a few bytes).
    const smallest = Math.min(...profile.cuts.map((c) => c.frameBytes));
    const slowest = recommendCut(predictCuts(profile.cuts, device, links.at(-1)!, wire, 104), 'latency');
    assert.ok(slowest.profile.frameBytes <= smallest * 1.05, `${slowest.profile.frameBytes} vs ${smallest}`);
  });
});
