import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame } from './decode-frame.js';
import { encodeFrame } from './encode-frame.js';
import { FrameError, type FrameErrorCode, type FrameField } from './errors.js';
import { frameHeaderByteLength, MAX_ELEMENTS } from './frame-format.js';
import {
  buildRaw,
  type RawFrame,
  SAMPLE_SHA256,
  sampleFields,
  sampleRaw,
  withFixedCrc,
} from './testing/frame-fixtures.js';

const opts = { timeout: 20_000 };

// The worked examples of docs/wire-format.md; the Python writer (training/make_vectors.py)
// produces the same bytes.
const GOLDEN_HEX = [
  'c2', // magic 0xC, version 2
  '09', // codec 0, bits 3 (stored 2), rank 2 (stored 1)
  '01234567', // head fingerprint
  '01', // dim 0 = 1
  '05', // dim 1 = 5
  '02', // payload length = 2
  'd158', // codes 1,2,3,4,5 packed at 3 bits
  '32206022', // CRC32C 0x22602032
].join('');
const GOLDEN_RANS_HEX = 'c22501234567021005f30c771b00b34c210c';
/** The same frames in version 3 (no dims): 13 and 16 bytes. */
const GOLDEN_V3_HEX = 'c3090123456702d158801d0a31';
const GOLDEN_V3_RANS_HEX = 'c3250123456705f30c771b005fab3e5e';

function expectFrameError(fn: () => unknown, code: FrameErrorCode, field?: FrameField): FrameError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FrameError, `expected FrameError, got ${String(err)}`);
    assert.equal(err.name, 'FrameError');
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal(err.field, field, err.message);
    return err;
  }
  assert.fail(`expected FrameError ${code}`);
}

const decodeRaw = (overrides: Partial<RawFrame>) => () => decodeFrame(buildRaw(sampleRaw(overrides)));

