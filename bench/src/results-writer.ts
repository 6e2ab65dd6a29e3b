// Assembles results.json from the runs, checks it against the schema, and writes it with
// report.md and the SVG plots.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { CDF_POINTS } from './accounting.js';
import type { Emulation } from './bench-link.js';
import type { BenchConfig } from './bench-options.js';
import type { ModelCosts } from './compute-costs.js';
import { ciMustShow, latencyMustShow, policyMustShow, rateMustShow, scaleMustShow } from './goal-verdicts.js';
import type { NaiveSplit } from './naive-split.js';
import { REPO_ROOT } from './paths.js';
import type { AccuracyRun } from './records.js';
import { buildRegimes, type LinkRuns } from './regimes.js';
import { renderReport } from './report-md.js';
import { type Results, ResultsSchema, type ScaleRun } from './results-schema.js';
import type { SplitSweep } from './split-sweep.js';
import type { StrategyPlan } from './strategy-list.js';
import { energyBarsSvg, latencyCdfSvg, linesSvg, rateAccuracySvg } from './svg.js';

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

export const METHODS = {
  latency:
    'measured: capture to answer over the emulated link with the cloud in its own process; the on-device work measured in the request is replaced by that work on the device: the models and codecs that ran at their timed batch-1 cost, × the speed factor (device compute is scaled, not emulated; that part is estimated)',
  compute:
    'estimated: the models and codecs (feature encoder, lossless WebP) that ran on the device, at their batch-1 times measured here (the median of 5 rounds over 200 validation images, models interleaved, each on one idle worker; codecs 3 rounds), × the profile speed factor × P_idle + (P_max − P_idle)/4 (docs/energy.md device profiles)',
  radio:
    'modeled: the link radio model (Huang et al. 2012; ethernet for edge-lan) over the offloads as they left, with the gRPC bytes sent and received and transfer times at the link rate; the run is charged as one period of a camera that keeps going (promotion and tails shared across periods)',
  accuracy:
    'camera runs: the answers on that run’s images; rate/accuracy pass: every answer on the first N test images (class-balanced), local answers count 0 bytes',
  energyScope:
    'device energy only: the cloud’s compute is not charged to the device, nor image capture; the cache run streams every image twice (shuffled) and is not compared with the others',
};

