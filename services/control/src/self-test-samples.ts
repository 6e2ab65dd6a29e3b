// The self-test a bundle carries to the fleet (selftest.json): labelled samples from the
// validation split (never the test set) and the accuracy its local stages must reach on them.
import { FASHION_MNIST_LABELS, imageAt, loadFashionMnist } from '@cleave/dataset';
import type { Manifest } from '@cleave/models';

export interface SelfTestDocument {
  version: 1;
  source: string;
  minAccuracy: number;
  samples: Array<{ label: number; pixels: string }>;
}

/** How far below the bundle's own measured exit accuracy the self-test may land. */
export const SELF_TEST_MARGIN = 0.15;

/**
 * Samples for a Fashion-MNIST bundle (labels and a 28×28×1 input), balanced over the classes;
 * undefined for a bundle of another task, whose folder must then carry its own selftest.json.
 */
export async function fashionMnistSelfTest(
  manifest: Manifest,
  count = 64,
): Promise<SelfTestDocument | undefined> {
  const { width, height, channels } = manifest.input.source;
  const sameLabels =
    manifest.labels.length === FASHION_MNIST_LABELS.length &&
    manifest.labels.every((l, i) => l === FASHION_MNIST_LABELS[i]);
  if (!sameLabels || width !== 28 || height !== 28 || channels !== 1) return undefined;
  const set = await loadFashionMnist({ split: 'validation', limit: count });
  const claimed = manifest.metrics.accuracy.exit ?? manifest.metrics.accuracy.split ?? 0.5;
  return {
    version: 1,
    source: `fashion-mnist validation (${set.count} images)`,
    minAccuracy: Math.max(0, Math.round((claimed - SELF_TEST_MARGIN) * 1000) / 1000),
    samples: Array.from({ length: set.count }, (_, i) => ({
      label: set.labels[i]!,
      pixels: Buffer.from(imageAt(set, i)).toString('base64'),
    })),
  };
}