describe('frame', () => {
  it('encodeFrame - produces the documented bytes (golden vectors in docs/wire-format.md)', opts, () => {
    const frame = encodeFrame(sampleFields());
    assert.equal(Buffer.from(frame).toString('hex'), GOLDEN_HEX);
    assert.deepEqual(frame, buildRaw(sampleRaw()));
    const rans = encodeFrame({
      headFingerprint: '01234567',
      shape: [2, 16],
      bits: 2,
      codecId: 1,
      payload: Buffer.from('f30c771b00', 'hex'),
      version: 2,
    });
    assert.equal(Buffer.from(rans).toString('hex'), GOLDEN_RANS_HEX);
  });

  it('decodeFrame - returns every field and a payload view, not a copy', opts, () => {
    const bytes = Buffer.from(GOLDEN_HEX, 'hex');
    // gRPC hands out Buffers that are views into a larger pool: decode at an offset.
    const pool = Buffer.alloc(bytes.length + 10);
    bytes.copy(pool, 7);
    const view = pool.subarray(7, 7 + bytes.length);
    const frame = decodeFrame(view);
    assert.deepEqual(
      { ...frame, payload: [...frame.payload] },
      {
        version: 2,
        codecId: 0,
        bits: 3,
        headFingerprint: '01234567',
        shape: [1, 5],
        elementCount: 5,
        payload: [0xd1, 0x58],
        byteLength: 15,
        headerBytes: 9,
        overheadBytes: 13,
      },
    );
    assert.equal(frame.payload.buffer, pool.buffer);
    assert.equal(frame.payload.byteOffset, view.byteOffset + 9);
    const rans = decodeFrame(Buffer.from(GOLDEN_RANS_HEX, 'hex'));
    assert.deepEqual([rans.codecId, rans.shape, rans.payload.length], [1, [2, 16], 5]);
  });

  it('encodeFrame/decodeFrame - round trip at every bit width, rank and varint width', opts, () => {
    for (let bits = 1; bits <= 8; bits++) {
      for (const shape of [
        [3],
        [2, 3],
        [4, 1, 7],
        [2, 2, 2, 3],
        [4096],
        [1, 4096],
        [127, 128],
        [1024, 1024],
      ]) {
        const count = shape.reduce((a, b) => a * b, 1);
        const payload = new Uint8Array(Math.ceil((count * bits) / 8));
        const bytes = encodeFrame(sampleFields({ bits, shape, payload }));
        const frame = decodeFrame(bytes);
        assert.deepEqual([frame.bits, frame.shape, frame.elementCount], [bits, shape, count]);
        assert.equal(frame.headerBytes, frameHeaderByteLength(shape, payload.length, 2));
        assert.equal(bytes.length, frame.headerBytes + payload.length + 4);
      }
    }
  });

  it('decodeFrame - a frame cut at any byte offset is TRUNCATED at the field that was cut', opts, () => {
    const frame = encodeFrame(sampleFields());
    // Field that owns each byte of the golden frame, in wire order.
    const owners: [FrameField, number][] = [
      ['magic', 1],
      ['codecId', 1],
      ['headFingerprint', 4],
      ['shape', 2],
      ['payloadLength', 1],
      ['payload', 2],
      ['crc32c', 4],
    ];
    const fieldAt: FrameField[] = owners.flatMap(([field, bytes]) => Array<FrameField>(bytes).fill(field));
    assert.equal(fieldAt.length, frame.length);
    for (let cut = 0; cut < frame.length; cut++) {
      expectFrameError(() => decodeFrame(frame.subarray(0, cut)), 'TRUNCATED', fieldAt[cut]);
    }
  });

  it('decodeFrame - any single flipped bit is refused with a FrameError', opts, () => {
    for (const frame of [encodeFrame(sampleFields()), Buffer.from(GOLDEN_RANS_HEX, 'hex')]) {
      for (let i = 0; i < frame.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = Uint8Array.from(frame);
          bad[i]! ^= 1 << bit;
          assert.throws(() => decodeFrame(bad), FrameError, `byte ${i} bit ${bit}`);
        }
      }
    }
  });

  it('decodeFrame - refuses each bad header field with its code', opts, () => {
    for (const lead of [0x02, 0x42, 0xd2, 0xff]) expectFrameError(decodeRaw({ lead }), 'BAD_MAGIC', 'magic');
    for (const lead of [0xc0, 0xc1, 0xc4, 0xcf])
      expectFrameError(decodeRaw({ lead }), 'UNSUPPORTED_VERSION', 'version');
    // A version 1 frame ("CV", version 1) is recognised and refused as such.
    const v1 = Buffer.from('4356010003', 'hex');
    const err = expectFrameError(() => decodeFrame(v1), 'UNSUPPORTED_VERSION', 'version');
    assert.match(err.message, /version 1/);
    for (const codecId of [4, 5, 6, 7]) expectFrameError(decodeRaw({ codecId }), 'UNKNOWN_CODEC', 'codecId');
    expectFrameError(decodeRaw({ dims: [0, 5] }), 'BAD_FIELD', 'shape');
    expectFrameError(decodeRaw({ dims: [4097, 5] }), 'BAD_FIELD', 'shape');
    expectFrameError(decodeRaw({ dims: [1, 5], dimBytes: [0x81, 0x00, 0x05] }), 'BAD_FIELD', 'shape'); // non-minimal 1
    expectFrameError(decodeRaw({ dims: [1, 5], dimBytes: [0x81, 0x80, 0x01, 0x05] }), 'BAD_FIELD', 'shape'); // 3 bytes
    expectFrameError(decodeRaw({ dims: [1024, 1024, 2] }), 'TOO_LARGE', 'shape');
    // Rank says 3, but only two dims are there: the length byte becomes dim 2 and the payload
    // the length, which no longer fits the shape.
    expectFrameError(decodeRaw({ rank: 3 }), 'BAD_FIELD', 'payloadLength');
  });

  it('decodeFrame - refuses bad payload lengths, padding, trailing bytes and CRCs', opts, () => {
    expectFrameError(decodeRaw({ lengthBytes: [0xff, 0xff, 0xff, 0x7f] }), 'TOO_LARGE', 'payloadLength');
    expectFrameError(decodeRaw({ lengthBytes: [0x81, 0x80, 0x40] }), 'TOO_LARGE', 'payloadLength'); // 2^20 + 1
    expectFrameError(decodeRaw({ lengthBytes: [0x82, 0x00] }), 'BAD_FIELD', 'payloadLength'); // non-minimal 2
    expectFrameError(decodeRaw({ payload: [0xd1] }), 'BAD_FIELD', 'payloadLength');
    expectFrameError(decodeRaw({ payload: [0xd1, 0x58, 0] }), 'BAD_FIELD', 'payloadLength');
    // The length field promises more than the buffer holds.
    const short = buildRaw(sampleRaw({ dims: [1, 24], payloadLength: 9 }));
    expectFrameError(() => decodeFrame(short), 'TRUNCATED', 'payload');
    // 15 bits used: bit 15 of the payload is padding.
    expectFrameError(decodeRaw({ payload: [0xd1, 0xd8] }), 'BAD_FIELD', 'payload');
    expectFrameError(decodeRaw({ trailing: [0] }), 'BAD_FIELD', 'trailingBytes');
    const err = expectFrameError(decodeRaw({ crc: 0x12345678 }), 'CRC_MISMATCH', 'crc32c');
    assert.equal(err.offset, 11);
    expectFrameError(() => decodeFrame(new Uint8Array(0)), 'TRUNCATED', 'magic');
    expectFrameError(() => decodeFrame('CV' as unknown as Uint8Array), 'BAD_FIELD', 'frame');
  });

  it('decodeFrame - an entropy-coded payload is 4..packed-1 bytes and starts in a valid state', opts, () => {
    const rans = { codecId: 1, bits: 2, dims: [2, 16] }; // packed: 8 bytes
    const state = [0xf3, 0x0c, 0x77, 0x1b];
    assert.doesNotThrow(decodeRaw({ ...rans, payload: [...state, 0] }));
    for (const codecId of [1, 2]) {
      expectFrameError(decodeRaw({ ...rans, codecId, payload: [1, 2, 3] }), 'BAD_FIELD', 'payloadLength');
      expectFrameError(
        decodeRaw({ ...rans, codecId, payload: [...state, 0, 0, 0, 0] }),
        'BAD_FIELD',
        'payloadLength',
      );
      // A state below 2^23 or at/above 2^31 cannot come from an encoder.
      expectFrameError(
        decodeRaw({ ...rans, codecId, payload: [0xff, 0xff, 0x7f, 0x00] }),
        'BAD_FIELD',
        'payload',
      );
      expectFrameError(decodeRaw({ ...rans, codecId, payload: [0, 0, 0, 0x80] }), 'BAD_FIELD', 'payload');
    }
    // A shape whose packed codes take 4 bytes or fewer can never be entropy-coded.
    expectFrameError(
      decodeRaw({ codecId: 1, bits: 1, dims: [32], payload: state }),
      'BAD_FIELD',
      'payloadLength',
    );
  });

  it(
    'decodeFrame - checks fields before the CRC, so a wrong field is named even with a good CRC',
    opts,
    () => {
      const bad = encodeFrame(sampleFields()).slice();
      bad[1] = 0xe9; // codec 7
      expectFrameError(() => decodeFrame(withFixedCrc(bad)), 'UNKNOWN_CODEC', 'codecId');
    },
  );

  it('encodeFrame - refuses what decodeFrame would refuse', opts, () => {
    const encode = (overrides: Parameters<typeof sampleFields>[0]) => () =>
      encodeFrame(sampleFields(overrides));
    expectFrameError(encode({ codecId: 5 as 0 }), 'UNKNOWN_CODEC', 'codecId');
    expectFrameError(encode({ bits: 0 }), 'BAD_FIELD', 'bits');
    expectFrameError(encode({ bits: 9 }), 'BAD_FIELD', 'bits');
    expectFrameError(encode({ headSha256: 'abc' }), 'BAD_FIELD', 'headSha256');
    expectFrameError(encode({ headSha256: `${'g'.repeat(64)}` }), 'BAD_FIELD', 'headSha256');
    expectFrameError(encode({ shape: [] }), 'BAD_FIELD', 'rank');
    expectFrameError(encode({ shape: [1, 1, 1, 1, 5] }), 'BAD_FIELD', 'rank');
    expectFrameError(encode({ shape: [1, 4097] }), 'BAD_FIELD', 'shape');
    expectFrameError(encode({ shape: [1, 2.5] }), 'BAD_FIELD', 'shape');
    expectFrameError(encode({ shape: [1024, 1024, 2] }), 'TOO_LARGE', 'shape');
    expectFrameError(encode({ payload: new Uint8Array(3) }), 'BAD_FIELD', 'payloadLength');
    expectFrameError(encode({ payload: Uint8Array.from([0, 0x80]) }), 'BAD_FIELD', 'payload');
    expectFrameError(encode({ codecId: 1, payload: new Uint8Array(2) }), 'BAD_FIELD', 'payloadLength');
    expectFrameError(encode({ shape: [MAX_ELEMENTS + 1] }), 'BAD_FIELD', 'shape');
    // The full sha256 or its 8-hex-character fingerprint, in either case; not both, and not a
    // fingerprint passed as a sha256.
    const a = encodeFrame(sampleFields({ headSha256: SAMPLE_SHA256.toUpperCase() }));
    assert.deepEqual(encodeFrame(sampleFields({ headSha256: undefined, headFingerprint: '01234567' })), a);
    expectFrameError(encode({ headFingerprint: '01234567' }), 'BAD_FIELD', 'headSha256');
    expectFrameError(encode({ headSha256: '01234567' }), 'BAD_FIELD', 'headSha256');
    expectFrameError(
      encode({ headSha256: undefined, headFingerprint: '0123' }),
      'BAD_FIELD',
      'headFingerprint',
    );
  });
});

