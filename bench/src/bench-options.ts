// `cleave bench run` options: the full run's defaults, and the `--quick` subset CI runs.
import { parseArgs } from 'node:util';
import type { EmulationMode } from './bench-link.js';
import { BENCH_DEVICES, deviceProfile } from './device-model.js';
import { isLinkName, LINK_NAMES, type LinkName } from './link-profiles.js';
import { DEFAULT_MODELS_DIR } from './paths.js';

export const BENCH_HELP = `cleave bench [run] [options]      (npm run bench)

Every strategy on the same test images over emulated links (netem in network namespaces, or
the in-process shaper), for each link × device × camera rate; the rate–accuracy pass; N agents
against one cleave serve. Writes bench-results/<timestamp>/{results.json,report.md,*.svg}.

  --quick                 the CI subset (≤ 3 min): lte and 3g, F = 10 on 20 images, two bundles
                          (fmnist-c4b2, fmnist-late-c8b3, whose cascade and cache are run),
                          rpi4, 300 images in the accuracy pass, N ≤ 100 (1.5 s each after
                          1 s of warm-up), no split sweep
  --links LIST            edge-lan,wifi,lte,3g (default all)
  --devices LIST          jetson-orin-nano,rpi4,rpi5 (default all)
  --fps LIST              camera rates (default 1,10,30)
  --images N              test images per camera run (default 20 at 1 fps, 200 at 10, 300 at 30)
  --accuracy-images N     images in the rate/accuracy pass (default 10000)
  --concurrency N         requests in flight in the accuracy pass (default 32)
  --slo-ms MS             the policy's latency goal (default 150)
  --slo-accuracy-pt PT    the policy's accuracy goal, points below the teacher (default 0.5)
  --emulation MODE        auto (netem, else the shaper) | netem | shaper (default auto)
  --scale-agents LIST     virtual agents (default 1,10,100,1000); --no-scale to skip
  --scale-seconds S       per N and batching mode (default 5)
  --no-split-sweep        skip the ResNet-18 split-point sweep (skipped with --quick)
  --models DIR            model folder (default ${DEFAULT_MODELS_DIR})
  --out DIR               output folder (default bench-results/<timestamp>)
`;

export interface BenchConfig {
  quick: boolean;
  links: LinkName[];
  devices: string[];
  runs: { fps: number; images: number }[];
  accuracyImages: number;
  concurrency: number;
  slo: { latencyMs: number; accuracyDropPt: number };
  emulation: EmulationMode;
  bundles: string[];
  cascadeBundles: string[];
  cacheBundle: string;
  /** warmupSeconds: load before each N's clock starts; null: 1 s, 3 s from 100 agents on. */
  scale: { agents: number[]; seconds: number; inFlightPerAgent: number; warmupSeconds: number | null } | null;
  splitSweep: boolean;
  warmup: number;
  idleMs: number;
  timeoutMs: number;
  modelsDir: string;
  out: string | undefined;
}

/** The late-cut operating point: the fewest bytes per inference within 0.5 pt of the teacher. */
const LATE = 'fmnist-late-c8b3';
const DEFAULT_IMAGES: Record<number, number> = { 1: 20, 10: 200, 30: 300 };
const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
function positive(name: string, v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
}

export function parseBenchOptions(argv: string[]): BenchConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      links: { type: 'string' },
      devices: { type: 'string' },
      fps: { type: 'string' },
      images: { type: 'string' },
      'accuracy-images': { type: 'string' },
      concurrency: { type: 'string', default: '32' },
      'slo-ms': { type: 'string', default: '150' },
      'slo-accuracy-pt': { type: 'string', default: '0.5' },
      emulation: { type: 'string', default: 'auto' },
      'scale-agents': { type: 'string' },
      'scale-seconds': { type: 'string' },
      'no-scale': { type: 'boolean' },
      'no-split-sweep': { type: 'boolean' },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const links = values.links ? list(values.links) : quick ? ['lte', '3g'] : [...LINK_NAMES];
  for (const l of links)
    if (!isLinkName(l)) throw new Error(`--links: unknown link "${l}" (${LINK_NAMES.join(', ')})`);
  const devices = values.devices ? list(values.devices) : quick ? ['rpi4'] : [...BENCH_DEVICES];
  for (const d of devices) deviceProfile(d);
  const fpsList = values.fps ? list(values.fps).map((v) => positive('fps', v)) : quick ? [10] : [1, 10, 30];
  const images = values.images ? positive('images', values.images) : undefined;
  const runs = fpsList.map((fps) => ({
    fps,
    images: Math.round(images ?? (quick ? 20 : (DEFAULT_IMAGES[fps] ?? Math.max(20, Math.round(fps * 20))))),
  }));
  if (!['auto', 'netem', 'shaper'].includes(values.emulation))
    throw new Error('--emulation must be auto, netem or shaper');
  const allBundles = ['fmnist-c4b2', 'fmnist-c6b2', 'fmnist-c12b3', 'fmnist-c16b4', LATE];
  return {
    quick,
    links: links as LinkName[],
    devices,
    runs,
    accuracyImages: Math.round(
      values['accuracy-images']
        ? positive('accuracy-images', values['accuracy-images'])
        : quick
          ? 300
          : 10_000,
    ),
    concurrency: Math.round(positive('concurrency', values.concurrency)),
    slo: {
      latencyMs: positive('slo-ms', values['slo-ms']),
      accuracyDropPt: Number(values['slo-accuracy-pt']),
    },
    emulation: values.emulation as EmulationMode,
    bundles: quick ? ['fmnist-c4b2', LATE] : allBundles,
    cascadeBundles: quick ? [LATE] : ['fmnist-c6b2', 'fmnist-c16b4', LATE],
    cacheBundle: LATE,
    scale: values['no-scale']
      ? null
      : {
          agents: values['scale-agents']
            ? list(values['scale-agents']).map((v) => Math.round(positive('scale-agents', v)))
            : quick
              ? [1, 10, 100]
              : [1, 10, 100, 1000],
          seconds: values['scale-seconds']
            ? positive('scale-seconds', values['scale-seconds'])
            : quick
              ? 1.5
              : 5,
          inFlightPerAgent: 1,
          // Quick's N ≤ 100 connect well within a second on loopback.
          warmupSeconds: quick ? 1 : null,
        },
    splitSweep: !quick && !values['no-split-sweep'],
    warmup: quick ? 3 : 5,
    idleMs: quick ? 300 : 1000,
    timeoutMs: 5000,
    modelsDir: values.models,
    out: values.out,
  };
}
