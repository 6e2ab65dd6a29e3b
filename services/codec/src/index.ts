export { assertBits, packBits, packedByteLength, unpackBits } from './bit-pack.js';
export {
  type BottleneckCodec,
  type BottleneckCodecOptions,
  createBottleneckCodec,
  type DecodedFeatures,
} from './bottleneck-codec.js';
export { crc32c } from './crc32c.js';
export { decodeFrame } from './decode-frame.js';
export { encodeFrame, type FrameFields } from './encode-frame.js';
export {
  FrameError,
  FrameErrorCode,
  type FrameErrorOptions,
  type FrameField,
  FrameMismatchCode,
  FrameMismatchError,
} from './errors.js';
export {
  CodecId,
  type FeatureFrame,
  FRAME_MAGIC,
  FRAME_VERSION,
  frameHeaderByteLength,
  HEAD_FINGERPRINT_BYTES,
  headFingerprintOf,
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
export {
  dequantize,
  type QuantSpec,
  quantize,
  type ResolvedQuantSpec,
  resolveQuantSpec,
} from './quantize.js';