describe('frame - version 3', () => {
  const shapeOf = (fp: number) => (fp === 0x01234567 ? ([1, 5] as const) : undefined);

  it('encodeFrame - version 3 leaves the dims out: the documented bytes', opts, () => {
    const frame = encodeFrame(sampleFields({ version: 3 }));
    assert.equal(Buffer.from(frame).toString('hex'), GOLDEN_V3_HEX);
    const rans = encodeFrame({
      headFingerprint: '01234567',
      shape: [2, 16],
      bits: 2,
      codecId: 1,
      payload: Buffer.from('f30c771b00', 'hex'),
    });
    assert.equal(Buffer.from(rans).toString('hex'), GOLDEN_V3_RANS_HEX);
  });

  it('decodeFrame - a version 3 frame takes its shape from shapeOf, by head fingerprint', opts, () => {
    const bytes = Buffer.from(GOLDEN_V3_HEX, 'hex');
    const frame = decodeFrame(bytes, shapeOf);
    assert.equal(frame.version, 3);
    assert.deepEqual(frame.shape, [1, 5]);
    assert.equal(frame.elementCount, 5);
    assert.equal(frame.headerBytes, 7);
    assert.equal(frame.overheadBytes, 11);
    assert.deepEqual([...frame.payload], [0xd1, 0x58]);
    // Without a shape for its head it cannot be checked, so it is refused.
    expectFrameError(() => decodeFrame(bytes), 'BAD_FIELD', 'shape');
    expectFrameError(() => decodeFrame(bytes, () => undefined), 'BAD_FIELD', 'shape');
    // The rank in the format byte must agree with the bundle's shape.
    expectFrameError(() => decodeFrame(bytes, () => [5]), 'BAD_FIELD', 'rank');
    // The payload length is checked against the bundle's shape: 2 bytes for 5 codes of 3 bits.
    expectFrameError(() => decodeFrame(bytes, () => [2, 5]), 'BAD_FIELD', 'payloadLength');
  });

  it(
    'encodeFrame/decodeFrame - version 3 round trip; header + CRC is 11 B, 12 B past 127 payload bytes',
    opts,
    () => {
      for (const [shape, bits] of [
        [[4, 7, 7], 2],
        [[6, 7, 7], 2],
        [[12, 7, 7], 3],
        [[16, 7, 7], 4],
        [[8, 7, 7], 3],
      ] as const) {
        const count = shape.reduce((a, b) => a * b, 1);
        const payload = new Uint8Array(Math.ceil((count * bits) / 8));
        const bytes = encodeFrame(sampleFields({ bits, shape, payload, version: 3 }));
        const frame = decodeFrame(bytes, () => shape);
        assert.deepEqual([frame.bits, frame.shape, frame.elementCount], [bits, shape, count]);
        assert.equal(frame.overheadBytes, payload.length > 127 ? 12 : 11);
        assert.equal(frame.headerBytes, frameHeaderByteLength(shape, payload.length));
        assert.equal(bytes.length, frame.overheadBytes + payload.length);
      }
    },
  );

  it('decodeFrame - the head fingerprint reads right for more heads than it keeps strings of', opts, () => {
    // 5,000 fingerprints: past the 4,096 whose hex strings are kept, each is still spelled anew.
    for (let n = 0; n < 5000; n++) {
      const hex = (n * 0x10001).toString(16).padStart(8, '0');
      const bytes = encodeFrame({ ...sampleFields(), headSha256: undefined, headFingerprint: hex });
      assert.equal(decodeFrame(bytes).headFingerprint, hex);
      assert.equal(decodeFrame(bytes).headFingerprint, hex);
    }
  });
});
