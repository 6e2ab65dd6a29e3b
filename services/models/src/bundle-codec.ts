// The feature codec a bundle's manifest describes: the same on the edge (encode) and in the
// cloud (decode), so both sides build it here from the verified bundle. With the manifest's
// entropy tables frames are rANS-coded (codec 1); without them, adaptively (codec 2).
import { type BottleneckCodec, createBottleneckCodec } from '@cleave/codec';
import type { Bundle } from './bundle-loader.js';

export function bundleCodec(bundle: Bundle): BottleneckCodec {
  const m = bundle.manifest;
  return createBottleneckCodec({
    modelName: m.name,
    modelVersion: m.version,
    headSha256: bundle.files.head.sha256,
    bits: m.bottleneck.bits,
    shape: m.bottleneck.shape,
    min: m.bottleneck.quantization.min,
    max: m.bottleneck.quantization.max,
    entropy: m.bottleneck.entropy,
  });
}
