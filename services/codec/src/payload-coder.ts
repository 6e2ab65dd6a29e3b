// Codes ⇄ frame payload for one bottleneck layout: entropy-coded (codec 1 with the bundle's
// tables, codec 2 adaptive without) or bit-packed (codec 0), whichever is smaller.
import { ADAPTIVE_PRECISION_BITS, type AdaptiveCoder, createAdaptiveCoder } from './adaptive-model.js';
import { packBits, packedByteLength, unpackBits } from './bit-pack.js';
import { FrameMismatchCode, FrameMismatchError } from './errors.js';
import { CodecId, checkBits, checkShape, type FeatureFrame, RANS_STATE_BYTES } from './frame-format.js';
import { type RansTables, ransDecodeStatic, ransEncodeStatic } from './rans.js';
import { buildRansTables, type EntropyTablesSpec } from './rans-tables.js';

export interface PayloadCoderOptions {
  bits: number;
  /** Shape of one sample, channel first; the tables are per channel of the first dim. */
  shape: readonly number[];
  /** The bundle's static tables. Without them the coder uses the adaptive model (codec 2). */
  entropy?: EntropyTablesSpec | undefined;
}

export interface EncodedPayload {
  codecId: CodecId;
  /** A view into the coder's scratch buffer: valid until its next encode. */
  payload: Uint8Array;
}

export interface PayloadCoder {
  /** RANS_STATIC with tables, RANS_ADAPTIVE without. */
  readonly entropyCodecId: CodecId;
  readonly elementCount: number;
  /** Bytes of the bit-packed codes: no payload is ever larger. */
  readonly packedBytes: number;
  /** The smaller of the entropy-coded and the bit-packed codes; a tie goes to bit-packing. */
  encode(codes: Uint8Array): EncodedPayload;
  /** Only the entropy-coded stream, or undefined when it is not smaller than bit-packing. */
  encodeEntropy(codes: Uint8Array): Uint8Array | undefined;
  /**
   * Length of the entropy-coded stream even when bit-packing is smaller: for rate measurements
   * (e.g. against the Python coder's mean), never for the wire.
   */
  entropyCodedBytes(codes: Uint8Array): number;
  /**
   * Decodes a payload of any codec into `out` (length elementCount). Throws FrameError if the
   * stream is corrupt, FrameMismatchError for codec 1 without tables.
   */
  decode(codecId: CodecId, payload: Uint8Array, out: Uint8Array): Uint8Array;
  /**
   * Decodes a codec 1 payload straight into values: code q of channel c is written as
   * levels[c * 2^bits + q] (dequantised features, with no pass over codes). FrameError as decode;
   * FrameMismatchError without tables.
   */
  decodeStaticTo(payload: Uint8Array, levels: Float32Array, out: Float32Array): Float32Array;
}

