// `cleave eval`: a bundle's accuracy table on the 10,000 test images, measured here with ONNX
// Runtime and the TypeScript codec, with the gates set as the manifest says. The cascade follows
// the agent's routing: exit when sure, else dual A (B when A is unsure, the more confident wins),
// else the tail. `--write` refreshes the manifest's test metrics after `cleave calibrate --write`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadFashionMnist } from '@cleave/dataset';
import { evaluateCascade, NEVER, scoreFunction } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import { argmaxOf as argmax, bundleOutputs } from '../bundle-outputs.js';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR } from '../paths.js';

export const EVAL_HELP = `cleave eval [options]

Measures a bundle on the Fashion-MNIST test split (10,000 images): teacher, split (through the
codec), exit, dual CNNs, and the cascade with the manifest's thresholds.

  --bundle NAME   bundle under the model folder (default ${DEFAULT_BUNDLE})
  --models DIR    model folder (default ${DEFAULT_MODELS_DIR})
  --limit N       only the first N test images
  --json          print the metrics as JSON
  --write         store the measured accuracies and coverages in the manifest's metrics
`;

export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      write: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(EVAL_HELP);
    return 0;
  }
  const dir = join(values.models, values.bundle);
  const bundle = await loadBundle(dir);
  const m = bundle.manifest;
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  const data = await loadFashionMnist({ split: 'test', ...(limit ? { limit } : {}) });
  const o = await bundleOutputs(bundle, data);
  const n = data.count;
  const acc = (pred: ArrayLike<number>) => Array.from(pred).filter((p, i) => p === o.labels[i]).length / n;
  const fnName = m.gates.exit.default;
  const fn = scoreFunction(fnName);
  const exitT = m.gates.exit.thresholds[fnName] ?? NEVER;
  const dualT = m.gates.dual?.thresholds[fnName] ?? NEVER;
  const stage = (probs: Float64Array[]) => ({ scores: probs.map((p) => fn(p)), pred: probs.map(argmax) });
  const exit = stage(o.exit);
  const dual = o.dualA && o.dualB ? { dualA: stage(o.dualA), dualB: stage(o.dualB) } : {};
  const base = { labels: o.labels, exit, fallbackPred: o.splitPred };
  const exitCascade = evaluateCascade(base, exitT, NEVER);
  const cascade = evaluateCascade({ ...base, ...dual }, exitT, dualT);
  const exitAnswered = exit.scores.map((s, i) => (s >= exitT ? i : -1)).filter((i) => i >= 0);
  const accuracy: Record<string, number> = { split: acc(o.splitPred) };
  if (o.hasExit) accuracy.exit = acc(exit.pred);
  if (o.fullPred) accuracy.full = acc(o.fullPred);
  if (dual.dualA && dual.dualB) {
    const { dualA: a, dualB: b } = dual;
    accuracy['dual-a'] = acc(a.pred);
    accuracy['dual-b'] = acc(b.pred);
    accuracy['dual-ab'] = acc(a.pred.map((p, i) => (b.scores[i]! > a.scores[i]! ? b.pred[i]! : p)));
  }
  accuracy['exit-cascade'] = exitCascade.accuracy;
  accuracy.cascade = cascade.accuracy;
  const metrics = {
    accuracy,
    exitCoverage: exitCascade.exitCoverage,
    exitAnsweredAccuracy: exitAnswered.length
      ? exitAnswered.filter((i) => exit.pred[i] === o.labels[i]).length / exitAnswered.length
      : 0,
    dualCoverage: cascade.dualCoverage,
    deviceCoverage: cascade.deviceCoverage,
  };
  if (values.json)
    process.stdout.write(
      `${JSON.stringify({ bundle: `${m.name}@${m.version}`, images: n, ...metrics, meanFrameBytesOnTest: o.meanFrameBytes }, null, 2)}\n`,
    );
  else {
    const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
    const rows = Object.entries(accuracy).map(([k, v]) => `  ${k.padEnd(14)} ${pct(v)}`);
    process.stdout.write(
      `${m.name}@${m.version} on ${n} test images (gate ${fnName}: exit ${exitT.toFixed(4)}, dual ${dualT.toFixed(4)})\n` +
        `${rows.join('\n')}\n  on device      ${pct(metrics.deviceCoverage)} (exit ${pct(metrics.exitCoverage)}, dual ${pct(metrics.dualCoverage)})\n` +
        `  mean frame     ${o.meanFrameBytes.toFixed(1)} B\n`,
    );
  }
  if (values.write) {
    if (limit !== undefined) throw new Error('--write needs the whole test split; drop --limit');
    const path = join(dir, 'manifest.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    json.metrics = { ...json.metrics, ...metrics, accuracy: { ...json.metrics.accuracy, ...accuracy } };
    writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
    await loadBundle(dir);
    process.stdout.write(`metrics written to ${path}\n`);
  }
  return 0;
}
