import { crc32c } from './crc32c.js';
import { FrameError, FrameErrorCode, type FrameField } from './errors.js';
import {
  type CodecId,
  CodecId as CodecIds,
  CRC_BYTES,
  checkPayloadLength,
  type FeatureFrame,
  FLOAT32_BITS,
  FRAME_MAGIC,
  FRAME_VERSION,
  FRAME_VERSION_V2,
  type FrameShapeOf,
  type FrameVersion,
  HEAD_FINGERPRINT_BYTES,
  LEGACY_V1_MAGIC,
  MAX_BITS,
  MAX_DIM,
  MAX_DIM_VARINT_BYTES,
  MAX_ELEMENTS,
  MAX_LENGTH_VARINT_BYTES,
  SUPPORTED_CODEC_IDS,
} from './frame-format.js';
import { RANS_L, RANS_STATE_MAX } from './rans.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * The hex fingerprints seen so far, one string each: every frame of a head then carries the
 * same string object, so comparing it with the codec's is a pointer check instead of building
 * and flattening a new string per frame. Bounded, since a peer chooses the fingerprints it sends.
 */
const fingerprintText = new Map<number, string>();
const FINGERPRINT_TEXT_LIMIT = 4096;

function fingerprintHex(buf: Uint8Array, at: number): string {
  const n = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
  let text = fingerprintText.get(n);
  if (text === undefined) {
    text = HEX[buf[at]!]! + HEX[buf[at + 1]!]! + HEX[buf[at + 2]!]! + HEX[buf[at + 3]!]!;
    if (fingerprintText.size < FINGERPRINT_TEXT_LIMIT) fingerprintText.set(n, text);
  }
  return text;
}

function bad(field: FrameField, offset: number, message: string): FrameError {
  return new FrameError(FrameErrorCode.BAD_FIELD, field, message, { offset });
}

/** Throws TRUNCATED unless `buf` holds `bytes` bytes at `at`. */
function need(buf: Uint8Array, at: number, bytes: number, field: FrameField): void {
  if (at + bytes > buf.length) {
    throw new FrameError(
      FrameErrorCode.TRUNCATED,
      field,
      `needs ${bytes} bytes at offset ${at}, frame has ${buf.length}`,
      { offset: at },
    );
  }
}

/**
 * Where the varint that readVarint last read ends. Module state instead of a closure over the
 * frame's cursor: decodeFrame runs once per request on the server, and a closure per call costs
 * an allocation (and, under tsx, a property definition for its name) each time.
 */
let varintEnd = 0;

/** Reads a minimal LEB128 varint of at most `maxBytes` bytes at `at`; its end goes to varintEnd. */
function readVarint(
  buf: Uint8Array,
  at: number,
  maxBytes: number,
  field: FrameField,
  tooLong: FrameErrorCode,
): number {
  let value = 0;
  for (let k = 0; k < maxBytes; k++) {
    need(buf, at + k, 1, field);
    const byte = buf[at + k]!;
    value += (byte & 0x7f) * 2 ** (7 * k);
    if (byte < 0x80) {
      if (byte === 0 && k > 0) throw bad(field, at, 'varint is not minimally encoded');
      varintEnd = at + k + 1;
      return value;
    }
  }
  throw new FrameError(tooLong, field, `varint longer than ${maxBytes} bytes`, { offset: at });
}

/**
 * Parses and validates a feature frame, version 3 or 2 (docs/wire-format.md), in wire order:
 * every field, the element-count limit, the payload length, the padding bits, the rANS start
 * state and the CRC are checked before anything is allocated. A version 3 frame carries no dims:
 * `shapeOf` gives the shape of the bundle its head fingerprint names (without it, or when it
 * knows no such head, the frame is refused: BAD_FIELD on shape). Throws FrameError naming the
 * first bad field, and nothing else but what `shapeOf` throws. The payload is not entropy-decoded
 * here (that needs the bundle's tables: see decodeCodes); the returned payload is a view into
 * `buf`.
 */
