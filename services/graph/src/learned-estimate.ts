// The bottleneck `cleave split --learn` builds for a cut unless told otherwise, and the frame it
// would send, before any training: `cleave profile` shows it beside each plain cut's measured frame.
import { CRC_BYTES, frameHeaderByteLength } from '@cleave/codec';

export interface BottleneckPlan {
  channels: number;
  bits: number;
  /** Spatial down-sampling of the bottleneck (1 for a flat cut). */
  stride: number;
  /** One sample's bottleneck dims. */
  codeDims: number[];
  /** The codes bit-packed: an upper bound of the entropy-coded payload. */
  packedBytes: number;
  /** packedBytes in a feature frame (header and CRC included). */
  frameBytes: number;
}

/**
 * The default learned bottleneck for features of `featureDims` ([C, H, W] or [F]; undefined for
 * other ranks): a quarter of the channels (at least 2; F/16 for a flat cut) at 4 bits, halved in
 * space when the cut is at least 8×8 (the shipped recipe's 48×14×14 → C×7×7). `given` overrides.
 */
export function defaultBottleneck(
  featureDims: readonly number[],
  given: { channels?: number | undefined; bits?: number | undefined; stride?: number | undefined } = {},
): BottleneckPlan | undefined {
  let codeDims: number[];
  let stride: number;
  let channels: number;
  if (featureDims.length === 3) {
    const [c, h, w] = featureDims as [number, number, number];
    stride = given.stride ?? (Math.min(h, w) >= 8 ? 2 : 1);
    channels = given.channels ?? Math.max(2, Math.round(c / 4));
    codeDims = [channels, Math.ceil(h / stride), Math.ceil(w / stride)];
  } else if (featureDims.length === 1) {
    stride = 1;
    channels = given.channels ?? Math.max(2, Math.round(featureDims[0]! / 16));
    codeDims = [channels];
  } else {
    return undefined;
  }
  const bits = given.bits ?? 4;
  const packedBytes = Math.ceil((codeDims.reduce((a, b) => a * b, 1) * bits) / 8);
  return {
    channels,
    bits,
    stride,
    codeDims,
    packedBytes,
    frameBytes: frameHeaderByteLength(codeDims, packedBytes) + packedBytes + CRC_BYTES,
  };
}
