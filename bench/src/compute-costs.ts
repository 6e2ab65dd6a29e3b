// What each on-device model costs, measured here: the mean wall time of one batch-1 inference on
// one idle worker (ONNX Runtime, 1 intra-op thread), after a warm-up. The same figures feed every
// strategy's compute energy, so strategies are compared on the same footing (energy-report.ts
// does the same for the demo). Lossless WebP encoding of the input (sharp) is timed per image.
import type { Bundle, FileRole } from '@cleave/models';
import { bundleCodec, bundleSessionModels, createSessionPool } from '@cleave/models';
import sharp from 'sharp';

/** `<bundle>/<role>` → ms per inference here. */
export type ModelCosts = Record<string, number>;

export const costKey = (bundle: string, role: FileRole | 'encode') => `${bundle}/${role}`;
/** Lossless WebP encoding of one input image. */
export const WEBP_KEY = 'input/webp';

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median over `rounds` of the mean time of `step` over `count` items, ms. */
async function timeRounds(count: number, rounds: number, step: (i: number) => unknown): Promise<number> {
  const means: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const t = performance.now();
    for (let i = 0; i < count; i++) await step(i);
    means.push((performance.now() - t) / count);
  }
  return median(means);
}

export async function measureModelCosts(
  bundles: readonly Bundle[],
  images: readonly Float32Array[],
  roles: readonly FileRole[] = ['head', 'full', 'dual-a', 'dual-b'],
  rounds = 5,
): Promise<ModelCosts> {
  // The same file in several bundles (the teacher, the dual CNNs) is timed once and shared, so
  // strategies that run it are charged the same.
  const jobs: { sha: string; run: (x: Float32Array) => Promise<unknown> }[] = [];
  const seen = new Set<string>();
  const pools = bundles.map((bundle) => {
    const present = roles.filter((r) => bundle.files[r] && !seen.has(bundle.files[r].sha256));
    for (const r of present) seen.add(bundle.files[r]!.sha256);
    if (present.length === 0) return undefined;
    const pool = createSessionPool({ models: bundleSessionModels(bundle, { roles: present }), workers: 1 });
    const dims = [1, ...bundle.manifest.input.shape];
    for (const role of present) {
      const name = bundle.files[role]!.spec.inputs[0]!.name;
      jobs.push({
        sha: bundle.files[role]!.sha256,
        run: (x) => pool.run(role, { [name]: { data: x, dims } }),
      });
    }
    return pool;
  });
  const means = new Map<string, number[]>();
  try {
    await Promise.all(pools.map((p) => p?.ready));
    for (const job of jobs) for (const x of images.slice(0, 20)) await job.run(x);
    // Rounds go through every model in turn and each figure is its median round: the machine is
    // shared, and a busy moment should neither decide a figure nor favour one model over another.
    for (let k = 0; k < rounds; k++) {
      for (const job of jobs) {
        const t = performance.now();
        for (const x of images) await job.run(x);
        means.set(job.sha, [...(means.get(job.sha) ?? []), (performance.now() - t) / images.length]);
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p?.close()));
  }
  const out: ModelCosts = {};
  for (const bundle of bundles)
    for (const role of roles) {
      const file = bundle.files[role];
      if (file) out[costKey(bundle.manifest.name, role)] = median(means.get(file.sha256)!);
    }
  return out;
}

/**
 * The feature codec (the agent's encoder) on real features of each bundle's head, and lossless
 * WebP of the input, ms per image here: charged from this table like the models, so a garbage
 * collection in one request does not decide a strategy's energy.
 */
export async function measureCodecCosts(
  bundles: readonly Bundle[],
  images: readonly Float32Array[],
  pixels: readonly Uint8Array[],
  rounds = 3,
): Promise<ModelCosts> {
  const out: ModelCosts = {};
  for (const bundle of bundles) {
    const m = bundle.manifest;
    const pool = createSessionPool({ models: bundleSessionModels(bundle, { roles: ['head'] }), workers: 1 });
    try {
      const name = bundle.files.head.spec.inputs[0]!.name;
      const batch = new Float32Array(images.length * images[0]!.length);
      for (const [i, x] of images.entries()) batch.set(x, i * x.length);
      const r = await pool.run('head', { [name]: { data: batch, dims: [images.length, ...m.input.shape] } });
      const features = r[m.bottleneck.tensor]!.data;
      const codec = bundleCodec(bundle);
      const per = codec.elementCount;
      const sample = (i: number) => features.subarray(i * per, (i + 1) * per);
      for (let i = 0; i < Math.min(50, images.length); i++) codec.encode(sample(i));
      out[costKey(m.name, 'encode')] = await timeRounds(images.length, rounds, (i) =>
        codec.encode(sample(i)),
      );
    } finally {
      await pool.close();
    }
  }
  const { width, height, channels } = bundles[0]!.manifest.input.source;
  const webp = (i: number) => encodeWebp(pixels[i]!, width, height, channels as 1 | 2 | 3 | 4);
  for (let i = 0; i < Math.min(20, pixels.length); i++) await webp(i);
  out[WEBP_KEY] = await timeRounds(pixels.length, rounds, webp);
  return out;
}

/** Lossless WebP of 8-bit pixels (effort 6, as in docs/model-zoo.md). */
export async function encodeWebp(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
): Promise<Buffer> {
  return sharp(pixels, { raw: { width, height, channels } }).webp({ lossless: true, effort: 6 }).toBuffer();
}
