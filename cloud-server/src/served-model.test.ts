import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { CodecId, FrameError } from '@cleave/codec';
import { bundleCodec, loadBundle } from '@cleave/models';
import { decodeBatch } from './served-model.js';

const codec = bundleCodec(await loadBundle(join(import.meta.dirname, '..', '..', 'models', 'fmnist-c6b2')));

/**
 * Frames the encoder entropy-codes (rANS): a level common in the bundle's tables, found by trying
 * levels, with a few values off it so that the frames differ.
 */
function frames(count: number): Uint8Array[] {
  const at = (level: number, k: number) =>
    codec.encode(new Float32Array(codec.elementCount).map((_, i) => (i % 50 === k ? level + 1 : level)));
  for (let level = -4; level <= 4; level += 0.125) {
    if (codec.parse(at(level, 0)).codecId === CodecId.RANS_STATIC)
      return Array.from({ length: count }, (_, k) => at(level, k));
  }
  throw new Error('no level that the encoder entropy-codes');
}

test('decodeBatch - each frame lands in its own row of one batch tensor, as decode would give it', () => {
  const bytes = frames(3);
  const { feed, failures } = decodeBatch(
    codec,
    bytes.map((b) => codec.parse(b)),
  );
  assert.deepEqual(feed.dims, [3, ...codec.shape]);
  assert.equal(feed.data.byteOffset, 0);
  assert.equal(feed.data.buffer.byteLength, feed.data.byteLength); // whole: transferable
  const per = codec.elementCount;
  bytes.forEach((b, i) => {
    assert.deepEqual(feed.data.subarray(i * per, (i + 1) * per), codec.decode(b).features);
  });
  assert.equal(failures, undefined);
});

test('decodeBatch - a payload that does not decode answers its own row with the FrameError; the others are served', () => {
  const bytes = frames(3);
  const parsed = bytes.map((b) => codec.parse(b));
  const bad = parsed[1]!;
  assert.equal(bad.codecId, CodecId.RANS_STATIC);
  const payload = Uint8Array.from(bad.payload);
  payload[payload.length - 1]! ^= 0x5a; // the rANS stream no longer ends in its initial state
  parsed[1] = { ...bad, payload };
  const { feed, failures } = decodeBatch(codec, parsed);
  const per = codec.elementCount;
  assert.deepEqual(feed.data.subarray(0, per), codec.decode(bytes[0]!).features);
  assert.deepEqual(feed.data.subarray(2 * per), codec.decode(bytes[2]!).features);
  assert.deepEqual([...(failures?.keys() ?? [])], [1]);
  assert.ok(failures?.get(1) instanceof FrameError, `got ${String(failures?.get(1))}`);
});
