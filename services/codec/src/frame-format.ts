// Constants and shared checks of feature frame version 1. docs/wire-format.md is the
// byte-level description; change both together and raise FRAME_VERSION when the layout changes.
import { FrameError, FrameErrorCode } from './errors.js';

/** "CV": the first two bytes of every frame. */
export const FRAME_MAGIC = [0x43, 0x56] as const;
export const FRAME_VERSION = 1;

/** How the payload encodes the codes. */
export const CodecId = {
  /** Uniform codes, bit-packed LSB-first (bit-pack.ts). */
  BITPACK: 0,
  /** Reserved: static rANS with frequency tables from the bundle manifest. */
  RANS_STATIC: 1,
  /** Reserved: adaptive entropy coding. */
  RANS_ADAPTIVE: 2,
} as const;
export type CodecId = (typeof CodecId)[keyof typeof CodecId];

/** Codec ids this build can decode; others are refused with UNKNOWN_CODEC. */
export const SUPPORTED_CODEC_IDS: ReadonlySet<number> = new Set<number>([CodecId.BITPACK]);

export const MIN_BITS = 1;
export const MAX_BITS = 8;
export const HEAD_FINGERPRINT_BYTES = 8;
export const MAX_MODEL_NAME_BYTES = 64;
export const MAX_MODEL_VERSION_BYTES = 32;
export const MAX_RANK = 4;
export const MAX_DIM = 4096;
/** Elements per frame, whatever the shape: bounds the decoder's allocations. */
export const MAX_ELEMENTS = 1 << 20;
/** Payload bytes per frame: enough for MAX_ELEMENTS codes of 8 bits. */
export const MAX_PAYLOAD_BYTES = MAX_ELEMENTS;
export const CRC_BYTES = 4;

/** A decoded feature frame. `payload` is a view into the decoded buffer, not a copy. */
export interface FeatureFrame {
  readonly version: number;
  readonly codecId: CodecId;
  readonly bits: number;
  /** First 8 bytes of the head ONNX sha256, as 16 lower-case hex characters. */
  readonly headFingerprint: string;
  readonly modelName: string;
  readonly modelVersion: string;
  /** Shape of one sample, channel first. */
  readonly shape: readonly number[];
  /** Product of shape. */
  readonly elementCount: number;
  readonly payload: Uint8Array;
  /** Size of the whole frame on the wire, header to CRC. */
  readonly byteLength: number;
}

const NAME_CHAR = 1;
const VERSION_CHAR = 2;
const CHAR_CLASS = new Uint8Array(256);
for (const ch of 'abcdefghijklmnopqrstuvwxyz0123456789._-')
  CHAR_CLASS[ch.charCodeAt(0)] = NAME_CHAR | VERSION_CHAR;
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ+') CHAR_CLASS[ch.charCodeAt(0)] = VERSION_CHAR;

/** Model names: 1..64 bytes of [a-z0-9._-]. */
export function isModelNameByte(byte: number): boolean {
  return (CHAR_CLASS[byte]! & NAME_CHAR) !== 0;
}

/** Model versions: 1..32 bytes of [A-Za-z0-9._+-] (semver with build metadata fits). */
export function isModelVersionByte(byte: number): boolean {
  return (CHAR_CLASS[byte]! & VERSION_CHAR) !== 0;
}

function checkText(
  value: string,
  field: 'modelName' | 'modelVersion',
  maxBytes: number,
  isAllowed: (byte: number) => boolean,
): void {
  if (typeof value !== 'string' || value.length < 1 || value.length > maxBytes) {
    throw new FrameError(FrameErrorCode.BAD_FIELD, field, `must be 1..${maxBytes} characters`);
  }
  for (let i = 0; i < value.length; i++) {
    if (!isAllowed(value.charCodeAt(i))) {
      throw new FrameError(
        FrameErrorCode.BAD_FIELD,
        field,
        `character ${JSON.stringify(value[i])} not allowed`,
      );
    }
  }
}

export function checkModelName(name: string): void {
  checkText(name, 'modelName', MAX_MODEL_NAME_BYTES, isModelNameByte);
}

export function checkModelVersion(version: string): void {
  checkText(version, 'modelVersion', MAX_MODEL_VERSION_BYTES, isModelVersionByte);
}

export function checkBits(bits: number): void {
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

/** The 16-hex-character fingerprint a frame carries for a head with this sha256. */
export function headFingerprintOf(headSha256: string): string {
  if (typeof headSha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(headSha256)) {
    throw new FrameError(FrameErrorCode.BAD_FIELD, 'headSha256', 'must be 64 hex characters');
  }
  return headSha256.slice(0, HEAD_FINGERPRINT_BYTES * 2).toLowerCase();
}

/** Header bytes before the payload, for the given text lengths and rank. */
export function frameHeaderByteLength(nameBytes: number, versionBytes: number, rank: number): number {
  // magic 2, version 1, codec 1, bits 1, fingerprint 8, name 1+n, version 1+v, rank 1+2r, length 4
  return 2 + 1 + 1 + 1 + HEAD_FINGERPRINT_BYTES + 1 + nameBytes + 1 + versionBytes + 1 + 2 * rank + 4;
}
