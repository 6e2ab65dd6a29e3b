// A bundle whose tail is a VGG-style fully connected classifier, for `cleave bench serve --fc-tail`:
// the case where dynamic batching pays on a CPU. The model is exported with Debian's python3-torch
// (training/export_fc_classifier.py, seeded random weights: throughput only, its accuracy means
// nothing) and cut with `cleave split` before the classifier, so the tail is almost all weights.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FASHION_MNIST_LABELS, imageAt, loadFashionMnist } from '@cleave/dataset';
import { normalizePixels, splitModel } from '@cleave/graph';
import type { Manifest } from '@cleave/models';
import { DEFAULT_BUNDLE, REPO_ROOT } from './paths.js';

/** The features after the second pooling, 64×7×7: the classifier's input. */
export const FC_TAIL_CUT = '/features/features.5/MaxPool_output_0';

export interface FcTailBundle {
  name: string;
  /** What the tail is, for reports. */
  description: string;
  tailParameters: number;
}

/** Exports the model into `dir`, cuts it and writes the bundle `dir/fmnist-fc<width>`. */
export async function makeFcTailBundle(dir: string, width: number, calibCount = 256): Promise<FcTailBundle> {
  const onnx = join(dir, `fc${width}.onnx`);
  execFileSync(
    '/usr/bin/python3',
    [join(REPO_ROOT, 'training', 'export_fc_classifier.py'), onnx, '--width', String(width)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Calibration on validation images (never the test images the benchmark then sends).
  // The shipped Fashion-MNIST bundles' normalisation, as their manifest states it.
  const manifest = JSON.parse(
    readFileSync(join(REPO_ROOT, 'models', DEFAULT_BUNDLE, 'manifest.json'), 'utf8'),
  ) as Manifest;
  const normalization = manifest.input.normalization;
  const data = await loadFashionMnist({ split: 'validation', limit: calibCount });
  const samples = Array.from({ length: data.count }, (_, i) =>
    normalizePixels(imageAt(data, i), 1, normalization),
  );
  const name = `fmnist-fc${width}`;
  const tailParameters = 3136 * width + width + width * width + width + width * 10 + 10;
  const description = `VGG-style classifier tail: Linear(3136, ${width}), ReLU, Linear(${width}, ${width}), ReLU, Linear(${width}, 10); ${(tailParameters / 1e6).toFixed(1)} M parameters, seeded random weights (training/export_fc_classifier.py)`;
  await splitModel({
    model: readFileSync(onnx),
    modelPath: onnx,
    at: FC_TAIL_CUT,
    calib: {
      samples,
      description: `${data.count} Fashion-MNIST validation images`,
      fromImages: false,
    },
    normalization,
    out: join(dir, name),
    name,
    labels: FASHION_MNIST_LABELS,
    bits: 8,
    description,
  });
  return { name, description, tailParameters };
}
