// Figures the dashboard computes from the process's collected metrics (plain data from
// `telemetry.collectMetrics()`, looked up by @cleave/telemetry's METRIC names): the stage latency
// table, energy per inference, payload sizes and the server's requests, batches and queue.
import { type CollectedMetrics, METRIC } from '@cleave/telemetry';
import { type Histogram, histogramQuantile, histograms, sumBy, sumOf } from './metric-queries.js';

export const AGENT_SCOPE = '@cleave/edge-agent';
export const SERVER_SCOPE = '@cleave/cloud-server';
export const ANSWER_SOURCE_ORDER = ['exit', 'dual', 'cache', 'cloud', 'fallback'] as const;
const EDGE_STAGES = ['total', 'head', 'dual', 'encode', 'offload'];
const CLOUD_STAGES = ['queue', 'compute', 'server'];

export interface StageLatency {
  side: 'edge' | 'cloud' | string;
  stage: string;
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface EnergyFigures {
  /** Where the figure comes from: the metric family's name, or `traces` (span attributes). */
  from: string;
  /** Inferences the mean is over. */
  inferences: number;
  computeMj: number | null;
  radioMj: number | null;
  totalMj: number | null;
  /** `method` values seen: measured | modeled | estimated. */
  methods: string[];
  /** Meters and radio profiles behind the figures (the energy series' `source` label). */
  meters: string[];
  /** Mean energy per inference by answer source, when the series carry `source`. */
  bySource: Record<string, { computeMj: number | null; radioMj: number | null; totalMj: number | null }>;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? null : seconds * 1000);
const finiteOrNull = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n);
const atLeastOne = (n: number | null) => (n === null ? null : Math.max(1, n));

function stageLatency(side: string, stage: string, h: Histogram): StageLatency {
  return {
    side,
    stage,
    count: h.count,
    meanMs: h.count > 0 ? (h.sum / h.count) * 1000 : null,
    p50Ms: ms(histogramQuantile(0.5, h)),
    p95Ms: ms(histogramQuantile(0.95, h)),
    p99Ms: ms(histogramQuantile(0.99, h)),
  };
}

function sideOfScope(scope: string | undefined): string {
  if (scope === AGENT_SCOPE) return 'edge';
  if (scope === SERVER_SCOPE) return 'cloud';
  return scope ?? 'unknown';
}

export function latencyTable(c: CollectedMetrics): StageLatency[] {
  const byKey = histograms(
    c,
    METRIC.inferenceDuration,
    (a, scope) => `${sideOfScope(scope)}\u0000${a.stage ?? ''}`,
  );
  if (!byKey) return [];
  const rank = (side: string, stage: string) => {
    const order = side === 'edge' ? EDGE_STAGES : side === 'cloud' ? CLOUD_STAGES : [];
    const i = order.indexOf(stage);
    const sideRank = side === 'edge' ? 0 : side === 'cloud' ? 1 : 2;
    return sideRank * 1000 + (i < 0 ? 999 : i);
  };
  return [...byKey.entries()]
    .map(([key, h]) => {
      const [side, stage] = key.split('\u0000') as [string, string];
      return stageLatency(side, stage, h);
    })
    .sort((a, b) => rank(a.side, a.stage) - rank(b.side, b.stage) || a.stage.localeCompare(b.stage));
}

/** Millijoules per unit of the energy metric (joules unless its unit says otherwise). */
function millijoulesPerUnit(unit: string): number {
  if (unit === 'mJ') return 1;
  if (unit === 'uJ') return 1e-3;
  if (unit === 'kJ') return 1e6;
  return 1e3;
}

function componentOf(attributes: Record<string, string>): 'compute' | 'radio' | 'total' | undefined {
  const c = attributes.component ?? attributes['cleave.energy.component'];
  return c === 'compute' || c === 'radio' || c === 'total' ? c : undefined;
}

const isAnswerSource = (s: string | undefined): s is string =>
  s !== undefined && (ANSWER_SOURCE_ORDER as readonly string[]).includes(s);

/**
 * Energy per inference from the energy metric (`cleave.inference.energy`), per
 * component (compute | radio | total). A histogram (what the agent records: one observation per
 * answer and component) gives sum / inferences, where inferences is the count of its compute (else
 * total) series: radio is only observed for offloads, so its mean is spread over every inference.
 * A counter is divided by the agent's answers. A `source` label naming an answer source
 * (exit, cloud, ...) gives a split by source; other values (the meter, `radio:wifi`) are listed
 * as meters. Null when no such metric exists.
 */
