// The shape of `bench-results/<timestamp>/results.json` (schema `cleave-bench/1`). The writer
// validates against it before writing, and the CI test validates a `--quick` run's file.
import { z } from 'zod';
import { LINK_NAMES } from './link-profiles.js';

const num = () => z.number().refine(Number.isFinite, { error: 'expected a finite number' });
const share = () => z.number().min(0).max(1);
const count = () => z.int().min(0);

export const LinkProfileSchema = z.object({
  name: z.enum(LINK_NAMES),
  rateMbit: num(),
  delayMs: num(),
  loss: share(),
  radio: z.string(),
});

const DirectionSchema = z.object({
  segments: count(),
  payloadBytes: count(),
  linkBytes: count(),
  lost: count(),
  maxQueueMs: num(),
});

export const RunFiguresSchema = z.object({
  strategy: z.string(),
  requests: count(),
  accuracy: share(),
  latencyMs: z.object({ mean: num(), p50: num(), p95: num(), p99: num(), max: num() }),
  cdf: z.array(num()),
  energyMj: z.object({ compute: num(), radio: num(), total: num() }),
  bytesUpPerInference: num(),
  bytesDownPerInference: num(),
  offloadShare: share(),
  degraded: count(),
  sources: z.record(z.string(), count()),
  plans: z.record(z.string(), share()).optional(),
});

export const RegimeSchema = z.object({
  link: z.enum(LINK_NAMES),
  device: z.string(),
  fps: num(),
  strategies: z.array(RunFiguresSchema),
  energyWinner: z.string(),
  p95Winner: z.string(),
  /** Whether the best strategy that cuts the model beats the best that does not. */
  splitPays: z.object({ energy: z.boolean(), p95: z.boolean() }),
  policy: z
    .object({
      strategy: z.string(),
      energyMj: num(),
      bestFixed: z.string(),
      bestFixedMj: num(),
      /** Policy energy over the best fixed strategy's. */
      ratio: num(),
      within5Percent: z.boolean(),
      /** At least 1% below the best fixed strategy. */
      strictlyBetter: z.boolean(),
    })
    .nullable(),
});

export const ScaleRunSchema = z.object({
  agents: count(),
  batching: z.boolean(),
  inFlightPerAgent: count(),
  seconds: num(),
  answered: count(),
  errors: count(),
  throughputPerSec: num(),
  latencyMs: z.object({ p50: num(), p99: num() }),
  /** From the server's batch-size histogram; null when it could not be read. */
  meanBatchSize: num().nullable(),
});

const MustShowSchema = z.object({
  met: z.boolean().nullable(),
  summary: z.string(),
});

export const ResultsSchema = z.object({
  schema: z.literal('cleave-bench/1'),
  date: z.string(),
  commit: z.string(),
  dirty: z.boolean(),
  machine: z.object({
    cpus: count(),
    cpuModel: z.string(),
    memGiB: num(),
    node: z.string(),
    platform: z.string(),
    loadAverage: z.array(num()),
  }),
  settings: z.object({
    quick: z.boolean(),
    links: z.array(z.enum(LINK_NAMES)),
    devices: z.array(z.string()),
    runs: z.array(z.object({ fps: num(), images: count() })),
    accuracyImages: count(),
    concurrency: count(),
    slo: z.object({ latencyMs: num(), accuracyDropPt: num() }),
    warmup: count(),
    timeoutMs: count(),
    emulation: z.enum(['auto', 'netem', 'shaper']),
    bundles: z.array(z.string()),
    cascadeBundles: z.array(z.string()),
    cacheBundle: z.string(),
    policyBundle: z.object({ name: z.string(), why: z.string() }),
    /** Idle time between the warm-up and the run, ms (absent in results written before it was recorded). */
    idleMs: count().optional(),
    scale: z
      .object({
        agents: z.array(count()),
        seconds: num(),
        inFlightPerAgent: count(),
        /** null: by N (1 s, 3 s from 100 agents); absent in older results. */
        warmupSeconds: num().nullable().optional(),
      })
      .nullable(),
  }),
  emulation: z.object({ kind: z.enum(['netem', 'shaper']), reason: z.string() }),
  methods: z.record(z.string(), z.string()),
  /** ms per batch-1 inference here, per `<bundle>/<role>`. */
  costs: z.record(z.string(), num()),
  strategies: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      role: z.enum(['fixed', 'cache', 'policy']),
      family: z.enum(['local', 'offload', 'split', 'policy']),
    }),
  ),
  accuracy: z.array(
    z.object({
      strategy: z.string(),
      requests: count(),
      accuracy: share(),
      bytesUpPerInference: num(),
      offloadShare: share(),
      degraded: count(),
      bySource: z.record(z.string(), count()),
      wallMs: num(),
    }),
  ),
  rawInputBytes: count(),
  links: z.array(
    z.object({
      link: LinkProfileSchema,
      shaper: z.object({ up: DirectionSchema, down: DirectionSchema }).nullable(),
      wallSeconds: num(),
      plans: z.array(
        z.object({
          strategy: z.string(),
          fps: num(),
          changes: z.array(
            z.object({ at: count(), plan: z.string(), estimates: z.record(z.string(), num()) }),
          ),
        }),
      ),
    }),
  ),
  regimes: z.array(RegimeSchema),
  scale: z.object({ runs: z.array(ScaleRunSchema), note: z.string() }).nullable(),
  splitSweep: z.object({
    included: z.boolean(),
    reason: z.string(),
    sweep: z
      .object({
        model: z.string(),
        link: z.string(),
        bandwidthsMbit: z.array(num()),
        cuts: z.array(
          z.object({
            name: z.string(),
            op: z.string(),
            dims: z.array(count()),
            frameBytes: num(),
            headMs: num(),
            tailMs: num(),
          }),
        ),
        fullMs: num(),
        devices: z.record(
          z.string(),
          z.object({
            latencyMs: z.array(z.array(num())),
            energyMj: z.array(z.array(num())),
            bestLatency: z.array(z.string()),
            bestEnergy: z.array(z.string()),
          }),
        ),
      })
      .optional(),
  }),
  mustShows: z.object({
    rate: MustShowSchema.extend({
      rows: z.array(
        z.object({
          bundle: z.string(),
          bytesPerInference: num(),
          shareOfRaw: num(),
          accuracy: share(),
          teacherAccuracy: share(),
          dropPt: num(),
          met: z.boolean(),
        }),
      ),
    }),
    policy: MustShowSchema,
    latency: MustShowSchema.extend({
      rows: z.array(
        z.object({
          link: z.string(),
          device: z.string(),
          fps: num(),
          strategy: z.string(),
          p95Ms: num(),
          webpP95Ms: num(),
          met: z.boolean(),
        }),
      ),
    }),
    scale: MustShowSchema,
    ci: MustShowSchema.extend({ seconds: num(), limitSeconds: num() }),
  }),
  notes: z.array(z.string()),
  runSeconds: num(),
});
export type Results = z.infer<typeof ResultsSchema>;
export type Regime = z.infer<typeof RegimeSchema>;
export type ScaleRun = z.infer<typeof ScaleRunSchema>;
