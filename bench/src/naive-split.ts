// The naive split: the teacher (full.onnx) cut where the bottleneck bundles are cut, its features
// sent at 8 bits with no learned bottleneck. "Where they are cut" is found, not assumed: the
// deepest valid cut point of the teacher that the bundle's head also computes (the student head
// reuses the teacher's trunk, and ONNX export keeps the module names, one level deeper). The 8-bit
// calibration (per-channel ranges, static rANS tables) and the bundle are @cleave/graph's
// `cleave split` (splitModel), run here on validation images.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { decodeOnnxModel, indexGraph, splitModel, validCutPoints } from '@cleave/graph';
import type { Bundle } from '@cleave/models';
import { normalise } from './executors.js';

export const NAIVE_BUNDLE = 'naive-split';

/** The teacher's tensor at the bundle's cut: the deepest valid cut its head also computes. */
export function sharedCutPoint(
  teacherOnnx: Uint8Array,
  headOnnx: Uint8Array,
): { tensor: string; op: string } {
  const head = decodeOnnxModel(headOnnx);
  const headTensors = (head.graph?.node ?? []).flatMap((n) => n.output ?? []);
  // The same tensor, or the same under one more module level (`/head/down1/…` for `/down1/…`).
  const same = (t: string, c: string) =>
    t === c || (c.startsWith('/') && /^\/[^/]+$/.test(t.slice(0, -c.length)) && t.endsWith(c));
  const cuts = validCutPoints(indexGraph(decodeOnnxModel(teacherOnnx)))
    .filter((c) => headTensors.some((t) => same(t, c.tensor)))
    .sort((a, b) => b.order - a.order);
  if (cuts.length === 0) throw new Error('the bundle head shares no valid cut point with the teacher');
  return { tensor: cuts[0]!.tensor, op: cuts[0]!.op };
}

export interface NaiveSplit {
  dir: string;
  tensor: string;
  featureDims: number[];
  meanFrameBytes: number;
  agreement: number;
  calibrationImages: number;
}

export async function makeNaiveSplit(
  bundle: Bundle,
  outDir: string,
  calibrationImages: number,
): Promise<NaiveSplit> {
  const full = bundle.files.full;
  if (!full) throw new Error(`${bundle.manifest.name} has no full.onnx`);
  const teacher = readFileSync(full.path);
  const at = sharedCutPoint(teacher, readFileSync(bundle.files.head.path));
  const calib = await loadFashionMnist({ split: 'validation', limit: calibrationImages });
  const m = bundle.manifest;
  const dir = join(outDir, NAIVE_BUNDLE);
  const result = await splitModel({
    model: teacher,
    modelPath: full.path,
    at: at.tensor,
    calib: {
      samples: Array.from({ length: calib.count }, (_, i) => normalise(bundle, imageAt(calib, i))),
      description: `${calib.count} Fashion-MNIST validation images`,
      fromImages: true,
    },
    normalization: m.input.normalization,
    out: dir,
    name: NAIVE_BUNDLE,
    description: `naive split for cleave bench: ${m.name}'s full.onnx cut at ${at.tensor} (${at.op}), 8-bit features, no bottleneck`,
    labels: m.labels,
    bits: 8,
  });
  return {
    dir,
    tensor: at.tensor,
    featureDims: result.featureDims,
    meanFrameBytes: result.measurement.meanFrameBytes,
    agreement: result.measurement.agreement,
    calibrationImages: calib.count,
  };
}
