// `cleave bench run` (npm run bench): the orchestrator. It times the device models, sets up the
// link (netem in namespaces, else the shaper), starts the cloud (`cleave serve` for the tails, and
// `cleave serve --serve-full` for the teacher) in the cloud's namespace, runs the edge as a child process
// in the edge's namespace — once without emulation for the rate/accuracy pass, then once per
// link for the camera runs — then the scale runs, and writes results.json, report.md and plots.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { loadBundle } from '@cleave/models';
import { type BenchLink, createBenchLink } from './bench-link.js';
import { BENCH_HELP, type BenchConfig, parseBenchOptions } from './bench-options.js';
import { type CleaveLauncher, startAll } from './children.js';
import { measureCodecCosts, measureModelCosts } from './compute-costs.js';
import { normalise } from './executors.js';
import { LINK_PROFILES } from './link-profiles.js';
import { makeNaiveSplit, NAIVE_BUNDLE, type NaiveSplit } from './naive-split.js';
import { REPO_ROOT } from './paths.js';
import { type EdgeOutput, EdgeOutputSchema, type EdgeSpec } from './records.js';
import type { LinkRuns } from './regimes.js';
import { writeResults } from './results-writer.js';
import { runScale } from './scale.js';
import { runSplitSweep, type SplitSweep } from './split-sweep.js';
import { policyBundle, strategyPlan } from './strategy-list.js';

