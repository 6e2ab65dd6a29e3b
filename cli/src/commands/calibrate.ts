// `cleave calibrate`: re-derives a bundle's gate thresholds on the validation split (never the
// test set), for a target accuracy drop or a target share answered on the device.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadFashionMnist } from '@cleave/dataset';
import {
  type CalibrationTarget,
  type CascadeTarget,
  calibrateCascade,
  calibrateThreshold,
  NEVER,
  scoreFunction,
  scoreFunctionNames,
} from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import { argmaxOf as argmax, type BundleOutputs, bundleOutputs } from '../bundle-outputs.js';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR } from '../paths.js';

export const CALIBRATE_HELP = `cleave calibrate [options]

Runs the bundle's head, tail (through the codec), dual CNNs and full model on the validation
split (never the test set) and chooses, for every score function, the exit and dual thresholds.

Targets (one of):
  --below-teacher PT   the cascade's accuracy may be at most PT points below the teacher's
                       (full.onnx) accuracy on the same validation images; the exit and dual
                       thresholds are chosen together to answer the most inputs on the device
  --accuracy PCT       the same with an absolute accuracy target, in percent
  --standard-errors Z  for the two above: the target must hold Z standard errors on the safe
                       side (of the paired difference to the teacher, or binomial), so that it
                       still holds on unseen images (default 1)
  --max-drop PT        per stage, as the training recipe does: the exit may lose PT points
                       against the tail, the dual stage another 2/3 of that (default 0.15)
  --coverage SHARE     the share of inputs the exit gate should answer (0..1)

  --bundle NAME        bundle under the model folder (default ${DEFAULT_BUNDLE})
  --models DIR         model folder (default ${DEFAULT_MODELS_DIR})
  --write              store the thresholds in the bundle's manifest.json (the test-set metrics
                       in the manifest go stale: refresh them with \`cleave eval --write\`)
`;

interface Chosen {
  exit: number;
  dual: number;
  exitCoverage: number;
  dualCoverage: number;
  accuracy: number;
}

/** The recipe's rule: the exit against the tail, then the dual stage on what the exit leaves. */
function perStage(o: BundleOutputs, name: string, target: CalibrationTarget): Chosen {
  const fn = scoreFunction(name);
  const labels = o.labels;
  const splitOk = o.splitPred.map((p, i) => p === labels[i]);
  const s = o.exit.map((p) => fn(p));
  const c = calibrateThreshold(
    s,
    o.exit.map((p, i) => argmax(p) === labels[i]),
    splitOk,
    target,
  );
  const n = labels.length;
  if (!o.dualA || !o.dualB) {
    return {
      exit: c.threshold,
      dual: NEVER,
      exitCoverage: c.coverage,
      dualCoverage: 0,
      accuracy: c.accuracy,
    };
  }
  const { dualA, dualB } = o;
  const rest = s.map((v, i) => (v < c.threshold ? i : -1)).filter((i) => i >= 0);
  const sa = rest.map((i) => fn(dualA[i]!));
  const sb = rest.map((i) => fn(dualB[i]!));
  const pred = rest.map((i, k) => argmax(sb[k]! > sa[k]! ? dualB[i]! : dualA[i]!));
  const drop = 'maxAccuracyDrop' in target ? (target.maxAccuracyDrop * 2) / 3 : 0.001;
  const d = rest.length
    ? calibrateThreshold(
        rest.map((_, k) => Math.max(sa[k]!, sb[k]!)),
        rest.map((i, k) => pred[k] === labels[i]),
        rest.map((i) => splitOk[i]!),
        { maxAccuracyDrop: (drop * n) / rest.length },
      )
    : { threshold: Number.POSITIVE_INFINITY, coverage: 0, accuracy: 0 };
  const dualCorrectGain = rest.length ? d.accuracy * rest.length - rest.filter((i) => splitOk[i]).length : 0;
  return {
    exit: c.threshold,
    dual: d.threshold,
    exitCoverage: c.coverage,
    dualCoverage: (d.coverage * rest.length) / n,
    accuracy: c.accuracy + dualCorrectGain / n,
  };
}

