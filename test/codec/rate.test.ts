// The rate of the TypeScript codec on real traffic: every shipped bundle's head runs (through
// onnxruntime-node) on the 10,000 Fashion-MNIST test images, and each image's features are
// framed exactly as the agent sends them. The figures are bytes of real frames.
//
// What counts, per image:
//   shannon   = -sum log2(p(code)) / 8 under the bundle's tables (the empirical bound);
//   payload   = the rANS stream, whose first 4 bytes are the coder's flushed state (a fixed cost
//               per frame, like the header), even where bit-packing would be smaller;
//   frame     = what goes on the wire: min(rANS, bit-packed) payload + header + CRC.
// The bound: mean(payload) - 4 <= 1.03 * mean(shannon).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  createPayloadCoder,
  FRAME_VERSION,
  quantize,
  RANS_STATE_BYTES,
  resolveQuantSpec,
} from '@cleave/codec';
import { type ImageSet, loadFashionMnist } from '@cleave/dataset';
import { bundleCodec, loadBundle } from '@cleave/models';
import * as ort from 'onnxruntime-node';
import { MODELS_DIR, shippedBundleNames } from '../support/shipped-bundles.js';

const BATCH = 1000;
const SHANNON_SLACK = 0.03;
const PYTHON_TOLERANCE = 0.005;

describe('codec - rate on the shipped bundles', { timeout: 600_000 }, () => {
  let test: ImageSet;
  before(async () => {
    test = await loadFashionMnist({ split: 'test' });
  });

  for (const name of shippedBundleNames()) {
    it(`codec - ${name}: entropy-coded frames within 3% of the Shannon bound, as Python measured`, {
      timeout: 300_000,
    }, async (t) => {
      const bundle = await loadBundle(join(MODELS_DIR, name));
      const m = bundle.manifest;
      const entropy = m.bottleneck.entropy;
      assert.ok(entropy, `${name} ships entropy tables`);
      assert.equal(test.count, 10_000);
      const codec = bundleCodec(bundle);
      const coder = createPayloadCoder({ bits: m.bottleneck.bits, shape: m.bottleneck.shape, entropy });
      const spec = resolveQuantSpec({
        bits: m.bottleneck.bits,
        shape: m.bottleneck.shape,
        min: m.bottleneck.quantization.min,
        max: m.bottleneck.quantization.max,
      });
      const per = codec.elementCount;
      const plane = per / m.bottleneck.shape[0]!;
      const log2p = entropy.tables.map((table) =>
        table.map((f) => Math.log2(f / 2 ** entropy.precisionBits)),
      );
      const { scale, mean, std } = m.input.normalization;
      const pixels = m.input.shape.reduce((a, b) => a * b, 1);
      const input = Float32Array.from(test.images, (p) => (p * scale - mean[0]!) / std[0]!);
      // One thread: files run two at a time here, and a second ORT thread would spin on a core
      // the other file is using (the head is a small share of this file's time).
      const session = await ort.InferenceSession.create(bundle.files.head.path, { intraOpNumThreads: 1 });
      const sum = { shannon: 0, payload: 0, frame: 0, overhead: 0, packedFrames: 0 };
      const overheads = new Set<number>();
      const codes = new Uint8Array(per);
      try {
        for (let start = 0; start < test.count; start += BATCH) {
          const n = Math.min(BATCH, test.count - start);
          const x = new ort.Tensor('float32', input.subarray(start * pixels, (start + n) * pixels), [
            n,
            ...m.input.shape,
          ]);
          const out = await session.run({ [bundle.files.head.spec.inputs[0]!.name]: x });
          const features = out[m.bottleneck.tensor]!.data as Float32Array;
          for (let i = 0; i < n; i++) {
            const f = features.subarray(i * per, (i + 1) * per);
            quantize(f, spec, codes);
            for (let j = 0; j < per; j++) sum.shannon -= log2p[Math.floor(j / plane)]![codes[j]!]!;
            sum.payload += coder.entropyCodedBytes(codes);
            const bytes = codec.encode(f);
            const frame = codec.parse(bytes);
            assert.equal(frame.version, FRAME_VERSION);
            sum.frame += bytes.length;
            sum.overhead += frame.overheadBytes;
            overheads.add(frame.overheadBytes);
            if (frame.codecId === 0) sum.packedFrames++;
            // What the cloud decodes is exactly what the edge quantised.
            assert.deepEqual(quantize(codec.decodeFeatures(frame), spec), codes);
          }
        }
      } finally {
        await session.release();
      }
      const count = test.count;
      const shannon = sum.shannon / 8 / count;
      const payload = sum.payload / count;
      const python = m.metrics.meanFrameBytes;
      const report = {
        bundle: name,
        shannonBytes: +shannon.toFixed(3),
        ransPayloadBytes: +payload.toFixed(3),
        ransMinusShannonBytes: +(payload - shannon).toFixed(3),
        ransOverShannon: +((payload - RANS_STATE_BYTES) / shannon - 1).toFixed(4),
        pythonPayloadBytes: python,
        wireFrameBytes: +(sum.frame / count).toFixed(3),
        overheadBytes: [...overheads].sort(),
        meanOverheadBytes: +(sum.overhead / count).toFixed(3),
        bitPackedFrames: sum.packedFrames,
        packedPayloadBytes: coder.packedBytes,
      };
      t.diagnostic(JSON.stringify(report));
      assert.ok(payload >= shannon, `${name}: rANS ${payload} below the bound ${shannon}?`);
      assert.ok(
        payload - RANS_STATE_BYTES <= (1 + SHANNON_SLACK) * shannon,
        `${name}: rANS payload ${payload} - ${RANS_STATE_BYTES} state bytes > 1.03 x Shannon ${shannon}`,
      );
      assert.ok(
        Math.abs(payload - python) <= PYTHON_TOLERANCE * python,
        `${name}: TS rANS mean ${payload} vs Python ${python} (manifest metrics.meanFrameBytes)`,
      );
      // On the wire: never worse than the rANS payload plus overhead, never worse than packing.
      assert.ok(sum.frame / count <= payload + sum.overhead / count + 1e-9);
      // Frame version 3: header and CRC at most 12 bytes on every shipped bundle (issue 18).
      assert.ok(Math.max(...overheads) <= 12, `overhead ${[...overheads]}`);
    });
  }
});
