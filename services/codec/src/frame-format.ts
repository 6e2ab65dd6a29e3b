// Constants and shared checks of feature frames, versions 3 (written) and 2 (still read).
// docs/wire-format.md is the byte-level description; change both together and raise
// FRAME_VERSION when the layout changes.
import { packedByteLength } from './bit-pack.js';
import { FrameError, FrameErrorCode } from './errors.js';

/** High nibble of byte 0; the low nibble is the frame version. */
export const FRAME_MAGIC = 0xc;
/** The version encodeFrame writes: the shape comes from the bundle the fingerprint names. */
export const FRAME_VERSION = 3;
/** The previous version, which carries its shape; decoded still, so new servers serve old agents. */
export const FRAME_VERSION_V2 = 2;
export type FrameVersion = typeof FRAME_VERSION | typeof FRAME_VERSION_V2;
/** Byte 0 of every frame of the current version. */
export const FRAME_LEAD_BYTE = (FRAME_MAGIC << 4) | FRAME_VERSION;
/**
 * Where a version 3 frame's shape comes from: its head fingerprint (the first 4 bytes of the head
 * sha256, as a big-endian u32, so that nothing is allocated to look it up) → the shape of that
 * head's bottleneck, or undefined when the head is unknown. It may throw its own error instead.
 */
export type FrameShapeOf = (fingerprint: number) => readonly number[] | undefined;

/** The big-endian u32 of an 8-hex-character fingerprint (what a FrameShapeOf is given). */
export const fingerprintNumber = (headFingerprint: string): number =>
  Number.parseInt(headFingerprint, 16) >>> 0;
/** Version 1 frames began with "CV"; recognised only to refuse them as UNSUPPORTED_VERSION. */
export const LEGACY_V1_MAGIC = [0x43, 0x56] as const;

/** How the payload encodes the codes. */
export const CodecId = {
  /** Uniform codes, bit-packed LSB-first (bit-pack.ts). */
  BITPACK: 0,
  /** rANS with the bundle manifest's static per-channel frequency tables (rans.ts). */
  RANS_STATIC: 1,
  /** rANS with the adaptive binary-tree model, no tables needed (adaptive-model.ts). */
  RANS_ADAPTIVE: 2,
  /** No quantisation: the features as little-endian IEEE-754 float32, 4 bytes each (lossless). */
  FLOAT32: 3,
} as const;
export type CodecId = (typeof CodecId)[keyof typeof CodecId];

/** Codec ids this build can decode; others are refused with UNKNOWN_CODEC. */
export const SUPPORTED_CODEC_IDS: ReadonlySet<number> = new Set<number>(Object.values(CodecId));
/** The codec id field is 3 bits wide. */
export const MAX_CODEC_ID = 7;

export const MIN_BITS = 1;
export const MAX_BITS = 8;
/**
 * The `bits` of a FLOAT32 frame (codec 3). Its 3-bit field holds all ones (as for 8 bits); the
 * codec id says the values are 32-bit floats, not codes.
 */
export const FLOAT32_BITS = 32;
export const MAX_RANK = 4;
export const MAX_DIM = 4096;
/** Elements per frame, whatever the shape: bounds the decoder's allocations and loops. */
export const MAX_ELEMENTS = 1 << 20;
/** Payload bytes per frame: enough for MAX_ELEMENTS codes of 8 bits (or 2^18 float32 values). */
export const MAX_PAYLOAD_BYTES = MAX_ELEMENTS;
/** The first 4 bytes of the head ONNX file's sha256. */
export const HEAD_FINGERPRINT_BYTES = 4;
export const CRC_BYTES = 4;
/** An rANS payload starts with the coder's 32-bit final state. */
export const RANS_STATE_BYTES = 4;
/** Varint widths: 4096 fits in 2 bytes of LEB128, 2^20 in 3. */
export const MAX_DIM_VARINT_BYTES = 2;
export const MAX_LENGTH_VARINT_BYTES = 3;

/** A parsed feature frame. `payload` is a view into the decoded buffer, not a copy. */
export interface FeatureFrame {
  readonly version: FrameVersion;
  readonly codecId: CodecId;
  /** Bits per code (1..8); FLOAT32_BITS (32) for a float32 frame (codec 3). */
  readonly bits: number;
  /** First 4 bytes of the head ONNX sha256, as 8 lower-case hex characters. Route on this. */
  readonly headFingerprint: string;
  /** Shape of one sample, channel first: carried by a v2 frame, the bundle's for a v3 frame. */
  readonly shape: readonly number[];
  /** Product of shape. */
  readonly elementCount: number;
  readonly payload: Uint8Array;
  /** Size of the whole frame on the wire, first byte to CRC. */
  readonly byteLength: number;
  /** Bytes before the payload. */
  readonly headerBytes: number;
  /** Every byte that is not payload: headerBytes plus the 4-byte CRC trailer. */
  readonly overheadBytes: number;
}

