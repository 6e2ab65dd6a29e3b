// Calibration samples for `cleave split` and `cleave profile` (`--calib`), as normalised float32
// tensors of the model's input shape [C, H, W]:
//  - a folder of images (.png, .jpg, .jpeg, .webp; subfolders too, in name order): decoded with
//    sharp as the agent decodes uploads (alpha flattened on black, 1 channel as greyscale, else
//    sRGB), resized to W×H with fit "fill", then x = (pixel · scale − mean[c]) / std[c];
//  - a .npy file: float32 or float64, C order, shape [N, C, H, W] (or [N, C·H·W]): already normalised;
//  - a .json file: an array of samples, each a (nested) array of C·H·W numbers: already normalised;
//  - any other file: raw little-endian float32, N · C·H·W values: already normalised.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import sharp from 'sharp';

export interface Normalization {
  scale: number;
  mean: readonly number[];
  std: readonly number[];
}

export interface CalibrationSet {
  /** One normalised tensor per sample, C·H·W values each. */
  samples: Float32Array[];
  /** What was read, for the manifest: e.g. "64 images from calib/". */
  description: string;
  /** Whether the samples came from images (so the normalisation applies to them). */
  fromImages: boolean;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

function imageFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...imageFiles(path));
    else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) out.push(path);
  }
  return out;
}

/** Decodes one image to planar uint8 pixels [C, H, W], as the agent does. */
export async function decodeImagePixels(bytes: Uint8Array, dims: readonly number[]): Promise<Uint8Array> {
  const [channels, height, width] = dims as [number, number, number];
  let img = sharp(bytes, { failOn: 'error' }).flatten({ background: '#000' });
  img = channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb').removeAlpha();
  const { data, info } = await img
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== channels)
    throw new Error(`decoded ${info.channels} channels, the model takes ${channels}`);
  const plane = width * height;
  const planar = new Uint8Array(plane * channels);
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < channels; c++) planar[c * plane + i] = data[i * channels + c]!;
  return planar;
}

export function normalizePixels(pixels: Uint8Array, channels: number, norm: Normalization): Float32Array {
  const plane = pixels.length / channels;
  const out = new Float32Array(pixels.length);
  for (let c = 0; c < channels; c++) {
    const m = norm.mean[c] ?? norm.mean[0]!;
    const s = norm.std[c] ?? norm.std[0]!;
    for (let i = c * plane; i < (c + 1) * plane; i++) out[i] = (pixels[i]! * norm.scale - m) / s;
  }
  return out;
}

/** Parses a .npy file (format 1.0–3.0) of little-endian float32 or float64 values. */
export function parseNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
  const magic = '\x93NUMPY';
  if (String.fromCharCode(...bytes.subarray(0, 6)) !== magic) throw new Error('not a .npy file');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error('.npy in Fortran order; save a C-order array');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const body = bytes.subarray(start + headerLength);
  const data = new Float32Array(count);
  if (descr === '<f4') {
    const copy = new Uint8Array(body.subarray(0, count * 4));
    data.set(new Float32Array(copy.buffer, 0, count));
  } else if (descr === '<f8') {
    const copy = new Uint8Array(body.subarray(0, count * 8));
    data.set(new Float64Array(copy.buffer, 0, count));
  } else {
    throw new Error(`.npy dtype ${descr} is not supported; save float32 ('<f4') or float64 ('<f8')`);
  }
  if (body.length < data.length * (descr === '<f4' ? 4 : 8)) throw new Error('.npy file is truncated');
  return { shape, data };
}

function split(flat: Float32Array, per: number, what: string): Float32Array[] {
  if (flat.length === 0 || flat.length % per !== 0) {
    throw new Error(`${what} holds ${flat.length} values, not a whole number of ${per}-value samples`);
  }
  return Array.from({ length: flat.length / per }, (_, i) => flat.slice(i * per, (i + 1) * per));
}

/** Reads `--calib` (see the top of this file). `limit` keeps the first N samples. */
export async function loadCalibrationSet(
  path: string,
  dims: readonly number[],
  norm: Normalization,
  limit = Number.POSITIVE_INFINITY,
): Promise<CalibrationSet> {
  const per = dims.reduce((a, b) => a * b, 1);
  if (statSync(path).isDirectory()) {
    const files = imageFiles(path).slice(0, limit);
    if (files.length === 0) throw new Error(`${path}: no .png, .jpg, .jpeg or .webp images`);
    const samples: Float32Array[] = [];
    for (const file of files) {
      try {
        samples.push(normalizePixels(await decodeImagePixels(readFileSync(file), dims), dims[0]!, norm));
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`);
      }
    }
    return { samples, description: `${samples.length} images from ${path}`, fromImages: true };
  }
  const bytes = readFileSync(path);
  let samples: Float32Array[];
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') {
    const npy = parseNpy(bytes);
    const sample = npy.shape.slice(1);
    if (npy.shape.length >= 2 && sample.reduce((a, b) => a * b, 1) !== per) {
      throw new Error(
        `holds samples of shape [${sample.join(', ')}], and the model takes [${dims.join(', ')}]: resize or re-export the inputs (.npy is [N, ${dims.join(', ')}])`,
      );
    }
    samples = split(npy.data, per, path);
  } else if (ext === '.json') {
    const json = JSON.parse(bytes.toString('utf8')) as unknown;
    if (!Array.isArray(json)) throw new Error(`${path}: expected a JSON array of samples`);
    samples = json.map((s, i) => {
      const flat = Float32Array.from((Array.isArray(s) ? s.flat(Number.POSITIVE_INFINITY) : []) as number[]);
      if (flat.length !== per)
        throw new Error(`${path}: sample ${i} has ${flat.length} values, expected ${per}`);
      return flat;
    });
  } else {
    const copy = new Uint8Array(bytes);
    samples = split(new Float32Array(copy.buffer, 0, Math.floor(copy.length / 4)), per, path);
    if (copy.length % 4 !== 0) throw new Error(`${path}: ${copy.length} bytes is not whole float32 values`);
  }
  samples = samples.slice(0, limit);
  for (const s of samples) {
    if (!s.every(Number.isFinite)) throw new Error(`${path}: holds a non-finite value`);
  }
  return { samples, description: `${samples.length} tensors from ${path}`, fromImages: false };
}
