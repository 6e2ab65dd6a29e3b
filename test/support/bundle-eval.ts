// Runs every ONNX file of a bundle with onnxruntime-node on real test images and measures the
// accuracies the manifest claims, through the TypeScript codec for the split path.
import { dequantize, quantize, resolveQuantSpec } from '@cleave/codec';
import type { ImageSet } from '@cleave/dataset';
import type { Bundle, FileRole } from '@cleave/models';
import * as ort from 'onnxruntime-node';

const BATCH = 1000;

function argmaxRows(logits: Float32Array, classes: number): Uint8Array {
  const n = logits.length / classes;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[i * classes + k]! > logits[i * classes + best]!) best = k;
    out[i] = best;
  }
  return out;
}

export interface BundleMeasurement {
  accuracy: Record<string, number>;
  /** Predicted labels per path, for gate checks. */
  predictions: Record<string, Uint8Array>;
  exitLogits: Float32Array;
  codes: Uint8Array;
}

async function session(bundle: Bundle, role: FileRole): Promise<ort.InferenceSession> {
  const file = bundle.files[role];
  if (!file) throw new Error(`bundle has no ${role}`);
  // One thread: test files run side by side, and idle ONNX Runtime threads spin on a shared core.
  return ort.InferenceSession.create(file.path, { intraOpNumThreads: 1 });
}

const measuredLogits = new WeakMap<ImageSet, Map<string, Float32Array>>();

export async function measureBundle(bundle: Bundle, data: ImageSet): Promise<BundleMeasurement> {
  const m = bundle.manifest;
  const classes = m.labels.length;
  const { scale, mean, std } = m.input.normalization;
  const input = Float32Array.from(data.images, (p) => (p * scale - mean[0]!) / std[0]!);
  const perImage = m.input.shape.reduce((a, b) => a * b, 1);
  const spec = resolveQuantSpec({
    bits: m.bottleneck.bits,
    shape: m.bottleneck.shape,
    min: m.bottleneck.quantization.min,
    max: m.bottleneck.quantization.max,
  });
  const perFeature = m.bottleneck.shape.reduce((a, b) => a * b, 1);
  // The bundles of one recipe share their teacher and dual CNNs (the same bytes): their logits on
  // this image set are computed once, keyed by the file's verified sha256.
  const known = measuredLogits.get(data) ?? new Map<string, Float32Array>();
  measuredLogits.set(data, known);
  const shared = (['full', 'dual-a', 'dual-b'] as const).filter((r) => !known.has(bundle.files[r]!.sha256));
  const roles: FileRole[] = ['head', 'tail', ...shared];
  const sessions = Object.fromEntries(
    await Promise.all(roles.map(async (r) => [r, await session(bundle, r)] as const)),
  );
  const logits: Record<string, Float32Array> = {
    exit: new Float32Array(data.count * classes),
    split: new Float32Array(data.count * classes),
  };
  for (const role of ['full', 'dual-a', 'dual-b'] as const) {
    logits[role] = known.get(bundle.files[role]!.sha256) ?? new Float32Array(data.count * classes);
  }
  const codes = new Uint8Array(data.count * perFeature);
  try {
    for (let start = 0; start < data.count; start += BATCH) {
      const n = Math.min(BATCH, data.count - start);
      const x = new ort.Tensor('float32', input.subarray(start * perImage, (start + n) * perImage), [
        n,
        ...m.input.shape,
      ]);
      const head = await sessions.head!.run({ input: x });
      logits.exit!.set(head.exit_logits!.data as Float32Array, start * classes);
      const features = head[m.bottleneck.tensor]!.data as Float32Array;
      const deq = new Float32Array(n * perFeature);
      for (let i = 0; i < n; i++) {
        const q = quantize(features.subarray(i * perFeature, (i + 1) * perFeature), spec);
        codes.set(q, (start + i) * perFeature);
        deq.set(dequantize(q, spec), i * perFeature);
      }
      const tail = await sessions.tail!.run({
        features: new ort.Tensor('float32', deq, [n, ...m.bottleneck.shape]),
      });
      logits.split!.set(tail.logits!.data as Float32Array, start * classes);
      for (const role of shared) {
        const out = await sessions[role]!.run({ input: x });
        logits[role]!.set(out.logits!.data as Float32Array, start * classes);
      }
    }
  } finally {
    await Promise.all(Object.values(sessions).map((s) => s.release()));
  }
  for (const role of shared) known.set(bundle.files[role]!.sha256, logits[role]!);
  const predictions = Object.fromEntries(Object.entries(logits).map(([k, v]) => [k, argmaxRows(v, classes)]));
  const accuracy = Object.fromEntries(
    Object.entries(predictions).map(([k, p]) => [
      k,
      p.filter((v, i) => v === data.labels[i]).length / data.count,
    ]),
  );
  return { accuracy, predictions, exitLogits: logits.exit!, codes };
}

/** Mean information content of the codes under the manifest's tables, in bytes per image. */
export function shannonBytes(bundle: Bundle, codes: Uint8Array, count: number): number {
  const e = bundle.manifest.bottleneck.entropy;
  if (!e) throw new Error('bundle has no entropy tables');
  const [c, h, w] = bundle.manifest.bottleneck.shape as [number, number, number];
  const plane = h * w;
  const total = 2 ** e.precisionBits;
  let bits = 0;
  for (let i = 0; i < codes.length; i++) {
    const channel = Math.floor((i % (c * plane)) / plane);
    bits -= Math.log2(e.tables[channel]![codes[i]!]! / total);
  }
  return bits / 8 / count;
}