/** Bits of codes (1..8); with codecId FLOAT32, exactly FLOAT32_BITS. */
export function checkBits(bits: number, codecId?: number): void {
  if (codecId === CodecId.FLOAT32) {
    if (bits !== FLOAT32_BITS) {
      throw new FrameError(
        FrameErrorCode.BAD_FIELD,
        'bits',
        `codec ${CodecId.FLOAT32} (float32) goes with bits ${FLOAT32_BITS}, got ${bits}`,
      );
    }
    return;
  }
  if (!Number.isInteger(bits) || bits < MIN_BITS || bits > MAX_BITS) {
    throw new FrameError(FrameErrorCode.BAD_FIELD, 'bits', `must be ${MIN_BITS}..${MAX_BITS}, got ${bits}`);
  }
}

/** Checks rank and dims and returns the element count. */
export function checkShape(shape: readonly number[]): number {
  if (shape.length < 1 || shape.length > MAX_RANK) {
    throw new FrameError(FrameErrorCode.BAD_FIELD, 'rank', `must be 1..${MAX_RANK}, got ${shape.length}`);
  }
  let count = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1 || d > MAX_DIM) {
      throw new FrameError(FrameErrorCode.BAD_FIELD, 'shape', `dims must be 1..${MAX_DIM}, got [${shape}]`);
    }
    count *= d;
  }
  if (count > MAX_ELEMENTS) {
    throw new FrameError(FrameErrorCode.TOO_LARGE, 'shape', `${count} elements exceed ${MAX_ELEMENTS}`);
  }
  return count;
}

/** Throws FrameError unless `payloadLength` is allowed for this codec and shape (same rule as decodeFrame). */
export function checkPayloadLength(
  codecId: number,
  count: number,
  bits: number,
  payloadLength: number,
  offset?: number,
): void {
  if (payloadLength > MAX_PAYLOAD_BYTES) {
    throw new FrameError(
      FrameErrorCode.TOO_LARGE,
      'payloadLength',
      `${payloadLength} bytes exceed ${MAX_PAYLOAD_BYTES}`,
      { offset },
    );
  }
  if (codecId === CodecId.FLOAT32) {
    if (payloadLength !== count * 4) {
      throw new FrameError(
        FrameErrorCode.BAD_FIELD,
        'payloadLength',
        `${count} float32 values need ${count * 4} bytes, got ${payloadLength}`,
        { offset },
      );
    }
    return;
  }
  const packed = packedByteLength(count, bits);
  if (codecId === CodecId.BITPACK) {
    if (payloadLength !== packed) {
      throw new FrameError(
        FrameErrorCode.BAD_FIELD,
        'payloadLength',
        `${count} codes of ${bits} bits need ${packed} bytes, got ${payloadLength}`,
        { offset },
      );
    }
  } else if (payloadLength < RANS_STATE_BYTES || payloadLength >= packed) {
    // An entropy-coded payload is only ever sent when it beats bit-packing.
    throw new FrameError(
      FrameErrorCode.BAD_FIELD,
      'payloadLength',
      `codec ${codecId} needs ${RANS_STATE_BYTES}..${packed - 1} bytes, got ${payloadLength}`,
      { offset },
    );
  }
}

/** The 8-hex-character fingerprint a frame carries for a head with this sha256. */
export function headFingerprintOf(headSha256: string): string {
  if (typeof headSha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(headSha256)) {
    throw new FrameError(FrameErrorCode.BAD_FIELD, 'headSha256', 'must be 64 hex characters');
  }
  return headSha256.slice(0, HEAD_FINGERPRINT_BYTES * 2).toLowerCase();
}

/** Bytes of `value` as an unsigned LEB128 varint. */
export function varintByteLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Bytes before the payload: lead byte, format byte, fingerprint, (v2: dims,) payload length. */
export function frameHeaderByteLength(
  shape: readonly number[],
  payloadBytes: number,
  version: FrameVersion = FRAME_VERSION,
): number {
  let n = 2 + HEAD_FINGERPRINT_BYTES + varintByteLength(payloadBytes);
  if (version === FRAME_VERSION_V2) for (const d of shape) n += varintByteLength(d);
  return n;
}

/** Frame bytes that are not payload, for this shape and payload size. */
export function frameOverheadBytes(
  shape: readonly number[],
  payloadBytes: number,
  version: FrameVersion = FRAME_VERSION,
): number {
  return frameHeaderByteLength(shape, payloadBytes, version) + CRC_BYTES;
}
