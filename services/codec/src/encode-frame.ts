import { crc32c } from './crc32c.js';
import { FrameError, FrameErrorCode } from './errors.js';
import {
  CodecId,
  CRC_BYTES,
  checkBits,
  checkPayloadLength,
  checkShape,
  FRAME_MAGIC,
  FRAME_VERSION,
  FRAME_VERSION_V2,
  type FrameVersion,
  frameHeaderByteLength,
  headFingerprintOf,
  SUPPORTED_CODEC_IDS,
} from './frame-format.js';

export interface FrameFields {
  /** sha256 of the head ONNX file (64 hex characters); the frame carries its first 4 bytes. */
  headSha256?: string;
  /** Or those 4 bytes themselves as 8 hex characters, e.g. to re-encode a parsed frame. */
  headFingerprint?: string;
  /** Shape of one sample, channel first. */
  shape: readonly number[];
  bits: number;
  /** Defaults to CodecId.BITPACK. */
  codecId?: CodecId;
  /**
   * Encoded codes. BITPACK: exactly ceil(count * bits / 8) bytes (see packBits). RANS_*: at least
   * the 4 state bytes and fewer bytes than the packed codes would take. FLOAT32 (bits 32): the
   * values as little-endian float32, exactly count * 4 bytes.
   */
  payload: Uint8Array;
  /** Defaults to FRAME_VERSION (3, no dims: the bundle has the shape); 2 writes the dims too. */
  version?: FrameVersion;
}

/** The fingerprint the frame carries: from exactly one of headSha256 and headFingerprint. */
function fingerprintOf(fields: FrameFields): string {
  const { headSha256, headFingerprint } = fields;
  if (headFingerprint === undefined) return headFingerprintOf(headSha256 as string);
  if (headSha256 !== undefined)
    throw new FrameError(
      FrameErrorCode.BAD_FIELD,
      'headSha256',
      'give headSha256 or headFingerprint, not both',
    );
  if (typeof headFingerprint !== 'string' || !/^[0-9a-fA-F]{8}$/.test(headFingerprint))
    throw new FrameError(FrameErrorCode.BAD_FIELD, 'headFingerprint', 'must be 8 hex characters');
  return headFingerprint.toLowerCase();
}

/**
 * Serialises a feature frame, version 3 unless `version` says 2 (docs/wire-format.md). Applies the
 * same checks as decodeFrame, so every frame it returns decodes (a version 3 frame given its
 * shape); a bad field throws FrameError naming it.
 */
export function encodeFrame(fields: FrameFields): Uint8Array {
  const { shape, bits, payload } = fields;
  const codecId = fields.codecId ?? CodecId.BITPACK;
  if (!SUPPORTED_CODEC_IDS.has(codecId)) {
    throw new FrameError(FrameErrorCode.UNKNOWN_CODEC, 'codecId', `codec ${codecId} is not supported`);
  }
  checkBits(bits, codecId);
  const fingerprint = fingerprintOf(fields);
  const count = checkShape(shape);
  checkPayloadLength(codecId, count, bits, payload.length);
  if (codecId === CodecId.BITPACK) {
    const usedBits = (count * bits) % 8;
    if (usedBits !== 0 && payload[payload.length - 1]! >>> usedBits !== 0) {
      throw new FrameError(FrameErrorCode.BAD_FIELD, 'payload', 'padding bits of the last byte must be zero');
    }
  }

  const version = fields.version ?? FRAME_VERSION;
  if (version !== FRAME_VERSION && version !== FRAME_VERSION_V2) {
    throw new FrameError(FrameErrorCode.UNSUPPORTED_VERSION, 'version', `cannot write version ${version}`);
  }
  const headerBytes = frameHeaderByteLength(shape, payload.length, version);
  const out = new Uint8Array(headerBytes + payload.length + CRC_BYTES);
  let o = 0;
  out[o++] = (FRAME_MAGIC << 4) | version;
  // A float32 frame's bits field holds all ones (bits 8): its values are not codes.
  const bitsField = codecId === CodecId.FLOAT32 ? 7 : bits - 1;
  out[o++] = (codecId << 5) | (bitsField << 2) | (shape.length - 1);
  for (let i = 0; i < 8; i += 2) out[o++] = Number.parseInt(fingerprint.slice(i, i + 2), 16);
  if (version === FRAME_VERSION_V2) for (const d of shape) o = writeVarint(out, o, d);
  o = writeVarint(out, o, payload.length);
  out.set(payload, o);
  o += payload.length;
  const crc = crc32c(out.subarray(0, o));
  out[o] = crc & 0xff;
  out[o + 1] = (crc >>> 8) & 0xff;
  out[o + 2] = (crc >>> 16) & 0xff;
  out[o + 3] = crc >>> 24;
  return out;
}

/** Writes `value` (>= 0) as an unsigned LEB128 varint at `at`; returns the offset after it. */
function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}
