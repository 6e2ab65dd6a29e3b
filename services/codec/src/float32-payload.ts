// Codec 3: the features themselves, as little-endian IEEE-754 float32 (4 bytes a value), for a
// lossless split. No quantisation and no entropy coding; the decoder refuses NaN and ±Infinity,
// since a head never sends them and a tail should never run on them.
import { FrameError, FrameErrorCode } from './errors.js';
import { FLOAT32_BITS, MAX_PAYLOAD_BYTES } from './frame-format.js';

/** Throws FrameError unless `count` float32 values fit in one frame's payload. */
export function checkFloat32Count(count: number): void {
  if (count * 4 > MAX_PAYLOAD_BYTES) {
    throw new FrameError(
      FrameErrorCode.TOO_LARGE,
      'shape',
      `${count} float32 values need ${count * 4} bytes, over the ${MAX_PAYLOAD_BYTES}-byte payload limit (at most ${MAX_PAYLOAD_BYTES / 4} values at bits ${FLOAT32_BITS})`,
    );
  }
}

/** The payload bytes of `features`: a view of `scratch` (count * 4 bytes), valid until its next use. */
export function encodeFloat32Payload(features: Float32Array, scratch: Uint8Array): Uint8Array {
  if (features.length * 4 !== scratch.length) {
    throw new RangeError(`features hold ${features.length} values, the shape needs ${scratch.length / 4}`);
  }
  const view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
  for (let i = 0; i < features.length; i++) view.setFloat32(i * 4, features[i]!, true);
  return scratch;
}

/** Reads `out.length` float32 values from `payload` (exactly 4 bytes each) into `out`. */
export function decodeFloat32Payload(payload: Uint8Array, out: Float32Array): Float32Array {
  if (payload.length !== out.length * 4) {
    throw new FrameError(
      FrameErrorCode.BAD_FIELD,
      'payload',
      `${payload.length} bytes, expected ${out.length * 4} for ${out.length} float32 values`,
    );
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  for (let i = 0; i < out.length; i++) {
    const v = view.getFloat32(i * 4, true);
    if (!Number.isFinite(v)) {
      throw new FrameError(
        FrameErrorCode.BAD_FIELD,
        'payload',
        `value ${i} is ${v}; float32 frames carry finite values`,
        {
          offset: i * 4,
        },
      );
    }
    out[i] = v;
  }
  return out;
}
