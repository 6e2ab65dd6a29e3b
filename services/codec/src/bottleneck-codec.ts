import { decodeFrame } from './decode-frame.js';
import { encodeFrame } from './encode-frame.js';
import { FrameMismatchCode, FrameMismatchError } from './errors.js';
import { checkFloat32Count, decodeFloat32Payload, encodeFloat32Payload } from './float32-payload.js';
import {
  CodecId,
  checkShape,
  type FeatureFrame,
  FLOAT32_BITS,
  type FrameShapeOf,
  fingerprintNumber,
  headFingerprintOf,
} from './frame-format.js';
import { createPayloadCoder } from './payload-coder.js';
import {
  dequantize,
  dequantizedLevels,
  quantize,
  type ResolvedQuantSpec,
  resolveQuantSpec,
} from './quantize.js';
import type { EntropyTablesSpec } from './rans-tables.js';

export interface BottleneckCodecOptions {
  /** Name and version of the bundle; kept for callers (frames carry only the head fingerprint). */
  modelName: string;
  modelVersion: string;
  /** sha256 of the head ONNX file (64 hex characters), from the bundle manifest. */
  headSha256: string;
  /** Bits per code, 1..8; or FLOAT32_BITS (32): lossless float32 frames (codec 3), no quantisation. */
  bits: number;
  /** Shape of one sample, channel first. */
  shape: readonly number[];
  /** Per-channel (length C) or per-tensor (length 1) range, from the bundle manifest (unused at 32 bits). */
  min: readonly number[];
  max: readonly number[];
  /**
   * The manifest's bottleneck.entropy: frames are rANS-coded with these tables (codec 1).
   * Without it the codec uses the adaptive model (codec 2). Either way a frame falls back to
   * bit-packing (codec 0) when that is smaller.
   */
  entropy?: EntropyTablesSpec | undefined;
}

export interface DecodedFeatures {
  frame: FeatureFrame;
  /** Dequantised features, shape `frame.shape`. */
  features: Float32Array;
}

/** Encodes one model's bottleneck into frames and back, refusing frames from other heads. */
export interface BottleneckCodec {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly headSha256: string;
  /** 8 hex characters: what frames from this head carry (FeatureFrame.headFingerprint). */
  readonly headFingerprint: string;
  readonly bits: number;
  readonly shape: readonly number[];
  /** Elements per sample. */
  readonly elementCount: number;
  /** The codec id of entropy-coded frames: 1 (static tables) or 2 (adaptive); 3 for float32 frames. */
  readonly entropyCodecId: CodecId;
  /** Quantises, entropy-codes (or packs, if smaller) and frames one sample. */
  encode(features: Float32Array): Uint8Array;
  /** Validates a frame (FrameError), checks it pairs with this codec (FrameMismatchError), dequantises. */
  decode(frame: Uint8Array, out?: Float32Array): DecodedFeatures;
  /** decodeFrame with this codec's shape for version 3 frames; a frame of another head is HEAD_MISMATCH. */
  parse(frame: Uint8Array): FeatureFrame;
  /** The shape of this codec's head, for decodeFrame (undefined for any other head). */
  readonly shapeOf: FrameShapeOf;
  /** Like decode, for a frame already parsed with decodeFrame (e.g. to route it by fingerprint). */
  decodeFeatures(frame: FeatureFrame, out?: Float32Array): Float32Array;
  /** Throws FrameMismatchError unless the frame was made for this codec. */
  assertPairs(frame: FeatureFrame): void;
}

/**
 * Builds the codec for one bundle's bottleneck. Invalid options throw FrameError (frame fields)
 * or RangeError (quantisation ranges, entropy tables).
 */
