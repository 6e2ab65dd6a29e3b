import { packBits, unpackBits } from './bit-pack.js';
import { decodeFrame } from './decode-frame.js';
import { encodeFrame } from './encode-frame.js';
import { FrameMismatchCode, FrameMismatchError } from './errors.js';
import {
  CodecId,
  checkBits,
  checkModelName,
  checkModelVersion,
  checkShape,
  type FeatureFrame,
  headFingerprintOf,
} from './frame-format.js';
import { dequantize, quantize, type ResolvedQuantSpec, resolveQuantSpec } from './quantize.js';

export interface BottleneckCodecOptions {
  modelName: string;
  modelVersion: string;
  /** sha256 of the head ONNX file (64 hex characters), from the bundle manifest. */
  headSha256: string;
  bits: number;
  /** Shape of one sample, channel first. */
  shape: readonly number[];
  /** Per-channel (length C) or per-tensor (length 1) range, from the bundle manifest. */
  min: readonly number[];
  max: readonly number[];
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
  /** 16 hex characters: what frames from this head carry. */
  readonly headFingerprint: string;
  readonly bits: number;
  readonly shape: readonly number[];
  /** Elements per sample. */
  readonly elementCount: number;
  /** Quantises, packs and frames one sample. */
  encode(features: Float32Array): Uint8Array;
  /** Validates a frame (FrameError), checks it pairs with this codec (FrameMismatchError), dequantises. */
  decode(frame: Uint8Array, out?: Float32Array): DecodedFeatures;
  /** Like decode, for a frame already parsed with decodeFrame (e.g. to route it by model name). */
  decodeFeatures(frame: FeatureFrame, out?: Float32Array): Float32Array;
  /** Throws FrameMismatchError unless the frame was made for this codec. */
  assertPairs(frame: FeatureFrame): void;
}

/**
 * Builds the codec for one bundle's bottleneck. Invalid options throw FrameError (frame fields)
 * or RangeError (quantisation ranges).
 */
export function createBottleneckCodec(options: BottleneckCodecOptions): BottleneckCodec {
  const { modelName, modelVersion, headSha256, bits } = options;
  checkModelName(modelName);
  checkModelVersion(modelVersion);
  checkBits(bits);
  const headFingerprint = headFingerprintOf(headSha256);
  const shape = Object.freeze([...options.shape]);
  const elementCount = checkShape(shape);
  const spec: ResolvedQuantSpec = resolveQuantSpec({ bits, shape, min: options.min, max: options.max });
  const shapeText = shape.join('x');

  function assertPairs(frame: FeatureFrame): void {
    // Identity first, then layout: a wrong model is the more useful message.
    if (frame.modelName !== modelName) {
      throw new FrameMismatchError(FrameMismatchCode.MODEL_MISMATCH, modelName, frame.modelName);
    }
    if (frame.modelVersion !== modelVersion) {
      throw new FrameMismatchError(FrameMismatchCode.VERSION_MISMATCH, modelVersion, frame.modelVersion);
    }
    if (frame.headFingerprint !== headFingerprint) {
      throw new FrameMismatchError(FrameMismatchCode.HEAD_MISMATCH, headFingerprint, frame.headFingerprint);
    }
    if (frame.codecId !== CodecId.BITPACK) {
      throw new FrameMismatchError(
        FrameMismatchCode.CODEC_MISMATCH,
        `codec ${CodecId.BITPACK}`,
        `codec ${frame.codecId}`,
      );
    }
    if (frame.bits !== bits) {
      throw new FrameMismatchError(FrameMismatchCode.BITS_MISMATCH, `${bits} bits`, `${frame.bits} bits`);
    }
    const frameShape = frame.shape.join('x');
    if (frameShape !== shapeText) {
      throw new FrameMismatchError(FrameMismatchCode.SHAPE_MISMATCH, shapeText, frameShape);
    }
  }

  function decodeFeatures(frame: FeatureFrame, out?: Float32Array): Float32Array {
    assertPairs(frame);
    return dequantize(unpackBits(frame.payload, bits, elementCount), spec, out);
  }

  return {
    modelName,
    modelVersion,
    headSha256: headSha256.toLowerCase(),
    headFingerprint,
    bits,
    shape,
    elementCount,
    encode(features) {
      const payload = packBits(quantize(features, spec), bits);
      return encodeFrame({
        modelName,
        modelVersion,
        headSha256,
        shape,
        bits,
        codecId: CodecId.BITPACK,
        payload,
      });
    },
    decode(bytes, out) {
      const frame = decodeFrame(bytes);
      return { frame, features: decodeFeatures(frame, out) };
    },
    decodeFeatures,
    assertPairs,
  };
}
