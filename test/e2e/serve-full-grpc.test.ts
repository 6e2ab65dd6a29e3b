// `serveFull` over gRPC: a call that declares `<name>:full` in its cleave-model metadata sends input
// images on SplitInference's InferStream (the agent's own offload client, as the bench's
// full-offload strategies use it). Raw pixels and a lossless WebP of them must get full.onnx's own
// answer; anything else is INVALID_ARGUMENT, and the stream keeps serving after a refusal.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { createOffloadClient, type OffloadClient, type OffloadError } from '@cleave/edge-agent';
import { argmax, loadBundle } from '@cleave/models';
import { status } from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const FULL = `${DEFAULT_BUNDLE}:full`;
const N = 20;

const clientOf = (port: number, model: string) =>
  createOffloadClient({
    target: `127.0.0.1:${port}`,
    model,
    maxQueuedWrites: 64,
    keepaliveTimeMs: 30_000,
    keepaliveTimeoutMs: 10_000,
    maxMessageBytes: 4 * 1024 * 1024,
  });

const refusedWith = (code: status) => (e: OffloadError) => {
  assert.equal(e.code, code, e.message);
  return true;
};

describe('serve - full models over gRPC', { timeout: 120_000 }, () => {
  let server: TailServer;
  let plain: TailServer;
  let client: OffloadClient;
  let pixels: Uint8Array[];
  let expected: number[];

  before(async () => {
    const bundle = await loadBundle(join(MODELS_DIR, DEFAULT_BUNDLE));
    const m = bundle.manifest;
    const data = await loadFashionMnist({ split: 'test', limit: N });
    pixels = Array.from({ length: N }, (_, i) => imageAt(data, i));
    const { scale, mean, std } = m.input.normalization;
    const input = Float32Array.from(data.images, (p) => (p * scale - mean[0]!) / std[0]!);
    const session = await ort.InferenceSession.create(bundle.files.full!.path);
    const spec = bundle.files.full!.spec;
    const out = await session.run({
      [spec.inputs[0]!.name]: new ort.Tensor('float32', input, [N, ...m.input.shape]),
    });
    const logits = out[spec.outputs[0]!.name]!.data as Float32Array;
    const classes = logits.length / N;
    expected = pixels.map((_, i) => argmax(logits.subarray(i * classes, (i + 1) * classes)));
    await session.release();
    const common = {
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { enabled: false },
      workers: 1,
    };
    server = await createTailServer({ ...common, serveFull: true });
    plain = await createTailServer(common);
    client = clientOf(server.port, FULL);
  });
  after(async () => {
    client?.close();
    await server?.drain();
    await plain?.drain();
  });

  it('raw pixels and lossless WebP get the answer of full.onnx run directly', async () => {
    for (let i = 0; i < N; i++) {
      const webp = await sharp(pixels[i]!, { raw: { width: 28, height: 28, channels: 1 } })
        .webp({ lossless: true, effort: 6 })
        .toBuffer();
      const raw = await client.infer(pixels[i]!, 10_000);
      const fromWebp = await client.infer(webp, 10_000);
      // The stream names its model on its first answer (the compact form), not on each.
      assert.equal(raw.result.model?.split('@')[0], FULL);
      assert.equal(raw.result.label, expected[i]);
      assert.equal(fromWebp.result.label, expected[i]);
      assert.ok(fromWebp.wireBytes < raw.wireBytes);
    }
  });

  it('anything but an image of the input is INVALID_ARGUMENT, and the stream goes on', async () => {
    const wrongSize = await sharp(Buffer.alloc(14 * 14), { raw: { width: 14, height: 14, channels: 1 } })
      .png()
      .toBuffer();
    for (const bad of [new Uint8Array(10), new Uint8Array(785), Buffer.from('RIFF\0\0\0\0WEBPVP8 junk')])
      await assert.rejects(client.infer(bad, 10_000), refusedWith(status.INVALID_ARGUMENT));
    // An image of another size is refused, not resized: the bytes counted must be the input's.
    await assert.rejects(client.infer(wrongSize, 10_000), refusedWith(status.INVALID_ARGUMENT));
    assert.equal((await client.infer(pixels[0]!, 10_000)).result.label, expected[0]);
  });

  it('without serveFull there is no full model: NOT_FOUND', async () => {
    const other = clientOf(plain.port, FULL);
    try {
      await assert.rejects(other.infer(pixels[0]!, 10_000), refusedWith(status.NOT_FOUND));
    } finally {
      other.close();
    }
  });
});