export function decodeFrame(buf: Uint8Array, shapeOf?: FrameShapeOf): FeatureFrame {
  if (!(buf instanceof Uint8Array))
    throw new FrameError(FrameErrorCode.BAD_FIELD, 'frame', 'must be a Uint8Array');
  const size = buf.length;
  let o = 0;

  need(buf, 0, 1, 'magic');
  const lead = buf[0]!;
  if (size >= 2 && lead === LEGACY_V1_MAGIC[0] && buf[1] === LEGACY_V1_MAGIC[1]) {
    throw new FrameError(
      FrameErrorCode.UNSUPPORTED_VERSION,
      'version',
      `a version 1 ("CV") frame, expected version ${FRAME_VERSION} or ${FRAME_VERSION_V2}`,
      { offset: 0 },
    );
  }
  if (lead >>> 4 !== FRAME_MAGIC) {
    throw new FrameError(FrameErrorCode.BAD_MAGIC, 'magic', 'not a Cleave feature frame', { offset: 0 });
  }
  const version = lead & 0x0f;
  if (version !== FRAME_VERSION && version !== FRAME_VERSION_V2) {
    throw new FrameError(
      FrameErrorCode.UNSUPPORTED_VERSION,
      'version',
      `version ${version}, expected ${FRAME_VERSION} or ${FRAME_VERSION_V2}`,
      { offset: 0 },
    );
  }

  need(buf, 1, 1, 'codecId');
  const format = buf[1]!;
  const codecId = format >>> 5;
  if (!SUPPORTED_CODEC_IDS.has(codecId)) {
    throw new FrameError(FrameErrorCode.UNKNOWN_CODEC, 'codecId', `codec ${codecId} is unknown`, {
      offset: 1,
    });
  }
  // 3 bits of bits-1 and 2 bits of rank-1: every value is in range, nothing to refuse, except
  // that a float32 frame (codec 3) must hold all ones there; its values are 32-bit floats.
  let bits = ((format >>> 2) & 0x07) + 1;
  if (codecId === CodecIds.FLOAT32) {
    if (bits !== MAX_BITS)
      throw bad('bits', 1, `a float32 frame (codec 3) must hold ${MAX_BITS} in the bits field, got ${bits}`);
    bits = FLOAT32_BITS;
  }
  const rank = (format & 0x03) + 1;

  const fingerprintAt = 2;
  need(buf, fingerprintAt, HEAD_FINGERPRINT_BYTES, 'headFingerprint');

  o = fingerprintAt + HEAD_FINGERPRINT_BYTES;
  const shapeAt = o;
  let elementCount = 1;
  /** Version 3: the bundle's shape, looked up by fingerprint (a reference, not a copy). */
  let known: readonly number[] | undefined;
  if (version === FRAME_VERSION_V2) {
    for (let k = 0; k < rank; k++) {
      const at = o;
      const d = readVarint(buf, o, MAX_DIM_VARINT_BYTES, 'shape', FrameErrorCode.BAD_FIELD);
      o = varintEnd;
      if (d < 1 || d > MAX_DIM) throw bad('shape', at, `dim ${k} must be 1..${MAX_DIM}, got ${d}`);
      elementCount *= d;
    }
  } else {
    const f = fingerprintAt;
    const fingerprint = ((buf[f]! << 24) | (buf[f + 1]! << 16) | (buf[f + 2]! << 8) | buf[f + 3]!) >>> 0;
    known = shapeOf?.(fingerprint);
    if (known === undefined) {
      throw bad(
        'shape',
        f,
        'a version 3 frame takes its shape from the bundle of its head, which is not known here',
      );
    }
    if (known.length !== rank) {
      throw bad('rank', 1, `the frame says rank ${rank}, the bundle of its head has rank ${known.length}`);
    }
    for (const d of known) elementCount *= d;
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

  const lengthAt = o;
  const payloadLength = readVarint(
    buf,
    o,
    MAX_LENGTH_VARINT_BYTES,
    'payloadLength',
    FrameErrorCode.TOO_LARGE,
  );
  o = varintEnd;
  const payloadAt = o;
  checkPayloadLength(codecId, elementCount, bits, payloadLength, lengthAt);
  need(buf, payloadAt, payloadLength, 'payload');
  const crcAt = payloadAt + payloadLength;
  need(buf, crcAt, CRC_BYTES, 'crc32c');
  const end = crcAt + CRC_BYTES;
  if (size > end) throw bad('trailingBytes', end, `${size - end} bytes after the CRC`);

  if (codecId === CodecIds.BITPACK) {
    // One packing per code sequence: the unused high bits of the last byte must be zero.
    const usedBits = (elementCount * bits) % 8;
    if (usedBits !== 0 && buf[crcAt - 1]! >>> usedBits !== 0) {
      throw bad('payload', crcAt - 1, 'padding bits of the last byte must be zero');
    }
  } else if (codecId !== CodecIds.FLOAT32) {
    // Every rANS encoder ends in [RANS_L, 2^31): anything else cannot be a stream.
    const state =
      (buf[payloadAt]! |
        (buf[payloadAt + 1]! << 8) |
        (buf[payloadAt + 2]! << 16) |
        (buf[payloadAt + 3]! << 24)) >>>
      0;
    if (state < RANS_L || state > RANS_STATE_MAX) {
      throw bad('payload', payloadAt, `rANS state 0x${state.toString(16)} outside [2^23, 2^31)`);
    }
  }

  const expectedCrc =
    (buf[crcAt]! | (buf[crcAt + 1]! << 8) | (buf[crcAt + 2]! << 16) | (buf[crcAt + 3]! << 24)) >>> 0;
  const actualCrc = crc32c(buf.subarray(0, crcAt));
  if (actualCrc !== expectedCrc) {
    throw new FrameError(
      FrameErrorCode.CRC_MISMATCH,
      'crc32c',
      `frame says 0x${expectedCrc.toString(16).padStart(8, '0')}, bytes give 0x${actualCrc.toString(16).padStart(8, '0')}`,
      { offset: crcAt },
    );
  }

  // Everything is valid: only now build the shape, the fingerprint and the payload view.
  let shape: readonly number[];
  if (known) shape = known;
  else {
    const dims: number[] = [];
    o = shapeAt;
    for (let k = 0; k < rank; k++) {
      dims.push(readVarint(buf, o, MAX_DIM_VARINT_BYTES, 'shape', FrameErrorCode.BAD_FIELD));
      o = varintEnd;
    }
    shape = dims;
  }
  const f = fingerprintAt;
  return {
    version: version as FrameVersion,
    codecId: codecId as CodecId,
    bits,
    headFingerprint: fingerprintHex(buf, f),
    shape,
    elementCount,
    payload: buf.subarray(payloadAt, crcAt),
    byteLength: end,
    headerBytes: payloadAt,
    overheadBytes: payloadAt + CRC_BYTES,
  };
}