export function writeResults(o: {
  cfg: BenchConfig;
  date: string;
  outDir: string;
  policy: { name: string; why: string };
  costs: ModelCosts;
  plan: StrategyPlan;
  emulation: Emulation;
  naive: NaiveSplit | { error: string };
  sweep: SplitSweep | { error: string } | null;
  accuracy: readonly AccuracyRun[];
  linkRuns: readonly (LinkRuns & { shaper: Results['links'][number]['shaper']; wallSeconds: number })[];
  scale: ScaleRun[] | null;
  rawInputBytes: number;
  runSeconds: number;
}): { results: Results; summary: string } {
  const { cfg } = o;
  const regimes = buildRegimes(o.linkRuns, cfg.devices, o.costs, o.plan.info);
  const accuracy = o.accuracy.map((a) => ({
    strategy: a.strategy,
    requests: a.requests,
    accuracy: a.correct / a.requests,
    bytesUpPerInference: a.bytesUp / a.requests,
    offloadShare: a.offloads / a.requests,
    degraded: a.degraded,
    bySource: a.bySource,
    wallMs: a.wallMs,
  }));
  // The cascade the latency must-show is checked on: the SLO's bundle (chosen from the manifests
  // before the run, by policyBundle), so one configuration answers for rate and latency.
  const latencyCascade = cfg.cascadeBundles.includes(o.policy.name) ? o.policy.name : cfg.cascadeBundles[0]!;
  const notes = [
    'Edge, cloud and (with the shaper) the link share one machine; other work on it shows in the latencies. Timings are compared within this run.',
    "Full offload goes to the teacher's full model on `cleave serve --serve-full` (`<name>:full` over the same SplitInference InferStream), in a process of its own with no dynamic batching.",
    'dir' in o.naive
      ? `Naive split: full.onnx cut by @cleave/graph's splitModel (\`cleave split\`) at ${o.naive.tensor} [${o.naive.featureDims.join(', ')}], the deepest valid cut the bottleneck heads also compute; 8-bit per-channel quantisation and static rANS tables from ${o.naive.calibrationImages} validation images (${o.naive.meanFrameBytes.toFixed(0)} B per frame there, top-1 agreement with full.onnx ${(o.naive.agreement * 100).toFixed(1)}%); served by \`cleave serve\` like the other bundles.`
      : `Naive split not run: ${o.naive.error}`,
  ];
  const results: Results = {
    schema: 'cleave-bench/1',
    date: o.date,
    commit: git(['rev-parse', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain']) !== '',
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memGiB: totalmem() / 2 ** 30,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverage: loadavg(),
    },
    settings: {
      quick: cfg.quick,
      links: cfg.links,
      devices: cfg.devices,
      runs: cfg.runs,
      accuracyImages: cfg.accuracyImages,
      concurrency: cfg.concurrency,
      slo: cfg.slo,
      warmup: cfg.warmup,
      idleMs: cfg.idleMs,
      timeoutMs: cfg.timeoutMs,
      emulation: cfg.emulation,
      bundles: cfg.bundles,
      cascadeBundles: cfg.cascadeBundles,
      cacheBundle: cfg.cacheBundle,
      policyBundle: o.policy,
      scale: cfg.scale,
    },
    emulation: o.emulation,
    methods: METHODS,
    costs: o.costs,
    strategies: o.plan.info,
    accuracy,
    rawInputBytes: o.rawInputBytes,
    links: o.linkRuns.map((l) => ({
      link: l.profile,
      shaper: l.shaper,
      wallSeconds: l.wallSeconds,
      plans: l.runs
        .filter((r) => r.plans)
        .map((r) => ({ strategy: r.strategy, fps: r.fps, changes: r.plans! })),
    })),
    regimes,
    scale: o.scale
      ? {
          runs: o.scale,
          note: `Each virtual agent is its own gRPC connection and InferStream (as separate devices), keeping ${cfg.scale?.inFlightPerAgent} request(s) in flight with real ${cfg.cacheBundle} frames, against one \`cleave serve\` (2 tail workers) on loopback, without link emulation; load generator and server share this machine.`,
        }
      : null,
    splitSweep:
      o.sweep && 'cuts' in o.sweep
        ? {
            included: true,
            reason: `${o.sweep.model}; every valid cut with 8-bit features (bytes of real frames of 16 upscaled validation images), head and tail timed at batch 1 here (@cleave/graph profileCuts); latency = head × speed factor + transfer + RTT + tail here, energy = head compute + radio (predictCuts); ${o.sweep.link}`,
            sweep: o.sweep,
          }
        : {
            included: false,
            reason: o.sweep ? `Not run: ${o.sweep.error}` : 'Not run in this configuration (--quick).',
          },
    mustShows: {
      rate: rateMustShow(accuracy, cfg.cascadeBundles, o.rawInputBytes),
      policy: policyMustShow(regimes),
      latency: latencyMustShow(regimes, latencyCascade),
      scale: scaleMustShow(o.scale),
      ci: ciMustShow(cfg.quick, o.runSeconds),
    },
    notes,
    runSeconds: o.runSeconds,
  };
  ResultsSchema.parse(results);
  writeFileSync(join(o.outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const plots: string[] = [];
  const plot = (name: string, body: string) => {
    writeFileSync(join(o.outDir, name), body);
    plots.push(name);
  };
  if (accuracy.length)
    plot(
      'rate-accuracy.svg',
      rateAccuracySvg(
        accuracy.map((a) => ({ label: a.strategy, bytes: a.bytesUpPerInference, accuracy: a.accuracy })),
      ),
    );
  const device = cfg.devices.includes('rpi4') ? 'rpi4' : cfg.devices[0]!;
  const fps = cfg.runs.some((r) => r.fps === 10) ? 10 : cfg.runs[0]!.fps;
  for (const g of regimes.filter((r) => r.device === device && r.fps === fps)) {
    const where = `${g.link}, ${device}, F = ${fps}`;
    plot(
      `latency-cdf-${g.link}.svg`,
      latencyCdfSvg(
        `Latency CDF (${where})`,
        CDF_POINTS,
        g.strategies.map((s) => ({ label: s.strategy, ms: s.cdf })),
      ),
    );
    plot(
      `energy-${g.link}.svg`,
      energyBarsSvg(
        `Energy per inference (${where})`,
        g.strategies.map((s) => ({
          label: s.strategy,
          compute: s.energyMj.compute,
          radio: s.energyMj.radio,
        })),
      ),
    );
  }
  const sw = results.splitSweep.sweep;
  const swDev = sw?.devices[device];
  if (sw && swDev) {
    const labels = sw.cuts.map((c) => `${c.name} (${(c.frameBytes / 1024).toFixed(1)} KiB)`);
    const x = 'link bandwidth, Mbit/s (log)';
    plot(
      'split-sweep-latency.svg',
      linesSvg(
        `ResNet-18 split points: latency on ${device}`,
        { x, y: 'latency, ms (log)' },
        sw.bandwidthsMbit,
        swDev.latencyMs.map((ys, k) => ({ label: labels[k]!, ys })),
      ),
    );
    plot(
      'split-sweep-energy.svg',
      linesSvg(
        `ResNet-18 split points: device energy on ${device}`,
        { x, y: 'energy per inference, mJ (log)' },
        sw.bandwidthsMbit,
        swDev.energyMj.map((ys, k) => ({ label: labels[k]!, ys })),
      ),
    );
  }
  writeFileSync(join(o.outDir, 'report.md'), renderReport(results, plots));
  const m = results.mustShows;
  const line = (k: string, x: { met: boolean | null; summary: string }) =>
    `  ${k.padEnd(8)} ${x.met === null ? 'not checked' : x.met ? 'met' : 'NOT MET'}: ${x.summary}\n`;
  const summary =
    `cleave bench: ${regimes.length} regimes, emulation ${o.emulation.kind}, ${(o.runSeconds / 60).toFixed(1)} min\n` +
    line('rate', m.rate) +
    line('policy', m.policy) +
    line('latency', m.latency) +
    line('scale', m.scale) +
    line('ci', m.ci) +
    `  report: ${join(o.outDir, 'report.md')}\n`;
  return { results, summary };
}
