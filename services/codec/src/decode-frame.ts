import { packedByteLength } from './bit-pack.js';
import { crc32c } from './crc32c.js';
import { FrameError, FrameErrorCode, type FrameField } from './errors.js';
import {
  type CodecId,
  CodecId as CodecIds,
  CRC_BYTES,
  type FeatureFrame,
  FRAME_MAGIC,
  FRAME_VERSION,
  HEAD_FINGERPRINT_BYTES,
  isModelNameByte,
  isModelVersionByte,
  MAX_BITS,
  MAX_DIM,
  MAX_ELEMENTS,
  MAX_MODEL_NAME_BYTES,
  MAX_MODEL_VERSION_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_RANK,
  MIN_BITS,
  SUPPORTED_CODEC_IDS,
} from './frame-format.js';

const RESERVED_CODEC_IDS: ReadonlySet<number> = new Set<number>(Object.values(CodecIds));

function bad(field: FrameField, offset: number, message: string): FrameError {
  return new FrameError(FrameErrorCode.BAD_FIELD, field, message, { offset });
}

/**
 * Parses and validates a feature frame (docs/wire-format.md) in wire order: every field, the
 * element-count limit, the payload length, the padding bits and the CRC are checked before
 * anything is allocated. Throws FrameError naming the first bad field; never throws anything else.
 * The returned payload is a view into `buf`.
 */
