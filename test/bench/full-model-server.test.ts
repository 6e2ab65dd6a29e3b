// The full-offload strategies' cloud end: the teacher behind SplitInference's InferStream.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { createOffloadClient, type OffloadError } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import { status } from '@grpc/grpc-js';
import { encodeWebp } from '../../cli/src/bench/compute-costs.js';
import { createLocalFull } from '../../cli/src/bench/executors.js';
import { startFullModelServer } from '../../cli/src/bench/full-model-server.js';
import { MODELS_DIR } from '../support/shipped-bundles.js';

test('raw pixels and lossless WebP get the teacher’s answer; anything else INVALID_ARGUMENT', {
  timeout: 60_000,
}, async () => {
  const dir = join(MODELS_DIR, 'fmnist-c16b4');
  const server = await startFullModelServer({ bundleDir: dir, host: '127.0.0.1', port: 0 });
  const local = createLocalFull(await loadBundle(dir));
  const client = createOffloadClient({
    target: `127.0.0.1:${server.port}`,
    maxQueuedWrites: 64,
    keepaliveTimeMs: 30_000,
    keepaliveTimeoutMs: 10_000,
    maxMessageBytes: 4 * 1024 * 1024,
  });
  try {
    await local.ready;
    const data = await loadFashionMnist({ split: 'test', limit: 20 });
    for (let i = 0; i < data.count; i++) {
      const pixels = imageAt(data, i);
      const expected = (await local.run(pixels)).label;
      const raw = await client.infer(pixels, 10_000);
      const webp = await client.infer(await encodeWebp(pixels, 28, 28, 1), 10_000);
      assert.equal(raw.result.label, expected);
      assert.equal(webp.result.label, expected);
      assert.ok(webp.wireBytes < raw.wireBytes);
    }
    for (const bad of [new Uint8Array(10), new Uint8Array(785), Buffer.from('RIFF\0\0\0\0WEBPVP8 junk')]) {
      await assert.rejects(client.infer(bad, 10_000), (e: OffloadError) => {
        assert.equal(e.code, status.INVALID_ARGUMENT);
        return true;
      });
    }
    // The stream survives refusals.
    assert.equal((await client.infer(imageAt(data, 0), 10_000)).result.batch_size, 1);
  } finally {
    client.close();
    await local.close();
    await server.close();
  }
});
