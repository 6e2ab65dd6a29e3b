/** Why a feature frame was refused. The server maps every FrameError to INVALID_ARGUMENT. */
export const FrameErrorCode = {
  /** The buffer ends before the field does. */
  TRUNCATED: 'TRUNCATED',
  /** The high nibble of the first byte is not 0xC. */
  BAD_MAGIC: 'BAD_MAGIC',
  /** A frame version this decoder does not speak (including the legacy "CV" frames of version 1). */
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  /** A codec id that is unknown. */
  UNKNOWN_CODEC: 'UNKNOWN_CODEC',
  /** A field holds a value outside its constraints. */
  BAD_FIELD: 'BAD_FIELD',
  /** The element count or payload exceeds the explicit limits. */
  TOO_LARGE: 'TOO_LARGE',
  /** The CRC32C trailer does not match the bytes before it. */
  CRC_MISMATCH: 'CRC_MISMATCH',
} as const;
export type FrameErrorCode = (typeof FrameErrorCode)[keyof typeof FrameErrorCode];

/**
 * The frame field an error is about, in wire order. 'frame' is the buffer as a whole;
 * 'headSha256' occurs only when encoding. 'payload' also names a payload whose entropy-coded
 * stream does not decode (found by decodeCodes, after the frame itself was accepted).
 */
export type FrameField =
  | 'frame'
  | 'magic'
  | 'version'
  | 'codecId'
  | 'bits'
  | 'rank'
  | 'headFingerprint'
  | 'headSha256'
  | 'shape'
  | 'payloadLength'
  | 'payload'
  | 'crc32c'
  | 'trailingBytes';

export interface FrameErrorOptions {
  /** Byte offset in the frame where the offending field starts, when known. */
  offset?: number;
  cause?: unknown;
}

/** A feature frame that is malformed: its bytes cannot be trusted. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  readonly code: FrameErrorCode;
  readonly field: FrameField;
  readonly offset: number | undefined;

  constructor(code: FrameErrorCode, field: FrameField, message: string, options: FrameErrorOptions = {}) {
    super(`${field}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = field;
    this.offset = options.offset;
  }
}

/**
 * Why a well-formed frame does not fit the model it was sent to. The server maps every
 * FrameMismatchError to FAILED_PRECONDITION: the frame is valid, the pairing is not.
 */
export const FrameMismatchCode = {
  /** The frame was encoded by a head whose sha256 differs from the one this tail pairs with. */
  HEAD_MISMATCH: 'HEAD_MISMATCH',
  /** Codec 1 (static tables) sent to a codec built without the bundle's tables. */
  CODEC_MISMATCH: 'CODEC_MISMATCH',
  BITS_MISMATCH: 'BITS_MISMATCH',
  SHAPE_MISMATCH: 'SHAPE_MISMATCH',
} as const;
export type FrameMismatchCode = (typeof FrameMismatchCode)[keyof typeof FrameMismatchCode];

export class FrameMismatchError extends Error {
  override readonly name = 'FrameMismatchError';
  readonly code: FrameMismatchCode;
  /** What the codec expected, rendered as text (e.g. "8x7x7"). */
  readonly expected: string;
  /** What the frame carried. */
  readonly actual: string;

  constructor(code: FrameMismatchCode, expected: string, actual: string) {
    super(`${code}: frame has ${actual}, expected ${expected}`);
    this.code = code;
    this.expected = expected;
    this.actual = actual;
  }
}
