import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame } from './decode-frame.js';
import { encodeFrame } from './encode-frame.js';
import { FrameError, type FrameErrorCode, type FrameField } from './errors.js';
import { MAX_ELEMENTS } from './frame-format.js';
import { buildRaw, type RawFrame, sampleFields, sampleRaw, withFixedCrc } from './testing/frame-fixtures.js';

const opts = { timeout: 20_000 };

const GOLDEN_HEX = [
  '4356', // magic "CV"
  '01', // frame version
  '00', // codec id: bit-packed
  '03', // bits
  '0123456789abcdef', // head fingerprint
  '0c', // model name length
  '666d6e6973742d73706c6974', // "fmnist-split"
  '05', // model version length
  '312e302e30', // "1.0.0"
  '02', // rank
  '0100', // dim 0 = 1
  '0500', // dim 1 = 5
  '02000000', // payload length = 2
  'd158', // codes 1,2,3,4,5 packed at 3 bits
  '0f019893', // CRC32C 0x9398010f
].join('');

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
  it('encodeFrame - produces the documented bytes (golden vector in docs/wire-format.md)', opts, () => {
    const frame = encodeFrame(sampleFields());
    assert.equal(Buffer.from(frame).toString('hex'), GOLDEN_HEX);
    assert.deepEqual(frame, buildRaw(sampleRaw()));
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
        version: 1,
        codecId: 0,
        bits: 3,
        headFingerprint: '0123456789abcdef',
        modelName: 'fmnist-split',
        modelVersion: '1.0.0',
        shape: [1, 5],
        elementCount: 5,
        payload: [0xd1, 0x58],
        byteLength: bytes.length,
      },
    );
    assert.equal(frame.payload.buffer, pool.buffer);
    assert.equal(frame.payload.byteOffset, view.byteOffset + bytes.length - 6);
  });

  it('encodeFrame/decodeFrame - round trip at every bit width and rank', opts, () => {
    for (let bits = 1; bits <= 8; bits++) {
      for (const shape of [[3], [2, 3], [4, 1, 7], [2, 2, 2, 3], [4096], [1, 4096]]) {
        const count = shape.reduce((a, b) => a * b, 1);
        const payload = new Uint8Array(Math.ceil((count * bits) / 8));
        const fields = sampleFields({
          bits,
          shape,
          payload,
          modelName: 'a.b_c-9',
          modelVersion: 'V1+build.7',
        });
        const frame = decodeFrame(encodeFrame(fields));
        assert.deepEqual(
          [frame.bits, frame.shape, frame.modelName, frame.modelVersion],
          [bits, shape, 'a.b_c-9', 'V1+build.7'],
        );
      }
    }
  });

  it('decodeFrame - a frame cut at any byte offset is TRUNCATED at the field that was cut', opts, () => {
    const frame = encodeFrame(sampleFields());
    // Field that owns each byte of the golden frame, in wire order.
    const owners: [FrameField, number][] = [
      ['magic', 2],
      ['version', 1],
      ['codecId', 1],
      ['bits', 1],
      ['headFingerprint', 8],
      ['modelName', 13],
      ['modelVersion', 6],
      ['rank', 1],
      ['shape', 4],
      ['payloadLength', 4],
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
    const frame = encodeFrame(sampleFields());
    for (let i = 0; i < frame.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = frame.slice();
        bad[i]! ^= 1 << bit;
        assert.throws(() => decodeFrame(bad), FrameError, `byte ${i} bit ${bit}`);
      }
    }
  });

  it('decodeFrame - refuses each bad header field with its code', opts, () => {
    expectFrameError(decodeRaw({ magic: [0x43, 0x57] }), 'BAD_MAGIC', 'magic');
    expectFrameError(decodeRaw({ version: 2 }), 'UNSUPPORTED_VERSION', 'version');
    expectFrameError(decodeRaw({ version: 0 }), 'UNSUPPORTED_VERSION', 'version');
    for (const codecId of [1, 2, 3, 255])
      expectFrameError(decodeRaw({ codecId }), 'UNKNOWN_CODEC', 'codecId');
    for (const bits of [0, 9, 255]) expectFrameError(decodeRaw({ bits }), 'BAD_FIELD', 'bits');
    expectFrameError(decodeRaw({ name: [], nameLength: 0 }), 'BAD_FIELD', 'modelName');
    expectFrameError(decodeRaw({ nameLength: 65, name: Array(65).fill(0x61) }), 'BAD_FIELD', 'modelName');
    for (const ch of 'AZ /:+\u0000\u00e9') {
      const name = [0x61, ch.charCodeAt(0) & 0xff, 0x62];
      expectFrameError(decodeRaw({ name }), 'BAD_FIELD', 'modelName');
    }
    expectFrameError(decodeRaw({ modelVersion: [], modelVersionLength: 0 }), 'BAD_FIELD', 'modelVersion');
    expectFrameError(decodeRaw({ modelVersion: Array(33).fill(0x31) }), 'BAD_FIELD', 'modelVersion');
    expectFrameError(decodeRaw({ modelVersion: [0x31, 0x20] }), 'BAD_FIELD', 'modelVersion');
    expectFrameError(decodeRaw({ rank: 0, dims: [] }), 'BAD_FIELD', 'rank');
    expectFrameError(decodeRaw({ dims: [1, 1, 1, 1, 5] }), 'BAD_FIELD', 'rank');
    expectFrameError(decodeRaw({ dims: [0, 5] }), 'BAD_FIELD', 'shape');
    expectFrameError(decodeRaw({ dims: [4097, 5] }), 'BAD_FIELD', 'shape');
    expectFrameError(decodeRaw({ dims: [1024, 1024, 2] }), 'TOO_LARGE', 'shape');
  });

  it('decodeFrame - refuses bad payload lengths, padding, trailing bytes and CRCs', opts, () => {
    expectFrameError(decodeRaw({ payloadLength: 0xffffffff }), 'TOO_LARGE', 'payloadLength');
    expectFrameError(decodeRaw({ payloadLength: MAX_ELEMENTS + 1 }), 'TOO_LARGE', 'payloadLength');
    expectFrameError(decodeRaw({ payload: [0xd1] }), 'BAD_FIELD', 'payloadLength');
    expectFrameError(decodeRaw({ payload: [0xd1, 0x58, 0] }), 'BAD_FIELD', 'payloadLength');
    // The length field promises more than the buffer holds.
    const short = buildRaw(sampleRaw({ dims: [1, 24], payloadLength: 9 }));
    expectFrameError(() => decodeFrame(short), 'TRUNCATED', 'payload');
    // 15 bits used: bit 15 of the payload is padding.
    expectFrameError(decodeRaw({ payload: [0xd1, 0xd8] }), 'BAD_FIELD', 'payload');
    expectFrameError(decodeRaw({ trailing: [0] }), 'BAD_FIELD', 'trailingBytes');
    const err = expectFrameError(decodeRaw({ crc: 0x12345678 }), 'CRC_MISMATCH', 'crc32c');
    assert.equal(err.offset, 43);
    expectFrameError(() => decodeFrame(new Uint8Array(0)), 'TRUNCATED', 'magic');
    expectFrameError(() => decodeFrame('CV' as unknown as Uint8Array), 'BAD_FIELD', 'frame');
  });

  it(
    'decodeFrame - checks fields before the CRC, so a wrong field is named even with a good CRC',
    opts,
    () => {
      const frame = encodeFrame(sampleFields());
      const bad = frame.slice();
      bad[4] = 0; // bits
      expectFrameError(() => decodeFrame(withFixedCrc(bad)), 'BAD_FIELD', 'bits');
    },
  );

  it('encodeFrame - refuses what decodeFrame would refuse', opts, () => {
    const encode = (overrides: Parameters<typeof sampleFields>[0]) => () =>
      encodeFrame(sampleFields(overrides));
    expectFrameError(encode({ codecId: 1 }), 'UNKNOWN_CODEC', 'codecId');
    expectFrameError(encode({ bits: 0 }), 'BAD_FIELD', 'bits');
    expectFrameError(encode({ headSha256: 'abc' }), 'BAD_FIELD', 'headSha256');
    expectFrameError(encode({ headSha256: `${'g'.repeat(64)}` }), 'BAD_FIELD', 'headSha256');
    expectFrameError(encode({ modelName: '' }), 'BAD_FIELD', 'modelName');
    expectFrameError(encode({ modelName: 'Fmnist' }), 'BAD_FIELD', 'modelName');
    expectFrameError(encode({ modelName: 'é' }), 'BAD_FIELD', 'modelName');
    expectFrameError(encode({ modelName: 'a'.repeat(65) }), 'BAD_FIELD', 'modelName');
    expectFrameError(encode({ modelVersion: '1 0' }), 'BAD_FIELD', 'modelVersion');
    expectFrameError(encode({ modelVersion: '1'.repeat(33) }), 'BAD_FIELD', 'modelVersion');
    expectFrameError(encode({ shape: [] }), 'BAD_FIELD', 'rank');
    expectFrameError(encode({ shape: [1, 1, 1, 1, 5] }), 'BAD_FIELD', 'rank');
    expectFrameError(encode({ shape: [1, 4097] }), 'BAD_FIELD', 'shape');
    expectFrameError(encode({ shape: [1, 2.5] }), 'BAD_FIELD', 'shape');
    expectFrameError(encode({ shape: [1024, 1024, 2] }), 'TOO_LARGE', 'shape');
    expectFrameError(encode({ payload: new Uint8Array(3) }), 'BAD_FIELD', 'payloadLength');
    expectFrameError(encode({ payload: Uint8Array.from([0, 0x80]) }), 'BAD_FIELD', 'payload');
    assert.ok(encodeFrame(sampleFields({ headSha256: sampleFields().headSha256.toUpperCase() })));
  });
});
