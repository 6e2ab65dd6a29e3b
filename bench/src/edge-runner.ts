// `cleave bench edge --spec FILE --out FILE`: the edge side of the benchmark, run by the
// orchestrator as a child process (in the edge's network namespace under netem). Camera mode
// runs each strategy in turn on the same test images, as a camera at F frames per second: frame
// k is captured at k/F s whatever the earlier frames are doing, and its latency runs from capture
// to answer. Accuracy mode runs each strategy over many test images as fast as it goes.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ImageSet, imageAt, loadFashionMnist } from '@cleave/dataset';
import type { Plan } from '@cleave/edge-agent';
import { type Bundle, loadBundle } from '@cleave/models';
import { createPolicyExecutor, type PolicyExecutor } from './adaptive-policy.js';
import {
  createAgentExecutor,
  createLocalExecutor,
  createOffloadExecutor,
  type Executor,
  type Outcome,
} from './executors.js';
import {
  type AccuracyRun,
  type CameraRun,
  type EdgeOutput,
  type EdgeSpec,
  EdgeSpecSchema,
  type RequestRecord,
  type StrategySpec,
} from './records.js';
import { requestOrder } from './request-order.js';
import { runWithConcurrency } from './run-with-concurrency.js';

async function makeExecutor(
  spec: EdgeSpec,
  s: StrategySpec,
  teacher: Bundle,
  runStart: () => number,
): Promise<Executor | PolicyExecutor> {
  const { targets, timeoutMs } = spec;
  switch (s.kind) {
    case 'local':
      return createLocalExecutor(teacher);
    case 'offload':
      return createOffloadExecutor(teacher, targets.full, s.format, timeoutMs, runStart);
    case 'agent':
      return createAgentExecutor(s, targets.tail, timeoutMs, runStart);
    case 'policy':
    case 'plan':
      return createPolicyExecutor({
        bundleDir: spec.policyBundleDir,
        teacher,
        target: targets.tail,
        inputTarget: targets.full,
        timeoutMs,
        slo: spec.slo,
        device: s.kind === 'policy' ? s.device : 'rpi4',
        radio: spec.link?.radio ?? 'ethernet',
        costs: spec.costs,
        runStart,
        ...(s.kind === 'plan' ? { fixedPlan: s.plan as Plan } : {}),
      });
  }
}

const duplicateOf = (s: StrategySpec) => (s.kind === 'agent' ? s.duplicate : 1);

/** Frame k is captured at k/F s; each request starts at its capture, whatever came before. */
export async function runCamera(
  order: readonly number[],
  fps: number,
  task: (image: number, startMs: number) => Promise<Outcome>,
): Promise<{ records: Omit<RequestRecord, 'truth'>[]; wallMs: number; start: number }> {
  const period = 1000 / fps;
  const start = performance.now();
  const pending: Promise<Omit<RequestRecord, 'truth'>>[] = [];
  for (let k = 0; k < order.length; k++) {
    const at = start + k * period;
    const wait = at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const image = order[k]!;
    pending.push(
      task(image, performance.now()).then((o) => ({
        ...o,
        image,
        captureMs: at - start,
        latencyMs: performance.now() - at,
      })),
    );
  }
  const records = await Promise.all(pending);
  return { records, wallMs: performance.now() - start, start };
}

/** Warm-up images: loaded once per process, the same before every strategy. */
async function warmUp(ex: Executor, warm: ImageSet): Promise<void> {
  for (let k = 0; k < warm.count; k++) await ex.infer(imageAt(warm, k), performance.now());
}

async function cameraRuns(spec: EdgeSpec, teacher: Bundle, log: (s: string) => void): Promise<CameraRun[]> {
  const out: CameraRun[] = [];
  // From the validation split: never the test images a run measures (nor caches).
  const warm = await loadFashionMnist({ split: 'validation', limit: spec.warmup });
  for (const run of spec.runs) {
    const data = await loadFashionMnist({ split: 'test', limit: run.images });
    for (const s of spec.strategies) {
      let runStart = performance.now();
      const ex = await makeExecutor(spec, s, teacher, () => runStart);
      try {
        // Not recorded: connections open, sessions warm (the policy's link estimate starts here).
        await warmUp(ex, warm);
        // A quiet moment so the warm-up's transfers do not share the run's link queue.
        await new Promise((r) => setTimeout(r, spec.idleMs));
        const order = requestOrder(data.count, duplicateOf(s));
        runStart = performance.now();
        ex.startRun?.();
        const cam = await runCamera(order, run.fps, (k, t) => ex.infer(imageAt(data, k), t));
        const requests = cam.records.map((r) => ({ ...r, truth: data.labels[r.image]! }));
        const plans = 'plans' in ex ? ex.plans : undefined;
        out.push({ strategy: s.id, fps: run.fps, wallMs: cam.wallMs, requests, ...(plans ? { plans } : {}) });
        const ok = requests.filter((r) => r.label === r.truth).length;
        log(`${spec.link?.name ?? '-'} F=${run.fps} ${s.id}: ${requests.length} frames, ${ok} right`);
      } finally {
        await ex.close();
      }
    }
  }
  return out;
}

async function accuracyRuns(
  spec: EdgeSpec,
  teacher: Bundle,
  log: (s: string) => void,
): Promise<AccuracyRun[]> {
  const data = await loadFashionMnist({ split: 'test', limit: spec.accuracyImages });
  const out: AccuracyRun[] = [];
  for (const s of spec.strategies) {
    const t0 = performance.now();
    const ex = await makeExecutor(spec, s, teacher, () => t0);
    try {
      const order = requestOrder(data.count, duplicateOf(s));
      const results = await runWithConcurrency(order.length, spec.concurrency, (j) =>
        ex.infer(imageAt(data, order[j]!), performance.now()),
      );
      const bySource: Record<string, number> = {};
      let correct = 0;
      let bytesUp = 0;
      let offloads = 0;
      let degraded = 0;
      results.forEach((r, j) => {
        bySource[r.source] = (bySource[r.source] ?? 0) + 1;
        if (r.label === data.labels[order[j]!]) correct++;
        bytesUp += r.bytesUp;
        if (r.bytesUp > 0) offloads++;
        if (r.degraded) degraded++;
      });
      const wallMs = performance.now() - t0;
      out.push({
        strategy: s.id,
        requests: results.length,
        correct,
        bytesUp,
        offloads,
        degraded,
        bySource,
        wallMs,
      });
      log(`accuracy ${s.id}: ${((correct / results.length) * 100).toFixed(2)}% of ${results.length}`);
    } finally {
      await ex.close();
    }
  }
  return out;
}

export async function edgeCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { spec: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.spec || !values.out) throw new Error('cleave bench edge --spec FILE --out FILE');
  const spec = EdgeSpecSchema.parse(JSON.parse(readFileSync(values.spec, 'utf8')));
  const teacher = await loadBundle(spec.teacherBundleDir);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const output: EdgeOutput = {
    camera: spec.mode === 'camera' ? await cameraRuns(spec, teacher, log) : [],
    accuracy: spec.mode === 'accuracy' ? await accuracyRuns(spec, teacher, log) : [],
    notes: [],
  };
  writeFileSync(values.out, JSON.stringify(output));
  return 0;
}