export function decodeFrame(buf: Uint8Array): FeatureFrame {
  if (!(buf instanceof Uint8Array))
    throw new FrameError(FrameErrorCode.BAD_FIELD, 'frame', 'must be a Uint8Array');
  const size = buf.length;
  const u8 = (at: number): number => buf[at]!;
  const u16 = (at: number): number => buf[at]! | (buf[at + 1]! << 8);
  const u32 = (at: number): number =>
    (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
  const need = (at: number, bytes: number, field: FrameField): void => {
    if (at + bytes > size) {
      throw new FrameError(
        FrameErrorCode.TRUNCATED,
        field,
        `needs ${bytes} bytes at offset ${at}, frame has ${size}`,
        {
          offset: at,
        },
      );
    }
  };

  need(0, 2, 'magic');
  if (u8(0) !== FRAME_MAGIC[0] || u8(1) !== FRAME_MAGIC[1]) {
    throw new FrameError(FrameErrorCode.BAD_MAGIC, 'magic', 'not a Cleave feature frame', { offset: 0 });
  }
  need(2, 1, 'version');
  const version = u8(2);
  if (version !== FRAME_VERSION) {
    throw new FrameError(
      FrameErrorCode.UNSUPPORTED_VERSION,
      'version',
      `version ${version}, expected ${FRAME_VERSION}`,
      {
        offset: 2,
      },
    );
  }
  need(3, 1, 'codecId');
  const codecId = u8(3);
  if (!SUPPORTED_CODEC_IDS.has(codecId)) {
    const why = RESERVED_CODEC_IDS.has(codecId) ? 'reserved but not supported by this decoder' : 'unknown';
    throw new FrameError(FrameErrorCode.UNKNOWN_CODEC, 'codecId', `codec ${codecId} is ${why}`, {
      offset: 3,
    });
  }
  need(4, 1, 'bits');
  const bits = u8(4);
  if (bits < MIN_BITS || bits > MAX_BITS)
    throw bad('bits', 4, `must be ${MIN_BITS}..${MAX_BITS}, got ${bits}`);
  const fingerprintAt = 5;
  need(fingerprintAt, HEAD_FINGERPRINT_BYTES, 'headFingerprint');

  let o = fingerprintAt + HEAD_FINGERPRINT_BYTES;
  const nameAt = o + 1;
  need(o, 1, 'modelName');
  const nameBytes = u8(o);
  if (nameBytes < 1 || nameBytes > MAX_MODEL_NAME_BYTES) {
    throw bad('modelName', o, `length must be 1..${MAX_MODEL_NAME_BYTES}, got ${nameBytes}`);
  }
  need(nameAt, nameBytes, 'modelName');
  for (let i = nameAt; i < nameAt + nameBytes; i++) {
    if (!isModelNameByte(u8(i))) throw bad('modelName', i, `byte 0x${u8(i).toString(16)} not in [a-z0-9._-]`);
  }
  o = nameAt + nameBytes;

  const versionAt = o + 1;
  need(o, 1, 'modelVersion');
  const versionBytes = u8(o);
  if (versionBytes < 1 || versionBytes > MAX_MODEL_VERSION_BYTES) {
    throw bad('modelVersion', o, `length must be 1..${MAX_MODEL_VERSION_BYTES}, got ${versionBytes}`);
  }
  need(versionAt, versionBytes, 'modelVersion');
  for (let i = versionAt; i < versionAt + versionBytes; i++) {
    if (!isModelVersionByte(u8(i)))
      throw bad('modelVersion', i, `byte 0x${u8(i).toString(16)} not in [A-Za-z0-9._+-]`);
  }
  o = versionAt + versionBytes;

  need(o, 1, 'rank');
  const rank = u8(o);
  if (rank < 1 || rank > MAX_RANK) throw bad('rank', o, `must be 1..${MAX_RANK}, got ${rank}`);
  const shapeAt = o + 1;
  need(shapeAt, 2 * rank, 'shape');
  let elementCount = 1;
  for (let k = 0; k < rank; k++) {
    const d = u16(shapeAt + 2 * k);
    if (d < 1 || d > MAX_DIM) throw bad('shape', shapeAt + 2 * k, `dim ${k} must be 1..${MAX_DIM}, got ${d}`);
    elementCount *= d;
  }
  if (elementCount > MAX_ELEMENTS) {
    throw new FrameError(
      FrameErrorCode.TOO_LARGE,
      'shape',
      `${elementCount} elements exceed ${MAX_ELEMENTS}`,
      {
        offset: shapeAt,
      },
    );
  }
  o = shapeAt + 2 * rank;

  need(o, 4, 'payloadLength');
  const payloadLength = u32(o);
  if (payloadLength > MAX_PAYLOAD_BYTES) {
    throw new FrameError(
      FrameErrorCode.TOO_LARGE,
      'payloadLength',
      `${payloadLength} bytes exceed ${MAX_PAYLOAD_BYTES}`,
      {
        offset: o,
      },
    );
  }
  const packedBytes = packedByteLength(elementCount, bits);
  if (codecId === CodecIds.BITPACK && payloadLength !== packedBytes) {
    throw bad(
      'payloadLength',
      o,
      `${elementCount} codes of ${bits} bits need ${packedBytes} bytes, got ${payloadLength}`,
    );
  }
  const payloadAt = o + 4;
  need(payloadAt, payloadLength, 'payload');
  const crcAt = payloadAt + payloadLength;
  need(crcAt, CRC_BYTES, 'crc32c');
  const end = crcAt + CRC_BYTES;
  if (size > end) throw bad('trailingBytes', end, `${size - end} bytes after the CRC`);
  if (codecId === CodecIds.BITPACK && payloadLength > 0) {
    // One packing per code sequence: the unused high bits of the last byte must be zero.
    const usedBits = (elementCount * bits) % 8;
    if (usedBits !== 0 && u8(crcAt - 1) >>> usedBits !== 0) {
      throw bad('payload', crcAt - 1, 'padding bits of the last byte must be zero');
    }
  }
  const expectedCrc = u32(crcAt);
  const actualCrc = crc32c(buf.subarray(0, crcAt));
  if (actualCrc !== expectedCrc) {
    throw new FrameError(
      FrameErrorCode.CRC_MISMATCH,
      'crc32c',
      `frame says 0x${expectedCrc.toString(16).padStart(8, '0')}, bytes give 0x${actualCrc.toString(16).padStart(8, '0')}`,
      { offset: crcAt },
    );
  }

  // Everything is valid: only now build the strings, the shape and the payload view.
  const shape: number[] = [];
  for (let k = 0; k < rank; k++) shape.push(u16(shapeAt + 2 * k));
  let headFingerprint = '';
  for (let i = fingerprintAt; i < fingerprintAt + HEAD_FINGERPRINT_BYTES; i++) {
    headFingerprint += u8(i).toString(16).padStart(2, '0');
  }
  return {
    version,
    codecId: codecId as CodecId,
    bits,
    headFingerprint,
    modelName: String.fromCharCode(...buf.subarray(nameAt, nameAt + nameBytes)),
    modelVersion: String.fromCharCode(...buf.subarray(versionAt, versionAt + versionBytes)),
    shape,
    elementCount,
    payload: buf.subarray(payloadAt, crcAt),
    byteLength: end,
  };
}