async function runEdge(
  cleave: CleaveLauncher,
  link: BenchLink,
  spec: EdgeSpec,
  log: (line: string) => void,
  timeoutMs: number,
): Promise<EdgeOutput> {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-bench-edge-'));
  try {
    const specFile = join(dir, 'spec.json');
    const outFile = join(dir, 'out.json');
    writeFileSync(specFile, JSON.stringify(spec));
    await cleave.run(link.edgePrefix, ['bench', 'edge', '--spec', specFile, '--out', outFile], {
      timeoutMs,
      onLine: log,
    });
    return EdgeOutputSchema.parse(JSON.parse(readFileSync(outFile, 'utf8')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `cleave bench run`; `cleave` starts the CLI's own processes (the server, the edge runner). */
export async function benchRun(argv: string[], cleave: CleaveLauncher): Promise<number> {
  const parsed = parseBenchOptions(argv);
  if (parsed === 'help') {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const cfg: BenchConfig = parsed;
  const started = performance.now();
  const date = new Date().toISOString();
  const outDir = cfg.out ?? join(REPO_ROOT, 'bench-results', date.replace(/[:.]/g, '-'));
  mkdirSync(outDir, { recursive: true });
  const log = (line: string) =>
    process.stderr.write(
      `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
    );

  const all = await Promise.all(cfg.bundles.map((b) => loadBundle(join(cfg.modelsDir, b))));
  const policy = policyBundle(
    all.map((b) => b.manifest),
    cfg.slo,
  );
  const teacherDir = join(cfg.modelsDir, policy.name);
  log(`policy bundle: ${policy.why}`);

  const sample = await loadFashionMnist({ split: 'validation', limit: 200 });
  const pixels = Array.from({ length: sample.count }, (_, i) => imageAt(sample, i));
  const images = pixels.map((p) => normalise(all[0]!, p));
  // The models folder `cleave serve` gets: the shipped bundles (linked) and the naive split.
  const served = mkdtempSync(join(tmpdir(), 'cleave-bench-models-'));
  for (const b of cfg.bundles) symlinkSync(join(cfg.modelsDir, b), join(served, b));
  let naive: NaiveSplit | { error: string };
  try {
    naive = await makeNaiveSplit(await loadBundle(teacherDir), served, 256);
    log(
      `naive split: ${naive.tensor} [${naive.featureDims.join(', ')}] at 8 bits, ${naive.meanFrameBytes.toFixed(0)} B/frame`,
    );
  } catch (error) {
    naive = { error: (error as Error).message };
    log(`naive split not available: ${naive.error}`);
  }
  const naiveBundle = 'dir' in naive ? await loadBundle(naive.dir) : null;
  const costs = {
    ...(await measureModelCosts(all, images)),
    ...(naiveBundle ? await measureModelCosts([naiveBundle], images, ['head']) : {}),
    ...(await measureCodecCosts(naiveBundle ? [...all, naiveBundle] : all, images, pixels)),
  };
  log(
    `device models timed here: ${Object.entries(costs)
      .map(([k, v]) => `${k} ${v.toFixed(3)} ms`)
      .join(', ')}`,
  );

  const plan = strategyPlan({
    modelsDir: cfg.modelsDir,
    bundles: cfg.bundles,
    cascadeBundles: cfg.cascadeBundles,
    cacheBundle: cfg.cacheBundle,
    devices: cfg.devices,
    naiveBundleDir: 'dir' in naive ? naive.dir : null,
  });
  const base = {
    runs: [],
    accuracyImages: cfg.accuracyImages,
    concurrency: cfg.concurrency,
    modelsDir: cfg.modelsDir,
    teacherBundleDir: teacherDir,
    policyBundleDir: teacherDir,
    costs,
    slo: cfg.slo,
    timeoutMs: cfg.timeoutMs,
    warmup: cfg.warmup,
    idleMs: cfg.idleMs,
  };

  const link = await createBenchLink(cfg.emulation, LINK_PROFILES[cfg.links[0]!]);
  log(`link emulation: ${link.emulation.kind} — ${link.emulation.reason}`);
  let accuracy: EdgeOutput['accuracy'] = [];
  const linkRuns: (LinkRuns & { shaper: ReturnType<BenchLink['stats']>; wallSeconds: number })[] = [];
  try {
    // Each `cleave serve` in the cloud's namespace, gRPC only, one worker.
    const serve = (...args: string[]) =>
      cleave.startServer(link.cloudPrefix, [
        'serve',
        ...['--host', link.cloudBindHost, '--port', '0', '--no-http', '--workers', '1'],
        ...args,
      ]);
    const bundles = [...cfg.bundles, ...('dir' in naive ? [NAIVE_BUNDLE] : [])];
    // The tails, and the teacher for the full-offload strategies: `cleave serve --serve-full` in a
    // process of its own, unbatched (at a camera's rate every batch would be 1), answering
    // `<name>:full`. Both start at once; nothing is measured until both are up.
    const [tail, full] = await startAll([
      serve('--models', served, ...bundles.flatMap((b) => ['--model', b])),
      serve('--no-batching', '--serve-full', '--models', cfg.modelsDir, '--model', policy.name),
    ]);
    try {
      const targets = async () => ({
        tail: await link.endpoint(tail.ready.port),
        full: await link.endpoint(full.ready.port),
      });
      await link.apply(null);
      log(`rate/accuracy pass: ${cfg.accuracyImages} images × ${plan.accuracy.length} strategies`);
      accuracy = (
        await runEdge(
          cleave,
          link,
          { ...base, mode: 'accuracy', link: null, strategies: plan.accuracy, targets: await targets() },
          log,
          60 * 60_000,
        )
      ).accuracy;
      for (const name of cfg.links) {
        const profile = LINK_PROFILES[name];
        await link.apply(profile);
        const t0 = performance.now();
        const perRun = cfg.runs.reduce((s, r) => s + r.images / r.fps + 15, 0);
        const out = await runEdge(
          cleave,
          link,
          {
            ...base,
            mode: 'camera',
            link: profile,
            runs: cfg.runs,
            strategies: plan.camera,
            targets: await targets(),
          },
          log,
          (perRun * plan.camera.length * 2 + 600) * 1000,
        );
        linkRuns.push({
          profile,
          runs: out.camera,
          shaper: link.stats(),
          wallSeconds: (performance.now() - t0) / 1000,
        });
      }
    } finally {
      await tail.stop();
      await full.stop();
    }
  } finally {
    await link.close();
    rmSync(served, { recursive: true, force: true });
  }

  let sweep: SplitSweep | { error: string } | null = null;
  if (cfg.splitSweep) {
    try {
      sweep = await runSplitSweep(cfg.devices, log);
    } catch (error) {
      sweep = { error: (error as Error).message.split('\n')[0]! };
      log(`split sweep not run: ${sweep.error}`);
    }
  }
  const scale = cfg.scale
    ? await runScale({ cleave, modelsDir: cfg.modelsDir, bundle: cfg.cacheBundle, ...cfg.scale, log })
    : null;
  const written = writeResults({
    cfg,
    date,
    outDir,
    policy,
    costs,
    plan,
    emulation: link.emulation,
    naive,
    sweep,
    accuracy,
    linkRuns,
    scale,
    rawInputBytes: ((src) => src.width * src.height * src.channels)(all[0]!.manifest.input.source),
    runSeconds: (performance.now() - started) / 1000,
  });
  log(`written to ${outDir}`);
  process.stdout.write(written.summary);
  return 0;
}