export function energyFromMetrics(c: CollectedMetrics): EnergyFigures | null {
  const metric = c.metrics.find(
    (m) => m.name === METRIC.inferenceEnergy && (m.kind === 'counter' || m.kind === 'histogram'),
  );
  if (!metric) return null;
  const scale = millijoulesPerUnit(metric.unit);
  const points = c.metrics.filter((m) => m.name === metric.name).flatMap((m) => m.points);
  const methods = new Set<string>();
  const meters = new Set<string>();
  for (const p of points) {
    if (p.attributes.method) methods.add(p.attributes.method);
    if (p.attributes.source && !isAnswerSource(p.attributes.source)) meters.add(p.attributes.source);
  }

  type Component = 'compute' | 'radio' | 'total';
  type Acc = Record<Component, { sum: number; count: number; seen: boolean }>;
  const empty = (): Acc => ({
    compute: { sum: 0, count: 0, seen: false },
    radio: { sum: 0, count: 0, seen: false },
    total: { sum: 0, count: 0, seen: false },
  });
  const overall = empty();
  const perSource = new Map<string, Acc>();
  const add = (acc: Acc, c: Component, sum: number, count: number) => {
    acc[c].sum += sum * scale;
    acc[c].count += count;
    acc[c].seen = true;
  };

  if (metric.kind === 'histogram') {
    const grouped = histograms(c, metric.name, (a) => {
      const component = componentOf(a);
      return component ? `${component}\u0000${isAnswerSource(a.source) ? a.source : ''}` : undefined;
    });
    for (const [key, h] of grouped ?? []) {
      const [component, source] = key.split('\u0000') as [Component, string];
      add(overall, component, h.sum, h.count);
      if (source) {
        const acc = perSource.get(source) ?? empty();
        add(acc, component, h.sum, h.count);
        perSource.set(source, acc);
      }
    }
  } else {
    const answers = sumBy(c, METRIC.agentAnswers, 'source') ?? {};
    for (const p of points) {
      const component = componentOf(p.attributes);
      if (!component) continue;
      add(overall, component, p.value, 0);
      if (isAnswerSource(p.attributes.source)) {
        const acc = perSource.get(p.attributes.source) ?? empty();
        add(acc, component, p.value, 0);
        perSource.set(p.attributes.source, acc);
      }
    }
    const total = Object.values(answers).reduce((a, b) => a + b, 0);
    for (const k of ['compute', 'radio', 'total'] as const) overall[k].count = total;
    for (const [source, acc] of perSource) {
      for (const k of ['compute', 'radio', 'total'] as const) acc[k].count = answers[source] ?? 0;
    }
  }

  const inferencesOf = (acc: Acc) =>
    acc.compute.seen ? acc.compute.count : acc.total.seen ? acc.total.count : acc.radio.count;
  const mean = (acc: Acc) => {
    const n = inferencesOf(acc);
    const part = (c: Component) => (acc[c].seen && n > 0 ? acc[c].sum / n : null);
    const compute = part('compute');
    const radio = part('radio');
    const total =
      part('total') ?? (compute !== null || radio !== null ? (compute ?? 0) + (radio ?? 0) : null);
    return { computeMj: compute, radioMj: radio, totalMj: total };
  };
  const bySource: EnergyFigures['bySource'] = {};
  for (const [source, acc] of perSource) bySource[source] = mean(acc);
  return {
    from: metric.name,
    inferences: inferencesOf(overall),
    ...mean(overall),
    methods: [...methods].sort(),
    meters: [...meters].sort(),
    bySource,
  };
}

/** Feature-frame bytes per offload. */
export function payloadFigures(c: CollectedMetrics) {
  const h = histograms(c, METRIC.payloadSize, () => 'all')?.get('all');
  return h
    ? {
        count: h.count,
        meanBytes: h.count > 0 ? h.sum / h.count : null,
        p50Bytes: finiteOrNull(histogramQuantile(0.5, h)),
        p95Bytes: finiteOrNull(histogramQuantile(0.95, h)),
        totalBytes: h.sum,
      }
    : null;
}

/** The server's requests by outcome, its batch sizes and its queue depth. */
export function serverFigures(c: CollectedMetrics) {
  const batchH = histograms(c, METRIC.serverBatchSize, () => 'all')?.get('all');
  return {
    requests: sumBy(c, METRIC.serverRequests, 'outcome') ?? null,
    batch: batchH
      ? {
          count: batchH.count,
          mean: batchH.count > 0 ? batchH.sum / batchH.count : null,
          // A batch holds at least one request; interpolation in the first bucket [0, 1] says less.
          p50: atLeastOne(finiteOrNull(histogramQuantile(0.5, batchH))),
          p95: atLeastOne(finiteOrNull(histogramQuantile(0.95, batchH))),
        }
      : null,
    queueDepth: sumOf(c, METRIC.serverQueueDepth) ?? null,
  };
}

/** The agent's answers by source (in the page's order), with the degraded count. */
export function answerCounts(c: CollectedMetrics) {
  const bySource = sumBy(c, METRIC.agentAnswers, 'source');
  if (!bySource) return null;
  const ordered: Record<string, number> = {};
  for (const s of ANSWER_SOURCE_ORDER) if (bySource[s] !== undefined) ordered[s] = bySource[s];
  for (const [s, v] of Object.entries(bySource)) if (ordered[s] === undefined) ordered[s] = v;
  return {
    total: Object.values(bySource).reduce((a, b) => a + b, 0),
    bySource: ordered,
    degraded: sumOf(c, METRIC.agentAnswers, (a) => a.degraded === 'true') ?? 0,
  };
}
