// What each on-device model costs, measured here: the mean wall time of one batch-1 inference on
// one idle worker (ONNX Runtime, 1 intra-op thread), after a warm-up. The same figures feed every
// strategy's compute energy, so strategies are compared on the same footing (energy-report.ts
// does the same for the demo). Lossless WebP encoding of the input (sharp) is timed per image.
import type { Bundle, FileRole } from '@cleave/models';
import { bundleSessionModels, createSessionPool } from '@cleave/models';
import sharp from 'sharp';

/** `<bundle>/<role>` → ms per inference here. */
export type ModelCosts = Record<string, number>;

export const costKey = (bundle: string, role: FileRole) => `${bundle}/${role}`;

export async function measureModelCosts(
  bundles: readonly Bundle[],
  images: readonly Float32Array[],
  roles: readonly FileRole[] = ['head', 'full', 'dual-a', 'dual-b'],
  rounds = 3,
): Promise<ModelCosts> {
  const out: ModelCosts = {};
  // The same file in several bundles (the teacher, the dual CNNs) is timed once and shared, so
  // strategies that run it are charged the same.
  const bySha = new Map<string, number>();
  for (const bundle of bundles) {
    const present = roles.filter((r) => bundle.files[r] && !bySha.has(bundle.files[r].sha256));
    if (present.length > 0) {
      const pool = createSessionPool({ models: bundleSessionModels(bundle, { roles: present }), workers: 1 });
      try {
        await pool.ready;
        const dims = [1, ...bundle.manifest.input.shape];
        for (const role of present) {
          const name = bundle.files[role]!.spec.inputs[0]!.name;
          const run = (x: Float32Array) => pool.run(role, { [name]: { data: x, dims } });
          for (const x of images.slice(0, 20)) await run(x);
          // The median of a few rounds: the machine is shared, a busy moment should not decide.
          const means: number[] = [];
          for (let k = 0; k < rounds; k++) {
            const t = performance.now();
            for (const x of images) await run(x);
            means.push((performance.now() - t) / images.length);
          }
          bySha.set(bundle.files[role]!.sha256, means.sort((a, b) => a - b)[Math.floor(rounds / 2)]!);
        }
      } finally {
        await pool.close();
      }
    }
    for (const role of roles) {
      const file = bundle.files[role];
      if (file) out[costKey(bundle.manifest.name, role)] = bySha.get(file.sha256)!;
    }
  }
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
