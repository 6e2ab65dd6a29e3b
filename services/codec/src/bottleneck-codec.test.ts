import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packedByteLength } from './bit-pack.js';
import { type BottleneckCodecOptions, createBottleneckCodec } from './bottleneck-codec.js';
import { decodeFrame } from './decode-frame.js';
import { encodeFrame } from './encode-frame.js';
import { FrameError, FrameMismatchError } from './errors.js';
import { CodecId, frameOverheadBytes } from './frame-format.js';
import { decodeCodes } from './payload-coder.js';
import { dequantize, quantize } from './quantize.js';
import { drawCodes, randomTables } from './testing/entropy-fixtures.js';
import { SAMPLE_SHA256, withFixedCrc } from './testing/frame-fixtures.js';
import { createRandom, randomSha256 } from './testing/seeded-random.js';

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

const TABLES = { precisionBits: 12, tables: [Array(16).fill(256), [3856, ...Array(15).fill(16)]] };

function expectMismatch(fn: () => unknown, code: string): FrameMismatchError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => {
    caught = err;
    assert.ok(err instanceof FrameMismatchError, String(err));
    assert.equal(err.name, 'FrameMismatchError');
    assert.equal(err.code, code);
    return true;
  });
  return caught as FrameMismatchError;
}

describe('bottleneck codec', () => {
  it(
    'createBottleneckCodec - decode(encode(x)) equals quantise(x) at every bit width, all four range/table combos',
    opts,
    () => {
      const random = createRandom(3);
      const shapes = [[5], [3, 17], [4, 7, 7], [2, 3, 4, 5], [1, 1], [12, 7, 7]];
      const seen = new Set<number>();
      for (let bits = 1; bits <= 8; bits++) {
        for (const shape of shapes) {
          for (const perChannel of [false, true]) {
            for (const withTables of [false, true]) {
              const channels = shape[0]!;
              const stride = shape.reduce((a, b) => a * b, 1) / channels;
              const ranges = perChannel ? channels : 1;
              const min = Array.from({ length: ranges }, () => random() * -3);
              const max = min.map((lo) => lo + 0.5 + random() * 4);
              const entropy = randomTables(random, channels, bits, Math.max(bits, 12));
              const codec = createBottleneckCodec(
                options({
                  bits,
                  shape,
                  min,
                  max,
                  headSha256: randomSha256(random),
                  entropy: withTables ? entropy : undefined,
                }),
              );
              const spec = { bits, shape, min, max };
              // Half the samples follow the tables (entropy coding wins), half are noise.
              for (let trial = 0; trial < 4; trial++) {
                const x =
                  trial % 2 === 0
                    ? dequantize(drawCodes(random, entropy, stride), spec)
                    : Float32Array.from({ length: codec.elementCount }, () => random() * 10 - 5);
                const bytes = codec.encode(x);
                const { frame, features } = codec.decode(bytes);
                seen.add(frame.codecId);
                const at = `bits=${bits} shape=${shape} perChannel=${perChannel} tables=${withTables}`;
                assert.deepEqual(features, dequantize(quantize(x, spec), spec), at);
                assert.deepEqual(frame.shape, shape);
                assert.equal(frame.headFingerprint, codec.headFingerprint);
                // Never larger than bit-packing plus the frame overhead.
                const packed = packedByteLength(codec.elementCount, bits);
                assert.ok(bytes.length <= packed + frameOverheadBytes(shape, packed), at);
                if (frame.codecId !== CodecId.BITPACK) {
                  assert.equal(frame.codecId, withTables ? CodecId.RANS_STATIC : CodecId.RANS_ADAPTIVE, at);
                }
                // A second encode of the dequantised features is byte-identical.
                assert.deepEqual(codec.encode(features), bytes, at);
              }
            }
          }
        }
      }
      assert.deepEqual([...seen].sort(), [0, 1, 2]);
    },
  );

  it('createBottleneckCodec - frame size on a shipped-like layout: overhead 11 bytes', opts, () => {
    const codec = createBottleneckCodec(options({ bits: 2, shape: [4, 7, 7], min: [0], max: [1] }));
    const bytes = codec.encode(new Float32Array(196).fill(1));
    const frame = codec.parse(bytes);
    // Version 3: lead 1 + format 1 + fingerprint 4 + length 1 = 7, then the payload, then CRC 4.
    assert.equal(frame.version, 3);
    assert.equal(frame.headerBytes, 7);
    assert.equal(frame.overheadBytes, 11);
    assert.equal(bytes.length, 11 + frame.payload.length);
    assert.equal(frame.codecId, CodecId.RANS_ADAPTIVE); // constant codes: adaptive coding wins
  });

  it('decode - writes into a caller buffer (e.g. a slot of a batch tensor)', opts, () => {
    const codec = createBottleneckCodec(options({ entropy: TABLES }));
    const batch = new Float32Array(codec.elementCount * 2);
    const slot = batch.subarray(codec.elementCount);
    const { features } = codec.decode(codec.encode(new Float32Array(codec.elementCount).fill(1)), slot);
    assert.equal(features.buffer, batch.buffer);
    assert.equal(batch[codec.elementCount], 1);
    assert.equal(batch[0], 0);
  });

  it('decode - refuses frames from another head, bit width, shape or entropy model', opts, () => {
    const codec = createBottleneckCodec(options());
    const x = new Float32Array(codec.elementCount);
    const from = (o: Partial<BottleneckCodecOptions>) => createBottleneckCodec(options(o)).encode(x);
    expectMismatch(() => codec.decode(from({ headSha256: `f${SAMPLE_SHA256.slice(1)}` })), 'HEAD_MISMATCH');
    expectMismatch(() => codec.decode(from({ bits: 5 })), 'BITS_MISMATCH');
    // A version 2 frame carries its shape, so a shape that differs is named as such.
    const v2From = (o: Partial<BottleneckCodecOptions>) => {
      const other = createBottleneckCodec(options(o));
      return encodeFrame({ ...other.parse(other.encode(x)), version: 2 });
    };
    const err = expectMismatch(() => codec.decode(v2From({ shape: [2, 9] })), 'SHAPE_MISMATCH');
    assert.deepEqual([err.expected, err.actual], ['2x3x3', '2x9']);
    expectMismatch(() => codec.decode(v2From({ shape: [2, 3, 3, 1] })), 'SHAPE_MISMATCH');
    // A version 3 frame takes the bundle's shape: a head that made another shape is caught by
    // the rank in the format byte or the payload length, as a FrameError.
    assert.throws(() => codec.decode(from({ shape: [2, 9] })), FrameError);
    const wider = createBottleneckCodec(options({ shape: [2, 3, 4] }));
    assert.throws(() => codec.decode(wider.encode(new Float32Array(24))), FrameError);
    // Codec 1 needs the tables; a codec built without them refuses such frames.
    const withTables = createBottleneckCodec(options({ entropy: TABLES }));
    const skewed = dequantize(new Uint8Array(18), { bits: 4, shape: [2, 3, 3], min: [-1, 0], max: [1, 6] });
    const staticFrame = withTables.encode(skewed);
    assert.equal(withTables.parse(staticFrame).codecId, CodecId.RANS_STATIC);
    expectMismatch(() => codec.decode(staticFrame), 'CODEC_MISMATCH');
    // Codecs 0 and 2 need no tables: the bundle with tables reads them too.
    assert.doesNotThrow(() => withTables.decode(codec.encode(skewed)));
    // Only the fingerprint (first 4 bytes) travels: a head differing later is not detectable here.
    assert.doesNotThrow(() => codec.decode(from({ headSha256: `${SAMPLE_SHA256.slice(0, 63)}f` })));
  });

  it('decode - malformed bytes and corrupt entropy streams are FrameErrors', opts, () => {
    const codec = createBottleneckCodec(options({ entropy: TABLES }));
    const skewed = new Float32Array(codec.elementCount).fill(-1);
    const bytes = codec.encode(skewed);
    assert.equal(codec.parse(bytes).codecId, CodecId.RANS_STATIC);
    assert.throws(() => codec.decode(bytes.subarray(0, 10)), FrameError);
    // A payload byte changed and the CRC repaired: only the rANS end check can tell.
    let caught = 0;
    for (let at = codec.parse(bytes).headerBytes + 4; at < bytes.length - 4; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = bytes.slice();
        bad[at]! ^= 1 << bit;
        try {
          codec.decode(withFixedCrc(bad));
        } catch (err) {
          assert.ok(err instanceof FrameError, String(err));
          caught++;
        }
      }
    }
    assert.ok(caught > 0);
  });

  it(
    'decodeCodes - decodes a parsed frame without a codec; tables that do not fit are a mismatch',
    opts,
    () => {
      const codec = createBottleneckCodec(options({ entropy: TABLES }));
      const x = new Float32Array(codec.elementCount).fill(-1);
      const frame = codec.parse(codec.encode(x));
      assert.equal(frame.codecId, CodecId.RANS_STATIC);
      const spec = { bits: 4, shape: [2, 3, 3], min: [-1, 0], max: [1, 6] };
      assert.deepEqual(decodeCodes(frame, TABLES), quantize(x, spec));
      expectMismatch(() => decodeCodes(frame), 'CODEC_MISMATCH');
      expectMismatch(
        () => decodeCodes(frame, { precisionBits: 12, tables: [TABLES.tables[0]!] }),
        'CODEC_MISMATCH',
      );
    },
  );

  it(
    'decodeFeatures - a codec 1 frame decodes straight to the features decodeCodes and dequantize give',
    opts,
    () => {
      const random = createRandom(5);
      const spec = { bits: 4, shape: [2, 3, 3], min: [-1, 0], max: [1, 6] };
      const codec = createBottleneckCodec(options({ entropy: TABLES }));
      const frame = codec.parse(codec.encode(dequantize(drawCodes(random, TABLES, 9), spec)));
      assert.equal(frame.codecId, CodecId.RANS_STATIC);
      assert.deepEqual(codec.decodeFeatures(frame), dequantize(decodeCodes(frame, TABLES), spec));
      assert.throws(() => codec.decodeFeatures(frame, new Float32Array(17)), /out holds 17 values/);
    },
  );

  it('decodeFeatures/assertPairs - work on an already parsed frame', opts, () => {
    const codec = createBottleneckCodec(options());
    const frame = codec.parse(codec.encode(new Float32Array(codec.elementCount).fill(-1)));
    assert.doesNotThrow(() => codec.assertPairs(frame));
    assert.deepEqual([...codec.decodeFeatures(frame)].slice(0, 9), Array(9).fill(-1));
    const other = encodeFrame({ ...frame, headFingerprint: 'ffffffff', version: 2 });
    expectMismatch(() => codec.assertPairs(decodeFrame(other)), 'HEAD_MISMATCH');
  });

  it('createBottleneckCodec - refuses invalid options', opts, () => {
    const random = createRandom(4);
    assert.throws(() => createBottleneckCodec(options({ headSha256: 'abc' })), FrameError);
    assert.throws(() => createBottleneckCodec(options({ bits: 9 })), FrameError);
    assert.throws(() => createBottleneckCodec(options({ shape: [2, 5000] })), FrameError);
    assert.throws(() => createBottleneckCodec(options({ min: [0, 0, 0], max: [1, 1, 1] })), RangeError);
    assert.throws(() => createBottleneckCodec(options({ min: [2, 0], max: [1, 1] })), RangeError);
    assert.throws(
      () => createBottleneckCodec(options({ entropy: randomTables(random, 3, 4, 12) })),
      /2 tables/,
    );
    assert.throws(
      () => createBottleneckCodec(options({ entropy: randomTables(random, 2, 3, 12) })),
      /16 entries/,
    );
    const codec = createBottleneckCodec(options());
    assert.throws(() => codec.encode(new Float32Array(3)), RangeError);
    assert.ok(Object.isFrozen(codec.shape));
    assert.equal(codec.entropyCodecId, CodecId.RANS_ADAPTIVE);
    assert.equal(createBottleneckCodec(options({ entropy: TABLES })).entropyCodecId, CodecId.RANS_STATIC);
  });
});
