// `cleave split --learn --labels-from DIR`: a labelled image folder (one subfolder per class) whose
// images are run through the full model and the learned split once the bundle is made, so that
// accuracy is reported beside agreement. The labels never reach the trainer.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCalibrationSet, type Normalization } from './calibration-input.js';
import { LearnError } from './learn-trainer.js';
import type { SplitMeasurement } from './split-calibration.js';

export interface LabelledSet {
  samples: Float32Array[];
  /** Per sample, the class index its folder names. */
  labels: number[];
  /** Folder name → class index, and how it was decided. */
  classes: { folder: string; index: number }[];
  rule: 'numbered folders' | 'the --labels names' | 'sorted folder names';
  description: string;
  dir: string;
}

export interface LabelledAccuracy {
  samples: number;
  /** The full model's top-1 against the folders' labels. */
  fullAccuracy: number;
  /** The learned split's top-1 (real frames) against the folders' labels. */
  splitAccuracy: number;
  /** Split top-1 = full top-1, on these inputs. */
  agreement: number;
  rule: LabelledSet['rule'];
}

/**
 * Reads DIR/CLASS/*.png|jpg|jpeg|webp, decoded and normalised as the bundle's agent does. A class
 * folder's index: its number when every folder is a number (0, 1, ...); else its position in
 * `names` (the --labels file) when given; else its position among the sorted folder names
 * (torchvision's ImageFolder).
 */
export async function loadLabelledSet(
  dir: string,
  dims: readonly number[],
  norm: Normalization,
  names?: readonly string[],
): Promise<LabelledSet> {
  let folders: string[];
  try {
    folders = readdirSync(dir)
      .filter((f) => !f.startsWith('.') && statSync(join(dir, f)).isDirectory())
      .sort();
  } catch (error) {
    throw new LearnError(`--labels-from ${dir}: ${(error as Error).message}`);
  }
  if (folders.length === 0)
    throw new LearnError(
      `--labels-from ${dir}: no class folders; give a folder with one subfolder of images per class (0/, 1/, ... or the class names)`,
    );
  const numbered = folders.every((f) => /^\d+$/.test(f));
  const rule: LabelledSet['rule'] = numbered
    ? 'numbered folders'
    : names
      ? 'the --labels names'
      : 'sorted folder names';
  const indexOf = (folder: string, position: number): number => {
    if (numbered) return Number(folder);
    if (!names) return position;
    const i = names.indexOf(folder);
    if (i < 0)
      throw new LearnError(`--labels-from ${dir}: folder "${folder}" is not one of the --labels names`);
    return i;
  };
  const samples: Float32Array[] = [];
  const labels: number[] = [];
  const mapping: LabelledSet['classes'] = [];
  for (const [position, folder] of folders.entries()) {
    const index = indexOf(folder, position);
    let set: Awaited<ReturnType<typeof loadCalibrationSet>>;
    try {
      set = await loadCalibrationSet(join(dir, folder), dims, norm);
    } catch (error) {
      throw new LearnError(`--labels-from ${dir}: ${(error as Error).message}`);
    }
    mapping.push({ folder, index });
    samples.push(...set.samples);
    labels.push(...set.samples.map(() => index));
  }
  return {
    samples,
    labels,
    classes: mapping,
    rule,
    description: `${samples.length} labelled images in ${folders.length} class folders of ${dir}`,
    dir,
  };
}

/** Refuses a class folder whose index the model cannot output (`classes`: its logits' length). */
export function checkLabelledClasses(set: LabelledSet, classes: number): void {
  for (const { folder, index } of set.classes) {
    if (index >= classes)
      throw new LearnError(
        `--labels-from ${set.dir}: folder "${folder}" is class ${index}, and the model has ${classes} classes (0..${classes - 1}): name the folders 0..${classes - 1}, or list the class names with --labels`,
      );
  }
}

/** Accuracy of the full model and of the split on a labelled set, from measureSplit's labels. */
export function labelledAccuracy(m: SplitMeasurement, set: LabelledSet): LabelledAccuracy {
  const n = set.labels.length;
  const share = (pred: ArrayLike<number>) => set.labels.filter((label, i) => pred[i] === label).length / n;
  return {
    samples: n,
    fullAccuracy: share(m.fullLabels),
    splitAccuracy: share(m.labels),
    agreement: m.agreement,
    rule: set.rule,
  };
}