/** Both thresholds at once, for an accuracy target of the whole cascade. */
function joint(o: BundleOutputs, name: string, target: CascadeTarget): Chosen {
  const fn = scoreFunction(name);
  const stage = (probs: Float64Array[]) => ({ scores: probs.map((p) => fn(p)), pred: probs.map(argmax) });
  const c = calibrateCascade(
    {
      labels: o.labels,
      exit: stage(o.exit),
      ...(o.dualA && o.dualB ? { dualA: stage(o.dualA), dualB: stage(o.dualB) } : {}),
      fallbackPred: o.splitPred,
      ...(o.fullPred ? { referencePred: o.fullPred } : {}),
    },
    target,
  );
  return {
    exit: c.exitThreshold,
    dual: c.dualThreshold,
    exitCoverage: c.exitCoverage,
    dualCoverage: c.dualCoverage,
    accuracy: c.accuracy,
  };
}

export async function calibrateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      'max-drop': { type: 'string' },
      coverage: { type: 'string' },
      accuracy: { type: 'string' },
      'below-teacher': { type: 'string' },
      'standard-errors': { type: 'string', default: '1' },
      write: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(CALIBRATE_HELP);
    return 0;
  }
  const given = (['max-drop', 'coverage', 'accuracy', 'below-teacher'] as const).filter(
    (k) => values[k] !== undefined,
  );
  if (given.length > 1) {
    process.stderr.write(
      `cleave calibrate: choose one target, not ${given.map((k) => `--${k}`).join(' and ')}\n`,
    );
    return 2;
  }
  const flag = given[0] ?? 'max-drop';
  const raw = values[flag] ?? '0.15';
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    process.stderr.write(`cleave calibrate: --${flag} needs a non-negative number, got "${raw}"\n`);
    return 2;
  }
  const dir = join(values.models, values.bundle);
  const bundle = await loadBundle(dir);
  const m = bundle.manifest;
  if (flag === 'below-teacher' && !bundle.files.full) {
    process.stderr.write(`cleave calibrate: ${m.name} has no full.onnx to measure the teacher on\n`);
    return 2;
  }
  const data = await loadFashionMnist({ split: 'validation' });
  const o = await bundleOutputs(bundle, data);
  const correct = (pred: number[]) => pred.filter((p, i) => p === o.labels[i]).length / data.count;
  const teacher = o.fullPred ? correct(o.fullPred) : undefined;
  const split = correct(o.splitPred);
  const z = Number(values['standard-errors']);
  if (!Number.isFinite(z) || z < 0) {
    process.stderr.write('cleave calibrate: --standard-errors needs a non-negative number\n');
    return 2;
  }
  let target: CascadeTarget | undefined;
  if (flag === 'accuracy') target = { minAccuracy: value / 100, standardErrors: z };
  if (flag === 'below-teacher') target = { maxBelowReference: value / 100, standardErrors: z };
  const exitT: Record<string, number> = {};
  const dualT: Record<string, number> = {};
  const finite = (t: number) => (Number.isFinite(t) ? t : NEVER); // "never": above any score in [0, 1]
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const lines = ['score function   exit threshold  answers   dual threshold  answers  accuracy'];
  for (const name of scoreFunctionNames()) {
    const c =
      target !== undefined
        ? joint(o, name, target)
        : perStage(o, name, flag === 'coverage' ? { coverage: value } : { maxAccuracyDrop: value / 100 });
    exitT[name] = finite(c.exit);
    dualT[name] = finite(c.dual);
    lines.push(
      `${name.padEnd(16)} ${exitT[name]!.toFixed(6).padStart(15)} ${(c.exitCoverage * 100).toFixed(1).padStart(7)}% ${dualT[name]!.toFixed(6).padStart(15)} ${(c.dualCoverage * 100).toFixed(1).padStart(7)}% ${pct(c.accuracy).padStart(9)}`,
    );
  }
  const reference = [
    `tail ${pct(split)}`,
    ...(teacher !== undefined ? [`teacher ${pct(teacher)}`] : []),
    ...(flag === 'accuracy' ? [`target ${pct(value / 100)}`] : []),
    ...(flag === 'below-teacher' ? [`target ${pct(teacher! - value / 100)}`] : []),
    ...(target ? [`${z} standard error${z === 1 ? '' : 's'} of margin`] : []),
  ].join(', ');
  process.stdout.write(
    `${m.name}@${m.version} on the validation split (${data.count} images; ${reference})\n${lines.join('\n')}\n`,
  );

  if (values.write) {
    const path = join(dir, 'manifest.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    json.gates.exit.thresholds = exitT;
    if (o.dualA && json.gates.dual) json.gates.dual.thresholds = dualT;
    json.calibration.method = `cleave calibrate --${flag} ${raw}${target ? ` --standard-errors ${z}` : ''}`;
    writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
    await loadBundle(dir); // the result must still validate
    process.stdout.write(`thresholds written to ${path}\n`);
  }
  return 0;
}
