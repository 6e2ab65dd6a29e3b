export {
  ADAPTIVE_COUNT_LIMIT,
  ADAPTIVE_INCREMENT,
  ADAPTIVE_INITIAL_COUNT,
  ADAPTIVE_PRECISION_BITS,
} from './adaptive-model.js';
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
export { checkFloat32Count } from './float32-payload.js';
export {
  CodecId,
  CRC_BYTES,
  type FeatureFrame,
  FLOAT32_BITS,
  FRAME_LEAD_BYTE,
  FRAME_MAGIC,
  FRAME_VERSION,
  FRAME_VERSION_V2,
  type FrameShapeOf,
  type FrameVersion,
  fingerprintNumber,
  frameHeaderByteLength,
  frameOverheadBytes,
  HEAD_FINGERPRINT_BYTES,
  headFingerprintOf,
  MAX_BITS,
  MAX_CODEC_ID,
  MAX_DIM,
  MAX_ELEMENTS,
  MAX_PAYLOAD_BYTES,
  MAX_RANK,
  MIN_BITS,
  RANS_STATE_BYTES,
  SUPPORTED_CODEC_IDS,
} from './frame-format.js';
export {
  createPayloadCoder,
  decodeCodes,
  type EncodedPayload,
  type PayloadCoder,
  type PayloadCoderOptions,
} from './payload-coder.js';
export {
  dequantize,
  type QuantSpec,
  quantize,
  type ResolvedQuantSpec,
  resolveQuantSpec,
} from './quantize.js';
export { RANS_L } from './rans.js';
export { type EntropyTablesSpec, MAX_PRECISION_BITS } from './rans-tables.js';