export function createBottleneckCodec(options: BottleneckCodecOptions): BottleneckCodec {
  if (options.bits === FLOAT32_BITS) return createFloat32Codec(options);
  const { modelName, modelVersion, headSha256, bits } = options;
  const headFingerprint = headFingerprintOf(headSha256);
  const coder = createPayloadCoder({ bits, shape: options.shape, entropy: options.entropy });
  const shape = Object.freeze([...options.shape]);
  const { elementCount } = coder;
  const { shapeOf, ownShape } = shapeLookups(headFingerprint, shape);
  const spec: ResolvedQuantSpec = resolveQuantSpec({ bits, shape, min: options.min, max: options.max });
  // Scratch codes: encode and decode are synchronous, so one buffer serves both.
  const codes = new Uint8Array(elementCount);
  // Codec 1 frames (the usual ones) decode straight to these values, with no pass over codes.
  const levels = dequantizedLevels(spec, shape[0]!);
  const assertPairs = pairCheck(headFingerprint, bits, shape, (frame) => {
    if (frame.codecId === CodecId.FLOAT32) {
      throw new FrameMismatchError(
        FrameMismatchCode.CODEC_MISMATCH,
        `codes of ${bits} bits`,
        'codec 3 (float32)',
      );
    }
    if (frame.codecId === CodecId.RANS_STATIC && coder.entropyCodecId !== CodecId.RANS_STATIC) {
      throw new FrameMismatchError(
        FrameMismatchCode.CODEC_MISMATCH,
        'codec 0 or 2 (this bundle has no entropy tables)',
        'codec 1',
      );
    }
  });

  function decodeFeatures(frame: FeatureFrame, out?: Float32Array): Float32Array {
    assertPairs(frame);
    if (frame.codecId !== CodecId.RANS_STATIC) {
      return dequantize(coder.decode(frame.codecId, frame.payload, codes), spec, out);
    }
    return coder.decodeStaticTo(frame.payload, levels, out ?? new Float32Array(elementCount));
  }

  return {
    modelName,
    modelVersion,
    headSha256: headSha256.toLowerCase(),
    headFingerprint,
    bits,
    shape,
    elementCount,
    entropyCodecId: coder.entropyCodecId,
    encode(features) {
      const { codecId, payload } = coder.encode(quantize(features, spec, codes));
      return encodeFrame({ headFingerprint, shape, bits, codecId, payload });
    },
    decode(bytes, out) {
      const frame = decodeFrame(bytes, ownShape);
      return { frame, features: decodeFeatures(frame, out) };
    },
    parse: (bytes) => decodeFrame(bytes, ownShape),
    shapeOf,
    decodeFeatures,
    assertPairs,
  };
}

/** A FrameShapeOf for one head, and a stricter one that calls any other head a HEAD_MISMATCH. */
function shapeLookups(
  headFingerprint: string,
  shape: readonly number[],
): { shapeOf: FrameShapeOf; ownShape: FrameShapeOf } {
  const mine = fingerprintNumber(headFingerprint);
  return {
    shapeOf: (fp) => (fp === mine ? shape : undefined),
    ownShape: (fp) => {
      if (fp === mine) return shape;
      throw new FrameMismatchError(
        FrameMismatchCode.HEAD_MISMATCH,
        headFingerprint,
        fp.toString(16).padStart(8, '0'),
      );
    },
  };
}

/** Checks identity first, then layout (a wrong head is the more useful message), then the codec. */
function pairCheck(
  headFingerprint: string,
  bits: number,
  shape: readonly number[],
  codecCheck: (frame: FeatureFrame) => void,
): (frame: FeatureFrame) => void {
  const shapeText = shape.join('x');
  return (frame) => {
    if (frame.headFingerprint !== headFingerprint) {
      throw new FrameMismatchError(FrameMismatchCode.HEAD_MISMATCH, headFingerprint, frame.headFingerprint);
    }
    if (frame.bits !== bits) {
      throw new FrameMismatchError(FrameMismatchCode.BITS_MISMATCH, `${bits} bits`, `${frame.bits} bits`);
    }
    // A version 3 frame's shape is the bundle's own array (shapeOf): the same object, no walk.
    const same =
      frame.shape === shape ||
      (frame.shape.length === shape.length && frame.shape.every((d, i) => d === shape[i]));
    if (!same) {
      throw new FrameMismatchError(FrameMismatchCode.SHAPE_MISMATCH, shapeText, frame.shape.join('x'));
    }
    codecCheck(frame);
  };
}

/** Bits 32: the features travel as float32 (codec 3), bit for bit. */
function createFloat32Codec(options: BottleneckCodecOptions): BottleneckCodec {
  const { modelName, modelVersion, headSha256 } = options;
  const headFingerprint = headFingerprintOf(headSha256);
  const shape = Object.freeze([...options.shape]);
  const elementCount = checkShape(shape);
  checkFloat32Count(elementCount);
  const scratch = new Uint8Array(elementCount * 4);
  const { shapeOf, ownShape } = shapeLookups(headFingerprint, shape);
  const assertPairs = pairCheck(headFingerprint, FLOAT32_BITS, shape, () => undefined);
  function decodeFeatures(frame: FeatureFrame, out?: Float32Array): Float32Array {
    assertPairs(frame);
    return decodeFloat32Payload(frame.payload, out ?? new Float32Array(elementCount));
  }
  return {
    modelName,
    modelVersion,
    headSha256: headSha256.toLowerCase(),
    headFingerprint,
    bits: FLOAT32_BITS,
    shape,
    elementCount,
    entropyCodecId: CodecId.FLOAT32,
    encode(features) {
      const payload = encodeFloat32Payload(features, scratch);
      return encodeFrame({
        headFingerprint,
        shape,
        bits: FLOAT32_BITS,
        codecId: CodecId.FLOAT32,
        payload,
      });
    },
    decode(bytes, out) {
      const frame = decodeFrame(bytes, ownShape);
      return { frame, features: decodeFeatures(frame, out) };
    },
    parse: (bytes) => decodeFrame(bytes, ownShape),
    shapeOf,
    decodeFeatures,
    assertPairs,
  };
}
