import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetError, IMAGE_PIXELS, scanClassFile } from './class-file.js';

export const FASHION_MNIST_LABELS = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Per class: the first 1000 non-empty entries are the official test set, the rest training. */
export const TEST_PER_CLASS = 1000;
/** Every 12th training image of each class (positions 11, 23, ...) is validation: 500 per class. */
export const VALIDATION_EVERY = 12;

export const SPLITS = ['test', 'train', 'validation'] as const;
export type Split = (typeof SPLITS)[number];

export interface ImageSet {
  split: Split;
  count: number;
  width: 28;
  height: 28;
  /** count × 784 raw pixels, 0–255. */
  images: Uint8Array;
  labels: Uint8Array;
}

export interface LoadOptions {
  split: Split;
  /** At most this many images. Images are interleaved by class, so any prefix is balanced. */
  limit?: number;
  /** Folder holding 0.json … 9.json; defaults to the installed fashion-mnist package. */
  dataDir?: string;
}

export function defaultDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
}

function pickIndices(split: Split, available: number): number[] {
  const out: number[] = [];
  if (split === 'test') {
    for (let i = 0; i < Math.min(TEST_PER_CLASS, available); i++) out.push(i);
    return out;
  }
  for (let i = TEST_PER_CLASS; i < available; i++) {
    const isValidation = (i - TEST_PER_CLASS) % VALIDATION_EVERY === VALIDATION_EVERY - 1;
    if (isValidation === (split === 'validation')) out.push(i);
  }
  return out;
}

/**
 * Entries of a class file to scan for `limit` images of `split`: a class gives at most `limit`,
 * and its k-th validation (or training) image lies within the first TEST_PER_CLASS +
 * VALIDATION_EVERY × (k + 1) entries. So a small limit reads a small part of each file.
 */
function entriesNeeded(split: Split, limit: number | undefined): number | undefined {
  if (split === 'test') return Math.min(TEST_PER_CLASS, limit ?? TEST_PER_CLASS);
  return limit === undefined ? undefined : TEST_PER_CLASS + VALIDATION_EVERY * limit;
}

/** Loads one split of Fashion-MNIST, in the same split the Python recipes use. */
export async function loadFashionMnist(options: LoadOptions): Promise<ImageSet> {
  const dataDir = options.dataDir ?? defaultDataDir();
  const perClass: Uint8Array[] = [];
  const picks: number[][] = [];
  for (let c = 0; c < FASHION_MNIST_LABELS.length; c++) {
    const file = join(dataDir, `${c}.json`);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (cause) {
      throw new DatasetError(file, 'cannot read the class file; is the fashion-mnist package installed?', {
        cause,
      });
    }
    const entries = scanClassFile(file, bytes, entriesNeeded(options.split, options.limit));
    perClass.push(entries);
    picks.push(pickIndices(options.split, entries.length / IMAGE_PIXELS));
  }
  const total = picks.reduce((n, p) => n + p.length, 0);
  const count = Math.min(total, options.limit ?? total);
  const images = new Uint8Array(count * IMAGE_PIXELS);
  const labels = new Uint8Array(count);
  let k = 0;
  for (let round = 0; k < count; round++) {
    for (let c = 0; c < perClass.length && k < count; c++) {
      const index = picks[c]![round];
      if (index === undefined) continue;
      images.set(perClass[c]!.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS), k * IMAGE_PIXELS);
      labels[k++] = c;
    }
  }
  return { split: options.split, count, width: 28, height: 28, images, labels };
}

/** One image's pixels (a view, not a copy). */
export function imageAt(set: ImageSet, i: number): Uint8Array {
  return set.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
}
