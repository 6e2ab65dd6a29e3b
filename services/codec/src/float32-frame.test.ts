// Codec 3: lossless float32 frames (docs/wire-format.md, "Codec 3").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBottleneckCodec } from './bottleneck-codec.js';
import { decodeFrame } from './decode-frame.js';
import { encodeFrame } from './encode-frame.js';
import { FrameError, FrameMismatchError } from './errors.js';
import { CodecId, FLOAT32_BITS } from './frame-format.js';
import { decodeCodes } from './payload-coder.js';
import { withFixedCrc } from './testing/frame-fixtures.js';

const opts = { timeout: 10_000 };
const HEAD = `01234567${'0'.repeat(56)}`;
// The worked example of docs/wire-format.md: shape [1, 2], values 1.0 and -2.5.
const GOLDEN_FLOAT32_HEX = 'c27d012345670102080000803f000020c06af72e98';

const codecFor = (shape: number[], headSha256 = HEAD) =>
  createBottleneckCodec({
    modelName: 'm',
    modelVersion: '1',
    headSha256,
    bits: FLOAT32_BITS,
    shape,
    min: [0],
    max: [1],
  });

describe('float32 frames (codec 3)', () => {
  it('float32 - the golden frame: bits field all ones, 4 little-endian bytes a value', opts, () => {
    const codec = codecFor([1, 2]);
    const frame = codec.parse(codec.encode(Float32Array.of(1, -2.5)));
    // The golden vector is version 2, which spells the dims out; the codec writes version 3.
    const bytes = encodeFrame({ ...frame, version: 2 });
    assert.equal(Buffer.from(bytes).toString('hex'), GOLDEN_FLOAT32_HEX);
    assert.deepEqual(decodeFrame(bytes).shape, [1, 2]);
    assert.equal(frame.codecId, CodecId.FLOAT32);
    assert.equal(frame.bits, 32);
    assert.deepEqual(frame.shape, [1, 2]);
    assert.equal(frame.payload.length, 8);
  });

  it('float32 - round trip is bit-exact, including subnormals and signed zero', opts, () => {
    const shape = [3, 4, 5];
    const codec = codecFor(shape);
    const x = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i * 1.7) * 10 ** ((i % 9) - 4));
    x[0] = -0;
    x[1] = 1e-42;
    x[2] = 3.4e38;
    const { frame, features } = codec.decode(codec.encode(x));
    // Version 3: lead, format, fingerprint 6 + length 2 + payload 240 + CRC 4 (no dims).
    assert.equal(frame.byteLength, 6 + 2 + 240 + 4);
    assert.deepEqual(new Uint8Array(features.buffer), new Uint8Array(x.buffer));
  });

  it(
    'float32 - refuses non-finite values, wrong lengths, wrong bits fields and mismatched codecs',
    opts,
    () => {
      const codec = codecFor([2]);
      const nan = codec.encode(Float32Array.of(1, Number.NaN));
      assert.throws(
        () => codec.decode(nan),
        (e: unknown) => e instanceof FrameError && e.field === 'payload',
      );
      const good = Buffer.from(GOLDEN_FLOAT32_HEX, 'hex');
      const badBits = Uint8Array.from(good);
      badBits[1] = 0x79; // codec 3 with bits field 7 (stored 6)
      assert.throws(
        () => decodeFrame(withFixedCrc(badBits)),
        (e: unknown) => e instanceof FrameError && e.code === 'BAD_FIELD' && e.field === 'bits',
      );
      assert.throws(
        () =>
          encodeFrame({
            headSha256: HEAD,
            shape: [1, 2],
            bits: 8,
            codecId: CodecId.FLOAT32,
            payload: new Uint8Array(8),
          }),
        (e: unknown) => e instanceof FrameError && e.field === 'bits',
      );
      assert.throws(
        () =>
          encodeFrame({
            headSha256: HEAD,
            shape: [1, 2],
            bits: 32,
            codecId: CodecId.FLOAT32,
            payload: new Uint8Array(7),
          }),
        (e: unknown) => e instanceof FrameError && e.field === 'payloadLength',
      );
      assert.throws(
        () => encodeFrame({ headSha256: HEAD, shape: [1, 2], bits: 32, payload: new Uint8Array(8) }),
        (e: unknown) => e instanceof FrameError && e.field === 'bits',
      );
      // A quantised bundle refuses float32 frames, and the other way round.
      const quantised = createBottleneckCodec({
        modelName: 'm',
        modelVersion: '1',
        headSha256: HEAD,
        bits: 8,
        shape: [1, 2],
        min: [-4],
        max: [4],
      });
      assert.throws(
        () => quantised.decode(good),
        (e: unknown) => e instanceof FrameMismatchError && e.code === 'BITS_MISMATCH',
      );
      const codes = quantised.encode(Float32Array.of(1, -2.5));
      assert.throws(
        () => codecFor([1, 2]).decode(codes),
        (e: unknown) => e instanceof FrameMismatchError && e.code === 'BITS_MISMATCH',
      );
      assert.throws(
        () => decodeCodes(decodeFrame(good)),
        (e: unknown) => e instanceof FrameMismatchError,
      );
    },
  );

  it(
    'float32 - a shape whose values exceed the payload limit is refused when the codec is built',
    opts,
    () => {
      assert.throws(
        () => codecFor([64, 64, 65]),
        (e: unknown) => e instanceof FrameError && e.code === 'TOO_LARGE',
      );
      assert.doesNotThrow(() => codecFor([64, 64, 64]));
    },
  );
});
