// `cleave calibrate`: re-derives a bundle's gate thresholds on the validation split (never the
// test set), for a target accuracy drop or a target share answered on the device.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadFashionMnist } from '@cleave/dataset';
import {
  type CalibrationTarget,
  calibrateThreshold,
  scoreFunction,
  scoreFunctionNames,
  softmax,
} from '@cleave/edge-agent';
import {
  bundleCodec,
  bundleSessionModels,
  createSessionPool,
  loadBundle,
  type SessionPool,
} from '@cleave/models';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR } from '../paths.js';

export const CALIBRATE_HELP = `cleave calibrate [options]

Runs the bundle's head, tail (through the codec) and dual CNNs on the validation split and
chooses, for every score function, the exit threshold and the dual threshold.

  --bundle NAME        bundle under the model folder (default ${DEFAULT_BUNDLE})
  --models DIR         model folder (default ${DEFAULT_MODELS_DIR})
  --max-drop PT        largest accuracy loss allowed against the tail, in points (default 0.15)
  --coverage SHARE     instead: the share of inputs the exit gate should answer (0..1)
  --write              store the thresholds in the bundle's manifest.json
`;

const BATCH = 500;

function logitsOf(pool: SessionPool, key: string, input: string, x: Float32Array, dims: number[]) {
  return pool.run(key, { [input]: { data: x, dims } });
}

export async function calibrateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      'max-drop': { type: 'string', default: '0.15' },
      coverage: { type: 'string' },
      write: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(CALIBRATE_HELP);
    return 0;
  }
  const dir = join(values.models, values.bundle);
  const bundle = await loadBundle(dir);
  const m = bundle.manifest;
  const target: CalibrationTarget =
    values.coverage !== undefined
      ? { coverage: Number(values.coverage) }
      : { maxAccuracyDrop: Number(values['max-drop']) / 100 };
  const data = await loadFashionMnist({ split: 'validation' });
  const { scale, mean, std } = m.input.normalization;
  const hasDual = bundle.files['dual-a'] !== undefined && bundle.files['dual-b'] !== undefined;
  const pool = createSessionPool({
    models: bundleSessionModels(bundle, {
      roles: hasDual ? ['head', 'tail', 'dual-a', 'dual-b'] : ['head', 'tail'],
    }),
  });
  const codec = bundleCodec(bundle);
  const classes = m.labels.length;
  const exit: Float64Array[] = [];
  const dualA: Float64Array[] = [];
  const dualB: Float64Array[] = [];
  const split: number[] = [];
  try {
    await pool.ready;
    const perImage = m.input.shape.reduce((a, b) => a * b, 1);
    for (let start = 0; start < data.count; start += BATCH) {
      const n = Math.min(BATCH, data.count - start);
      const x = Float32Array.from(
        data.images.subarray(start * perImage, (start + n) * perImage),
        (p) => (p * scale - mean[0]!) / std[0]!,
      );
      const dims = [n, ...m.input.shape];
      const head = await logitsOf(pool, 'head', bundle.files.head.spec.inputs[0]!.name, x, dims);
      const feats = head[m.bottleneck.tensor]!.data;
      const deq = new Float32Array(feats.length);
      // Through the real codec, so the tail sees exactly what a served frame would give it.
      for (let i = 0; i < n; i++) {
        const sample = feats.subarray(i * codec.elementCount, (i + 1) * codec.elementCount);
        deq.set(codec.decode(codec.encode(sample)).features, i * codec.elementCount);
      }
      const tail = await pool.run('tail', {
        [bundle.files.tail.spec.inputs[0]!.name]: { data: deq, dims: [n, ...m.bottleneck.shape] },
      });
      for (let i = 0; i < n; i++) {
        exit.push(softmax(head.exit_logits!.data.subarray(i * classes, (i + 1) * classes)));
        const row = tail.logits!.data.subarray(i * classes, (i + 1) * classes);
        split.push(row.indexOf(Math.max(...row)));
      }
      if (hasDual) {
        const a = await logitsOf(pool, 'dual-a', bundle.files['dual-a']!.spec.inputs[0]!.name, x, dims);
        const b = await logitsOf(pool, 'dual-b', bundle.files['dual-b']!.spec.inputs[0]!.name, x, dims);
        for (let i = 0; i < n; i++) {
          dualA.push(softmax(a.logits!.data.subarray(i * classes, (i + 1) * classes)));
          dualB.push(softmax(b.logits!.data.subarray(i * classes, (i + 1) * classes)));
        }
      }
    }
  } finally {
    await pool.close();
  }

  const argmax = (p: Float64Array) => p.indexOf(Math.max(...p));
  const labels = data.labels;
  const splitOk = split.map((p, i) => p === labels[i]);
  const exitOk = exit.map((p, i) => argmax(p) === labels[i]);
  const exitT: Record<string, number> = {};
  const dualT: Record<string, number> = {};
  const finite = (t: number) => (Number.isFinite(t) ? t : 1 + 1e-9); // "never": above any score in [0, 1]
  const lines = ['score function   exit threshold  answers  accuracy   dual threshold  answers'];
  for (const name of scoreFunctionNames()) {
    const fn = scoreFunction(name);
    const s = exit.map((p) => fn(p));
    const c = calibrateThreshold(s, exitOk, splitOk, target);
    exitT[name] = finite(c.threshold);
    let dualLine = '              -        -';
    if (hasDual) {
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
            { maxAccuracyDrop: (drop * data.count) / rest.length },
          )
        : { threshold: Number.POSITIVE_INFINITY, coverage: 0 };
      dualT[name] = finite(d.threshold);
      dualLine = `${dualT[name]!.toFixed(6).padStart(15)} ${(((d.coverage * rest.length) / data.count) * 100).toFixed(1).padStart(7)}%`;
    }
    lines.push(
      `${name.padEnd(16)} ${exitT[name]!.toFixed(6).padStart(15)} ${(c.coverage * 100).toFixed(1).padStart(7)}% ${(c.accuracy * 100).toFixed(2).padStart(8)}% ${dualLine}`,
    );
  }
  process.stdout.write(
    `${m.name}@${m.version} on the validation split (${data.count} images)\n${lines.join('\n')}\n`,
  );
  if (values.write) {
    const path = join(dir, 'manifest.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    json.gates.exit.thresholds = exitT;
    if (hasDual && json.gates.dual) json.gates.dual.thresholds = dualT;
    json.calibration.method = `cleave calibrate ${'coverage' in target ? `--coverage ${target.coverage}` : `--max-drop ${values['max-drop']}`}`;
    writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
    await loadBundle(dir); // the result must still validate
    process.stdout.write(`thresholds written to ${path}\n`);
  }
  return 0;
}
