// Real feature frames: the bundle's head on real test images, encoded by the codec the agent
// uses. Benchmarks and tests send these instead of made-up bytes.
import { availableParallelism } from 'node:os';
import type { BottleneckCodec } from '@cleave/codec';
import { loadFashionMnist } from '@cleave/dataset';
import { type Bundle, bundleCodec } from '@cleave/models';
import * as ort from 'onnxruntime-node';

export interface RealFrames {
  codec: BottleneckCodec;
  frames: Uint8Array[];
  labels: Uint8Array;
}

export async function makeRealFrames(bundle: Bundle, count: number): Promise<RealFrames> {
  const m = bundle.manifest;
  const data = await loadFashionMnist({ split: 'test', limit: count });
  const { scale, mean, std } = m.input.normalization;
  const input = Float32Array.from(data.images, (p) => (p * scale - mean[0]!) / std[0]!);
  const head = await ort.InferenceSession.create(bundle.files.head.path, {
    intraOpNumThreads: availableParallelism(),
  });
  try {
    const name = bundle.files.head.spec.inputs[0]!.name;
    const out = await head.run({ [name]: new ort.Tensor('float32', input, [data.count, ...m.input.shape]) });
    const features = out[m.bottleneck.tensor]!.data as Float32Array;
    const codec = bundleCodec(bundle);
    const per = codec.elementCount;
    const frames = Array.from({ length: data.count }, (_, i) =>
      codec.encode(features.subarray(i * per, (i + 1) * per)),
    );
    return { codec, frames, labels: data.labels };
  } finally {
    await head.release();
  }
}
