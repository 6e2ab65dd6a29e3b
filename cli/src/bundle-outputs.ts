// Runs every stage of a bundle over a dataset split, the way the agent and server would: the
// head, the tail on features that went through the real codec, the dual CNNs and the full model.
// `cleave calibrate` (validation split) and `cleave eval` (test split) share it.
import type { ImageSet } from '@cleave/dataset';
import { softmax } from '@cleave/edge-agent';
import {
  type Bundle,
  bundleCodec,
  bundleSessionModels,
  createSessionPool,
  type FileRole,
} from '@cleave/models';

export interface BundleOutputs {
  labels: Uint8Array;
  /** Softmax of the exit branch, per image (uniform when the head has no exit branch). */
  exit: Float64Array[];
  hasExit: boolean;
  /** Mean bytes of the feature frames the codec made, per image. */
  meanFrameBytes: number;
  /** Tail answers on codec round-tripped features. */
  splitPred: number[];
  /** Teacher (`full.onnx`) answers, when the bundle has it. */
  fullPred?: number[];
  dualA?: Float64Array[];
  dualB?: Float64Array[];
}

const BATCH = 500;

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
  return best;
}

export async function bundleOutputs(bundle: Bundle, data: ImageSet): Promise<BundleOutputs> {
  const m = bundle.manifest;
  const has = (role: FileRole) => bundle.files[role] !== undefined;
  const hasDual = has('dual-a') && has('dual-b');
  const roles: FileRole[] = ['head', 'tail'];
  if (hasDual) roles.push('dual-a', 'dual-b');
  if (has('full')) roles.push('full');
  const pool = createSessionPool({ models: bundleSessionModels(bundle, { roles }) });
  const codec = bundleCodec(bundle);
  const classes = m.labels.length;
  const out: BundleOutputs = {
    labels: data.labels,
    exit: [],
    hasExit: true,
    meanFrameBytes: 0,
    splitPred: [],
    ...(has('full') ? { fullPred: [] } : {}),
    ...(hasDual ? { dualA: [], dualB: [] } : {}),
  };
  const rows = (t: Float32Array, n: number) =>
    Array.from({ length: n }, (_, i) => t.subarray(i * classes, (i + 1) * classes));
  try {
    await pool.ready;
    const { scale, mean, std } = m.input.normalization;
    const perImage = m.input.shape.reduce((a, b) => a * b, 1);
    const inputOf = (role: FileRole) => bundle.files[role]!.spec.inputs[0]!.name;
    let frameBytes = 0;
    for (let start = 0; start < data.count; start += BATCH) {
      const n = Math.min(BATCH, data.count - start);
      const x = Float32Array.from(
        data.images.subarray(start * perImage, (start + n) * perImage),
        (p) => (p * scale - mean[0]!) / std[0]!,
      );
      const feed = (role: FileRole) => ({ [inputOf(role)]: { data: x, dims: [n, ...m.input.shape] } });
      const head = await pool.run('head', feed('head'));
      const feats = head[m.bottleneck.tensor]!.data;
      const deq = new Float32Array(feats.length);
      // Through the real codec, so the tail sees exactly what a served frame would give it.
      for (let i = 0; i < n; i++) {
        const sample = feats.subarray(i * codec.elementCount, (i + 1) * codec.elementCount);
        const frame = codec.encode(sample);
        frameBytes += frame.byteLength;
        deq.set(codec.decode(frame).features, i * codec.elementCount);
      }
      const tail = await pool.run('tail', {
        [inputOf('tail')]: { data: deq, dims: [n, ...m.bottleneck.shape] },
      });
      // A head without an exit branch (a `cleave split` bundle): a uniform exit never passes a gate.
      out.hasExit = head.exit_logits !== undefined;
      const exitLogits = head.exit_logits?.data ?? new Float32Array(n * classes);
      for (const row of rows(exitLogits, n)) out.exit.push(softmax(row));
      for (const row of rows(tail.logits!.data, n)) out.splitPred.push(argmax(row));
      if (out.fullPred) {
        const full = await pool.run('full', feed('full'));
        for (const row of rows(full.logits!.data, n)) out.fullPred.push(argmax(row));
      }
      if (out.dualA && out.dualB) {
        const a = await pool.run('dual-a', feed('dual-a'));
        const b = await pool.run('dual-b', feed('dual-b'));
        for (const row of rows(a.logits!.data, n)) out.dualA.push(softmax(row));
        for (const row of rows(b.logits!.data, n)) out.dualB.push(softmax(row));
      }
    }
    out.meanFrameBytes = frameBytes / data.count;
  } finally {
    await pool.close();
  }
  return out;
}

export { argmax as argmaxOf };