/** Invalid options throw FrameError (bits, shape) or RangeError (tables). */
export function createPayloadCoder(options: PayloadCoderOptions): PayloadCoder {
  const { bits } = options;
  checkBits(bits);
  const elementCount = checkShape(options.shape);
  const channels = options.shape[0]!;
  const channelStride = elementCount / channels;
  const packedBytes = packedByteLength(elementCount, bits);
  const tables: RansTables | undefined =
    options.entropy === undefined ? undefined : buildRansTables(options.entropy, bits, channels);
  // Codec 2 frames are accepted whatever the bundle, so its model state exists from the start:
  // decoding a frame never allocates (frame-fuzz.test.ts checks).
  const adaptive: AdaptiveCoder = createAdaptiveCoder(bits, channels, channelStride);
  // An entropy-coded payload is sent only when strictly smaller than packing.
  const scratch = new Uint8Array(Math.max(packedBytes - 1, 0));
  const maxCode = (1 << bits) - 1;
  const staticTables = (): RansTables => {
    if (tables === undefined) {
      throw new FrameMismatchError(
        FrameMismatchCode.CODEC_MISMATCH,
        'codec 0 or 2 (this bundle has no entropy tables)',
        'codec 1',
      );
    }
    return tables;
  };

  function entropyCode(codes: Uint8Array, out: Uint8Array): number {
    if (codes.length !== elementCount) {
      throw new RangeError(`codes hold ${codes.length} values, the shape needs ${elementCount}`);
    }
    for (let i = 0; i < elementCount; i++) {
      if (codes[i]! > maxCode) throw new RangeError(`code ${codes[i]} at index ${i} exceeds ${maxCode}`);
    }
    if (out.length < RANS_STATE_BYTES) return -1;
    return tables === undefined
      ? adaptive.encode(codes, out)
      : ransEncodeStatic(codes, channelStride, tables, out);
  }

  function encodeEntropy(codes: Uint8Array): Uint8Array | undefined {
    const start = entropyCode(codes, scratch);
    return start < 0 ? undefined : scratch.subarray(start);
  }

  let measureScratch: Uint8Array | undefined;
  function entropyCodedBytes(codes: Uint8Array): number {
    // A symbol costs at most `precision` bits per rANS step (every frequency is >= 1).
    const steps = tables === undefined ? elementCount * bits : elementCount;
    const precision = tables === undefined ? ADAPTIVE_PRECISION_BITS : tables.precisionBits;
    measureScratch ??= new Uint8Array(Math.ceil((steps * precision) / 8) + 2 * RANS_STATE_BYTES);
    const start = entropyCode(codes, measureScratch);
    if (start < 0) throw new Error('entropy-coded stream exceeded its worst-case bound');
    return measureScratch.length - start;
  }

  return {
    entropyCodecId: tables === undefined ? CodecId.RANS_ADAPTIVE : CodecId.RANS_STATIC,
    elementCount,
    packedBytes,
    encodeEntropy,
    entropyCodedBytes,
    encode(codes) {
      const coded = encodeEntropy(codes);
      if (coded !== undefined) {
        return {
          codecId: tables === undefined ? CodecId.RANS_ADAPTIVE : CodecId.RANS_STATIC,
          payload: coded,
        };
      }
      return { codecId: CodecId.BITPACK, payload: packBits(codes, bits) };
    },
    decode(codecId, payload, out) {
      if (out.length !== elementCount) {
        throw new RangeError(`out holds ${out.length} codes, the shape needs ${elementCount}`);
      }
      switch (codecId) {
        case CodecId.BITPACK:
          return unpackBits(payload, bits, elementCount, out);
        case CodecId.RANS_STATIC:
          return ransDecodeStatic(payload, channelStride, staticTables(), out);
        case CodecId.RANS_ADAPTIVE:
          return adaptive.decode(payload, out);
        case CodecId.FLOAT32:
          throw new FrameMismatchError(
            FrameMismatchCode.CODEC_MISMATCH,
            `codes of ${bits} bits`,
            'float32 values',
          );
      }
    },
    decodeStaticTo(payload, levels, out) {
      if (out.length !== elementCount) {
        throw new RangeError(`out holds ${out.length} values, the shape needs ${elementCount}`);
      }
      if (levels.length !== channels << bits) {
        throw new RangeError(
          `levels hold ${levels.length} values, ${channels} channels need ${channels << bits}`,
        );
      }
      return ransDecodeStatic(payload, channelStride, staticTables(), out, levels);
    },
  };
}

/**
 * The codes of a parsed frame, for callers that hold no BottleneckCodec. Pass the bundle's
 * tables for codec 1. Builds a coder per call: hot paths should keep a BottleneckCodec instead.
 */
export function decodeCodes(frame: FeatureFrame, entropy?: EntropyTablesSpec, out?: Uint8Array): Uint8Array {
  if (frame.codecId === CodecId.FLOAT32) {
    throw new FrameMismatchError(
      FrameMismatchCode.CODEC_MISMATCH,
      'a frame of codes',
      'float32 values (codec 3)',
    );
  }
  let coder: PayloadCoder;
  try {
    coder = createPayloadCoder({
      bits: frame.bits,
      shape: frame.shape,
      entropy: frame.codecId === CodecId.RANS_STATIC ? entropy : undefined,
    });
  } catch (err) {
    // Tables that do not fit the frame's layout: the frame is for another bundle.
    if (!(err instanceof RangeError)) throw err;
    throw new FrameMismatchError(FrameMismatchCode.CODEC_MISMATCH, 'tables that fit the frame', err.message);
  }
  return coder.decode(frame.codecId, frame.payload, out ?? new Uint8Array(frame.elementCount));
}
