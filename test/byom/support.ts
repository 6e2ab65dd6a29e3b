// Shared by the bring-your-own-model tests: labelled Fashion-MNIST images as RGB PNGs, 64×64 unless
// a test asks for another size (an ImageFolder: one subfolder per class) and torchvision fixtures exported from them with Debian's
// python3-torchvision by test/fixtures/export_torchvision.py (trained on them, or a random backbone
// with its last layer fitted).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { imageAt, loadFashionMnist, type Split } from '@cleave/dataset';
import sharp from 'sharp';

export const SIZE = 64;
export const IMAGENET = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'export_torchvision.py');

/**
 * Writes the first `count` images of a Fashion-MNIST split (@cleave/dataset's: train, validation
 * or test, disjoint) as `size`×`size` PNGs under `dir/<class>/NNNN.png`, and returns their paths
 * in order.
 */
export async function writeImageFolder(
  dir: string,
  count: number,
  split: Split = 'train',
  size = SIZE,
): Promise<string[]> {
  const data = await loadFashionMnist({ split, limit: count });
  const paths: string[] = [];
  for (let i = 0; i < data.count; i++) {
    const classDir = join(dir, String(data.labels[i]));
    mkdirSync(classDir, { recursive: true });
    const png = await sharp(Buffer.from(imageAt(data, i)), { raw: { width: 28, height: 28, channels: 1 } })
      .resize(size, size)
      .toColourspace('srgb')
      .png()
      .toBuffer();
    const path = join(classDir, `${String(i).padStart(4, '0')}.png`);
    writeFileSync(path, png);
    paths.push(path);
  }
  return paths;
}

/**
 * Exports the models into `out` (OUT/NAME.onnx) from the ImageFolder `images`: with `train`, every
 * weight trained on them for `epochs`; otherwise only the last layer fitted (random backbone). The
 * models take `size`×`size`×3 inputs (SIZE unless given): give the size the images were written at.
 */
export async function exportFixtures(
  out: string,
  models: string[],
  images: string,
  options: { train?: boolean; epochs?: number; timeoutMs?: number; size?: number } = {},
): Promise<string> {
  const how = options.train
    ? ['--train', images, '--epochs', String(options.epochs ?? 2)]
    : ['--fit', images];
  const { stdout } = await promisify(execFile)(
    '/usr/bin/python3',
    [SCRIPT, out, '--models', models.join(','), '--size', String(options.size ?? SIZE), ...how],
    { timeout: options.timeoutMs ?? 120_000, env: { ...process.env, OMP_NUM_THREADS: '2' } },
  );
  return stdout;
}

export const CLI = join(import.meta.dirname, '..', '..', 'cli', 'bin', 'cleave.js');

/** Runs the `cleave` CLI as a user would (a separate process); never throws on a non-zero exit. */
export async function runCleave(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      timeout: options.timeoutMs ?? 180_000,
      env: { ...process.env, ...options.env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
