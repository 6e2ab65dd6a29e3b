import { packedByteLength } from './bit-pack.js';
import { crc32c } from './crc32c.js';
import { FrameError, FrameErrorCode } from './errors.js';
import {
  CodecId,
  CRC_BYTES,
  checkBits,
  checkModelName,
  checkModelVersion,
  checkShape,
  FRAME_MAGIC,
  FRAME_VERSION,
  frameHeaderByteLength,
  headFingerprintOf,
  MAX_PAYLOAD_BYTES,
  SUPPORTED_CODEC_IDS,
} from './frame-format.js';

export interface FrameFields {
  modelName: string;
  modelVersion: string;
  /** sha256 of the head ONNX file, 64 hex characters; the frame carries its first 8 bytes. */
  headSha256: string;
  /** Shape of one sample, channel first. */
  shape: readonly number[];
  bits: number;
  /** Defaults to CodecId.BITPACK. */
  codecId?: CodecId;
  /** Encoded codes; for BITPACK exactly ceil(count * bits / 8) bytes (see packBits). */
  payload: Uint8Array;
}

/**
 * Serialises a feature frame (docs/wire-format.md). Applies the same checks as decodeFrame, so
 * every frame it returns decodes; a bad field throws FrameError naming it.
 */
export function encodeFrame(fields: FrameFields): Uint8Array {
  const { modelName, modelVersion, shape, bits, payload } = fields;
  const codecId = fields.codecId ?? CodecId.BITPACK;
  if (!SUPPORTED_CODEC_IDS.has(codecId)) {
    throw new FrameError(FrameErrorCode.UNKNOWN_CODEC, 'codecId', `codec ${codecId} is not supported`);
  }
  checkBits(bits);
  const fingerprint = headFingerprintOf(fields.headSha256);
  checkModelName(modelName);
  checkModelVersion(modelVersion);
  const count = checkShape(shape);
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new FrameError(
      FrameErrorCode.TOO_LARGE,
      'payloadLength',
      `${payload.length} bytes exceed ${MAX_PAYLOAD_BYTES}`,
    );
  }
  if (codecId === CodecId.BITPACK) {
    const expected = packedByteLength(count, bits);
    if (payload.length !== expected) {
      throw new FrameError(
        FrameErrorCode.BAD_FIELD,
        'payloadLength',
        `need ${expected} bytes, got ${payload.length}`,
      );
    }
    const usedBits = (count * bits) % 8;
    if (usedBits !== 0 && payload[payload.length - 1]! >>> usedBits !== 0) {
      throw new FrameError(FrameErrorCode.BAD_FIELD, 'payload', 'padding bits of the last byte must be zero');
    }
  }

  const headerBytes = frameHeaderByteLength(modelName.length, modelVersion.length, shape.length);
  const out = new Uint8Array(headerBytes + payload.length + CRC_BYTES);
  const view = new DataView(out.buffer);
  let o = 0;
  out[o++] = FRAME_MAGIC[0];
  out[o++] = FRAME_MAGIC[1];
  out[o++] = FRAME_VERSION;
  out[o++] = codecId;
  out[o++] = bits;
  for (let i = 0; i < fingerprint.length; i += 2) out[o++] = Number.parseInt(fingerprint.slice(i, i + 2), 16);
  // Names are ASCII (checked above), so one character is one byte.
  out[o++] = modelName.length;
  for (let i = 0; i < modelName.length; i++) out[o++] = modelName.charCodeAt(i);
  out[o++] = modelVersion.length;
  for (let i = 0; i < modelVersion.length; i++) out[o++] = modelVersion.charCodeAt(i);
  out[o++] = shape.length;
  for (const d of shape) {
    view.setUint16(o, d, true);
    o += 2;
  }
  view.setUint32(o, payload.length, true);
  o += 4;
  out.set(payload, o);
  o += payload.length;
  view.setUint32(o, crc32c(out.subarray(0, o)), true);
  return out;
}
