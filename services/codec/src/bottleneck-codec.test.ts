import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BottleneckCodecOptions, createBottleneckCodec } from './bottleneck-codec.js';
import { decodeFrame } from './decode-frame.js';
import { encodeFrame } from './encode-frame.js';
import { FrameError, FrameMismatchError } from './errors.js';
import { quantize } from './quantize.js';
import { SAMPLE_SHA256 } from './testing/frame-fixtures.js';
import { createRandom, randomInt, randomSha256 } from './testing/seeded-random.js';

const opts = { timeout: 30_000 };

function options(overrides: Partial<BottleneckCodecOptions> = {}): BottleneckCodecOptions {
  return {
    modelName: 'fmnist-split',
    modelVersion: '1.0.0',
    headSha256: SAMPLE_SHA256,
    bits: 4,
    shape: [2, 3, 3],
    min: [-1, 0],
    max: [1, 6],
    ...overrides,
  };
}

function expectMismatch(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FrameMismatchError, String(err));
    assert.equal(err.name, 'FrameMismatchError');
    assert.equal(err.code, code);
    return true;
  });
}

describe('bottleneck codec', () => {
  it(
    'createBottleneckCodec - encode/decode round trip equals quantise-dequantise, every bit width',
    opts,
    () => {
      const random = createRandom(3);
      for (let bits = 1; bits <= 8; bits++) {
        for (const perChannel of [false, true]) {
          const shape = [randomInt(random, 1, 8), randomInt(random, 1, 7), randomInt(random, 1, 7)];
          const c = perChannel ? shape[0]! : 1;
          const min = Array.from({ length: c }, () => random() * -3);
          const max = min.map((lo) => lo + 0.5 + random() * 4);
          const codec = createBottleneckCodec(
            options({ bits, shape, min, max, headSha256: randomSha256(random) }),
          );
          const x = Float32Array.from({ length: codec.elementCount }, () => random() * 8 - 4);
          const bytes = codec.encode(x);
          const { frame, features } = codec.decode(bytes);
          assert.equal(frame.byteLength, bytes.length);
          assert.deepEqual(frame.shape, shape);
          assert.equal(frame.headFingerprint, codec.headFingerprint);
          // The features survive as their codes: requantising gives what the edge sent.
          assert.deepEqual(
            quantize(features, { bits, shape, min, max }),
            quantize(x, { bits, shape, min, max }),
          );
          // A second encode of the dequantised features is byte-identical.
          assert.deepEqual(codec.encode(features), bytes);
        }
      }
    },
  );

  it('createBottleneckCodec - frame size is the header plus ceil(count * bits / 8)', opts, () => {
    const codec = createBottleneckCodec(options({ bits: 2, shape: [8, 7, 7], min: [0], max: [1] }));
    const bytes = codec.encode(new Float32Array(392));
    // 2+1+1+1+8 + 1+12 + 1+5 + 1+6 + 4 = 43 header bytes, 98 payload bytes, 4 CRC bytes.
    assert.equal(bytes.length, 43 + 98 + 4);
  });

  it('decode - writes into a caller buffer (e.g. a slot of a batch tensor)', opts, () => {
    const codec = createBottleneckCodec(options());
    const batch = new Float32Array(codec.elementCount * 2);
    const slot = batch.subarray(codec.elementCount);
    const { features } = codec.decode(codec.encode(new Float32Array(codec.elementCount).fill(1)), slot);
    assert.equal(features.buffer, batch.buffer);
    assert.equal(batch[codec.elementCount], 1);
    assert.equal(batch[0], 0);
  });

  it('decode - refuses frames from another model, version, head, bit width or shape', opts, () => {
    const codec = createBottleneckCodec(options());
    const x = new Float32Array(codec.elementCount);
    const from = (o: Partial<BottleneckCodecOptions>) => createBottleneckCodec(options(o)).encode(x);
    expectMismatch(() => codec.decode(from({ modelName: 'other' })), 'MODEL_MISMATCH');
    expectMismatch(() => codec.decode(from({ modelVersion: '1.0.1' })), 'VERSION_MISMATCH');
    expectMismatch(() => codec.decode(from({ headSha256: `f${SAMPLE_SHA256.slice(1)}` })), 'HEAD_MISMATCH');
    expectMismatch(() => codec.decode(from({ bits: 5 })), 'BITS_MISMATCH');
    expectMismatch(() => codec.decode(from({ shape: [2, 9] })), 'SHAPE_MISMATCH');
    expectMismatch(() => codec.decode(from({ shape: [2, 3, 3, 1] })), 'SHAPE_MISMATCH');
    // Only the fingerprint (first 8 bytes) travels: a head differing later is not detectable here.
    assert.doesNotThrow(() => codec.decode(from({ headSha256: `${SAMPLE_SHA256.slice(0, 63)}f` })));
    const err = ((): FrameMismatchError | undefined => {
      try {
        codec.decode(from({ shape: [2, 9] }));
        return undefined;
      } catch (e) {
        return e as FrameMismatchError;
      }
    })();
    assert.deepEqual([err?.expected, err?.actual], ['2x3x3', '2x9']);
  });

  it('decode - malformed bytes are a FrameError, checked before pairing', opts, () => {
    const codec = createBottleneckCodec(options());
    const bytes = codec.encode(new Float32Array(codec.elementCount));
    assert.throws(() => codec.decode(bytes.subarray(0, 10)), FrameError);
    const other = encodeFrame({ ...decodeFrame(bytes), modelName: 'x', headSha256: SAMPLE_SHA256 });
    assert.throws(() => codec.decode(other.subarray(0, other.length - 1)), FrameError);
  });

  it('decodeFeatures/assertPairs - work on an already parsed frame', opts, () => {
    const codec = createBottleneckCodec(options());
    const frame = decodeFrame(codec.encode(new Float32Array(codec.elementCount).fill(-1)));
    assert.doesNotThrow(() => codec.assertPairs(frame));
    assert.deepEqual([...codec.decodeFeatures(frame)].slice(0, 9), Array(9).fill(-1));
  });

  it('createBottleneckCodec - refuses invalid options', opts, () => {
    assert.throws(() => createBottleneckCodec(options({ modelName: 'Bad Name' })), FrameError);
    assert.throws(() => createBottleneckCodec(options({ headSha256: 'abc' })), FrameError);
    assert.throws(() => createBottleneckCodec(options({ bits: 9 })), FrameError);
    assert.throws(() => createBottleneckCodec(options({ shape: [2, 5000] })), FrameError);
    assert.throws(() => createBottleneckCodec(options({ min: [0, 0, 0], max: [1, 1, 1] })), RangeError);
    assert.throws(() => createBottleneckCodec(options({ min: [2, 0], max: [1, 1] })), RangeError);
    const codec = createBottleneckCodec(options());
    assert.throws(() => codec.encode(new Float32Array(3)), RangeError);
    assert.ok(Object.isFrozen(codec.shape));
  });
});
