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
): Promise<ModelCosts> {
  const out: ModelCosts = {};
  for (const bundle of bundles) {
    const present = roles.filter((r) => bundle.files[r]);
    const pool = createSessionPool({ models: bundleSessionModels(bundle, { roles: present }), workers: 1 });
    try {
      await pool.ready;
      const dims = [1, ...bundle.manifest.input.shape];
      for (const role of present) {
        const name = bundle.files[role]!.spec.inputs[0]!.name;
        for (const x of images.slice(0, 20)) await pool.run(role, { [name]: { data: x, dims } });
        const t = performance.now();
        for (const x of images) await pool.run(role, { [name]: { data: x, dims } });
        out[costKey(bundle.manifest.name, role)] = (performance.now() - t) / images.length;
      }
    } finally {
      await pool.close();
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
