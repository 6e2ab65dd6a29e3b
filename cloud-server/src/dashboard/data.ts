// What `/dashboard/data.json` answers: figures computed on the server from the process's own
// Prometheus page (metricsText) and its recent-trace store. The page only draws them.
import type { AgentSeen, SpanRecord, TraceStoreStats, TraceSummary } from '@cleave/telemetry';
import {
  type Histogram,
  histogramQuantile,
  histograms,
  type MetricFamily,
  parseExposition,
  sumBy,
  sumOf,
} from './prom-text.js';

/** What the dashboard reads from a trace store (`createTraceStore()` of @cleave/telemetry-sdk). */
export interface DashboardTraceSource {
  recent(limit?: number): TraceSummary[];
  trace(traceId: string): SpanRecord[] | undefined;
  agentsSeen(): AgentSeen[];
  stats?(): TraceStoreStats;
}

export const AGENT_SCOPE = '@cleave/edge-agent';
export const SERVER_SCOPE = '@cleave/cloud-server';
export const ANSWER_SOURCE_ORDER = ['exit', 'dual', 'cache', 'cloud', 'fallback'] as const;
const EDGE_STAGES = ['total', 'head', 'dual', 'encode', 'offload'];
const CLOUD_STAGES = ['queue', 'compute', 'server'];

export const METRIC = {
  duration: 'cleave_inference_duration_seconds',
  answers: 'cleave_agent_answers_total',
  payload: 'cleave_payload_size_bytes',
  decisions: 'cleave_policy_decisions_total',
  cache: 'cleave_cache_lookups_total',
  requests: 'cleave_server_requests_total',
  batch: 'cleave_server_batch_size',
  queueDepth: 'cleave_server_queue_depth',
  energyPrefix: 'cleave_inference_energy',
} as const;

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

export interface WaterfallSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: string;
  serviceName: string;
  side: 'edge' | 'cloud';
  depth: number;
  offsetMs: number;
  durationMs: number;
  status: string;
  attributes: Record<string, string>;
}

export interface DashboardData {
  title: string;
  generatedAt: number;
  /** `service.name` of this process (target_info), e.g. cleave-serve or cleave-demo. */
  services: string[];
  agents: Array<AgentSeen & { agoS: number }>;
  answers: {
    total: number;
    bySource: Record<string, number>;
    degraded: number;
    /** Answers per second over the last polls (null until two polls). */
    ratePerS: number | null;
  } | null;
  latency: StageLatency[];
  payload: {
    count: number;
    meanBytes: number | null;
    p50Bytes: number | null;
    p95Bytes: number | null;
    totalBytes: number;
  } | null;
  energy: {
    metrics: EnergyFigures | null;
    traces: EnergyFigures | null;
    /** The board's power now (`hw_power_watts{hw_name="total"}`), when a meter reports it. */
    boardPowerW: number | null;
  };
  server: {
    requests: Record<string, number> | null;
    batch: { count: number; mean: number | null; p50: number | null; p95: number | null } | null;
    queueDepth: number | null;
  };
  policy: Record<string, number> | null;
  cache: Record<string, number> | null;
  /** Answers per second (and server successes per second) at each poll, oldest first. */
  history: Array<{ t: number; answersPerS: number | null; serverPerS: number | null }>;
  traces: {
    stats: TraceStoreStats | null;
    recent: Array<{
      traceId: string;
      rootName: string;
      agoS: number;
      durationMs: number;
      spanCount: number;
      source: string | null;
      degraded: boolean | null;
      crossesCloud: boolean;
      error: boolean;
    }>;
    waterfall: {
      traceId: string;
      rootName: string;
      durationMs: number;
      startMs: number;
      spans: WaterfallSpan[];
    } | null;
  };
  /** Why a part is missing (e.g. the metrics text did not parse). */
  errors: string[];
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

function latencyTable(families: Map<string, MetricFamily>): StageLatency[] {
  const byKey = histograms(
    families,
    METRIC.duration,
    (l) => `${sideOfScope(l.otel_scope_name)}\u0000${l.stage ?? ''}`,
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

/** Millijoules per unit of the family, from its name's unit suffix (joules unless it says otherwise). */
function millijoulesPerUnit(name: string): number {
  if (/_(millijoules|mJ)(_|$)/.test(name)) return 1;
  if (/_(microjoules|uJ)(_|$)/.test(name)) return 1e-3;
  if (/_(kilojoules|kJ)(_|$)/.test(name)) return 1e6;
  return 1e3;
}

function componentOf(labels: Record<string, string>): 'compute' | 'radio' | 'total' | undefined {
  const c = labels.component ?? labels.cleave_energy_component;
  return c === 'compute' || c === 'radio' || c === 'total' ? c : undefined;
}

const isAnswerSource = (s: string | undefined): s is string =>
  s !== undefined && (ANSWER_SOURCE_ORDER as readonly string[]).includes(s);

/**
 * Energy per inference from the energy family (name starting `cleave_inference_energy`), per
 * component (compute | radio | total). A histogram (what the agent records: one observation per
 * answer and component) gives sum / inferences, where inferences is the count of its compute (else
 * total) series: radio is only observed for offloads, so its mean is spread over every inference.
 * A counter is divided by the agent's answers. A `source` label naming an answer source
 * (exit, cloud, ...) gives a split by source; other values (the meter, `radio:wifi`) are listed
 * as meters. Null when no such family exists.
 */
function energyFromMetrics(families: Map<string, MetricFamily>): EnergyFigures | null {
  const family = [...families.values()].find(
    (f) => f.name.startsWith(METRIC.energyPrefix) && (f.type === 'counter' || f.type === 'histogram'),
  );
  if (!family) return null;
  const scale = millijoulesPerUnit(family.name);
  const methods = new Set<string>();
  const meters = new Set<string>();
  for (const s of family.samples) {
    if (s.labels.method) methods.add(s.labels.method);
    if (s.labels.source && !isAnswerSource(s.labels.source)) meters.add(s.labels.source);
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

  if (family.type === 'histogram') {
    const grouped = histograms(families, family.name, (l) => {
      const c = componentOf(l);
      return c ? `${c}\u0000${isAnswerSource(l.source) ? l.source : ''}` : undefined;
    });
    for (const [key, h] of grouped ?? []) {
      const [c, source] = key.split('\u0000') as [Component, string];
      add(overall, c, h.sum, h.count);
      if (source) {
        const acc = perSource.get(source) ?? empty();
        add(acc, c, h.sum, h.count);
        perSource.set(source, acc);
      }
    }
  } else {
    const answers = sumBy(families, METRIC.answers, 'source') ?? {};
    for (const s of family.samples) {
      const c = componentOf(s.labels);
      if (!c || s.name !== family.name) continue;
      add(overall, c, s.value, 0);
      if (isAnswerSource(s.labels.source)) {
        const acc = perSource.get(s.labels.source) ?? empty();
        add(acc, c, s.value, 0);
        perSource.set(s.labels.source, acc);
      }
    }
    const total = Object.values(answers).reduce((a, b) => a + b, 0);
    for (const c of ['compute', 'radio', 'total'] as const) overall[c].count = total;
    for (const [source, acc] of perSource) {
      for (const c of ['compute', 'radio', 'total'] as const) acc[c].count = answers[source] ?? 0;
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
    from: family.name,
    inferences: inferencesOf(overall),
    ...mean(overall),
    methods: [...methods].sort(),
    meters: [...meters].sort(),
    bySource,
  };
}

function numberAttr(span: SpanRecord | TraceSummary, key: string): number | undefined {
  const attrs = 'rootAttributes' in span ? span.rootAttributes : span.attributes;
  const v = attrs[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Mean energy per inference over recent `cleave.infer` traces that carry the energy attributes. */
function energyFromTraces(recent: TraceSummary[]): EnergyFigures | null {
  let n = 0;
  let compute = 0;
  let radio = 0;
  let computeN = 0;
  let radioN = 0;
  const methods = new Set<string>();
  const bySource = new Map<string, { c: number; r: number; n: number }>();
  for (const t of recent) {
    if (t.rootName !== 'cleave.infer') continue;
    const c = numberAttr(t, 'cleave.energy.compute_mj');
    const r = numberAttr(t, 'cleave.energy.radio_mj');
    if (c === undefined && r === undefined) continue;
    n++;
    if (c !== undefined) {
      compute += c;
      computeN++;
    }
    if (r !== undefined) {
      radio += r;
      radioN++;
    }
    const method = t.rootAttributes['cleave.energy.method'];
    if (method !== undefined) methods.add(String(method));
    const source = t.rootAttributes['cleave.answer.source'];
    if (source !== undefined) {
      const e = bySource.get(String(source)) ?? { c: 0, r: 0, n: 0 };
      e.c += c ?? 0;
      e.r += r ?? 0;
      e.n++;
      bySource.set(String(source), e);
    }
  }
  if (n === 0) return null;
  const computeMj = computeN > 0 ? compute / computeN : null;
  const radioMj = radioN > 0 ? radio / radioN : null;
  const out: EnergyFigures = {
    from: 'traces',
    inferences: n,
    computeMj,
    radioMj,
    totalMj: (computeMj ?? 0) + (radioMj ?? 0),
    methods: [...methods].sort(),
    meters: [],
    bySource: {},
  };
  for (const [source, e] of bySource) {
    out.bySource[source] = { computeMj: e.c / e.n, radioMj: e.r / e.n, totalMj: (e.c + e.r) / e.n };
  }
  return out;
}

const MAX_ATTRIBUTES = 16;
const MAX_ATTRIBUTE_CHARS = 120;

function shownAttributes(attributes: SpanRecord['attributes']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes).slice(0, MAX_ATTRIBUTES)) {
    const text = Array.isArray(value) ? JSON.stringify(value) : String(value);
    out[key] = text.length > MAX_ATTRIBUTE_CHARS ? `${text.slice(0, MAX_ATTRIBUTE_CHARS - 1)}…` : text;
  }
  return out;
}

/**
 * The spans of one trace in tree order (depth-first, children by start) with their offset from
 * the trace's start. A SERVER span and everything under it is the cloud's side.
 */
export function waterfall(spans: readonly SpanRecord[]): WaterfallSpan[] {
  if (spans.length === 0) return [];
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, SpanRecord[]>();
  const roots: SpanRecord[] = [];
  for (const s of spans) {
    if (s.parentSpanId !== undefined && ids.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    } else roots.push(s);
  }
  const byStart = (a: SpanRecord, b: SpanRecord) => a.startMs - b.startMs;
  const start = Math.min(...spans.map((s) => s.startMs));
  const out: WaterfallSpan[] = [];
  const seen = new Set<string>();
  const visit = (s: SpanRecord, depth: number, cloud: boolean) => {
    if (seen.has(s.spanId)) return;
    seen.add(s.spanId);
    const isCloud = cloud || s.kind === 'server';
    out.push({
      spanId: s.spanId,
      parentSpanId: s.parentSpanId ?? null,
      name: s.name,
      kind: s.kind,
      serviceName: s.serviceName,
      side: isCloud ? 'cloud' : 'edge',
      depth,
      offsetMs: s.startMs - start,
      durationMs: s.durationMs,
      status: s.status,
      attributes: shownAttributes(s.attributes),
    });
    for (const c of (children.get(s.spanId) ?? []).sort(byStart)) visit(c, depth + 1, isCloud);
  };
  for (const r of roots.sort(byStart)) visit(r, 0, false);
  return out;
}

/** The trace to draw: the newest that went edge → cloud with its agent root, else the newest with a root. */
function pickTrace(recent: TraceSummary[]): TraceSummary | undefined {
  return (
    recent.find((t) => t.rootName === 'cleave.infer' && t.hasServer) ??
    recent.find((t) => t.hasServer && t.hasClient) ??
    recent.find((t) => t.rootName === 'cleave.infer') ??
    recent[0]
  );
}

export interface HistoryState {
  /** One sample per ≥ 0.9 s, for the throughput chart. */
  points: Array<{ t: number; answers: number | null; server: number | null }>;
  /** Every poll of the last few seconds, for the current rate. */
  raw: Array<{ t: number; answers: number | null }>;
}

const HISTORY_POINTS = 120;
const HISTORY_MIN_SPACING_MS = 900;
const RATE_WINDOW_MS = 5_500;
const RAW_POINTS = 64;

function rate(
  a: { t: number; v: number | null } | undefined,
  b: { t: number; v: number | null },
): number | null {
  if (!a || a.v === null || b.v === null || b.t <= a.t) return null;
  return Math.max(0, ((b.v - a.v) * 1000) / (b.t - a.t));
}

export interface ComputeOptions {
  metricsText: () => Promise<string>;
  traces: DashboardTraceSource;
  title: string;
  history: HistoryState;
  /** Draw this trace (when still stored) instead of the newest edge → cloud one. */
  traceId?: string;
  now?: number;
}

export async function computeDashboardData(o: ComputeOptions): Promise<DashboardData> {
  const now = o.now ?? Date.now();
  const errors: string[] = [];
  let families = new Map<string, MetricFamily>();
  try {
    families = parseExposition(await o.metricsText());
  } catch (error) {
    errors.push(`metrics: ${(error as Error).message}`);
  }

  const services = [
    ...new Set(
      (families.get('target_info')?.samples ?? [])
        .map((s) => s.labels.service_name)
        .filter((s) => s !== undefined),
    ),
  ];

  const bySource = sumBy(families, METRIC.answers, 'source');
  const answersTotal = bySource ? Object.values(bySource).reduce((a, b) => a + b, 0) : null;
  const serverSuccess = sumOf(families, METRIC.requests, (l) => l.outcome === 'success') ?? null;

  // Throughput history: one point per poll at most every 0.9 s, the last 120 kept.
  const points = o.history.points;
  const lastPoint = points.at(-1);
  if (!lastPoint || now - lastPoint.t >= HISTORY_MIN_SPACING_MS) {
    points.push({ t: now, answers: answersTotal, server: serverSuccess });
    while (points.length > HISTORY_POINTS + 1) points.shift();
  }
  const history = points.slice(1).map((p, i) => ({
    t: p.t,
    answersPerS: rate({ t: points[i]!.t, v: points[i]!.answers }, { t: p.t, v: p.answers }),
    serverPerS: rate({ t: points[i]!.t, v: points[i]!.server }, { t: p.t, v: p.server }),
  }));
  // The current rate: against the oldest poll of the last ~5 s (any poll, at least 0.5 s ago).
  const raw = o.history.raw;
  raw.push({ t: now, answers: answersTotal });
  while (raw.length > 0 && (now - raw[0]!.t > RATE_WINDOW_MS || raw.length > RAW_POINTS)) raw.shift();
  const base = raw.find((p) => p.answers !== null && now - p.t >= 500);
  const answersRate = base ? rate({ t: base.t, v: base.answers }, { t: now, v: answersTotal }) : null;

  let answers: DashboardData['answers'] = null;
  if (bySource) {
    const ordered: Record<string, number> = {};
    for (const s of ANSWER_SOURCE_ORDER) if (bySource[s] !== undefined) ordered[s] = bySource[s];
    for (const [s, v] of Object.entries(bySource)) if (ordered[s] === undefined) ordered[s] = v;
    answers = {
      total: answersTotal ?? 0,
      bySource: ordered,
      degraded: sumOf(families, METRIC.answers, (l) => l.degraded === 'true') ?? 0,
      ratePerS: answersRate,
    };
  }

  const payloadH = histograms(families, METRIC.payload, () => 'all')?.get('all');
  const payload = payloadH
    ? {
        count: payloadH.count,
        meanBytes: payloadH.count > 0 ? payloadH.sum / payloadH.count : null,
        p50Bytes: finiteOrNull(histogramQuantile(0.5, payloadH)),
        p95Bytes: finiteOrNull(histogramQuantile(0.95, payloadH)),
        totalBytes: payloadH.sum,
      }
    : null;

  const batchH = histograms(families, METRIC.batch, () => 'all')?.get('all');
  const server: DashboardData['server'] = {
    requests: sumBy(families, METRIC.requests, 'outcome') ?? null,
    batch: batchH
      ? {
          count: batchH.count,
          mean: batchH.count > 0 ? batchH.sum / batchH.count : null,
          // A batch holds at least one request; interpolation in the first bucket [0, 1] says less.
          p50: atLeastOne(finiteOrNull(histogramQuantile(0.5, batchH))),
          p95: atLeastOne(finiteOrNull(histogramQuantile(0.95, batchH))),
        }
      : null,
    queueDepth: sumOf(families, METRIC.queueDepth) ?? null,
  };

  const recent = o.traces.recent(200);
  const picked =
    (o.traceId !== undefined ? recent.find((t) => t.traceId === o.traceId) : undefined) ?? pickTrace(recent);
  const spans = picked ? o.traces.trace(picked.traceId) : undefined;

  return {
    title: o.title,
    generatedAt: now,
    services,
    agents: o.traces
      .agentsSeen()
      .slice(0, 50)
      .map((a) => ({ ...a, agoS: Math.max(0, (now - a.lastSeen) / 1000) })),
    answers,
    latency: latencyTable(families),
    payload,
    energy: {
      metrics: energyFromMetrics(families),
      traces: energyFromTraces(recent),
      boardPowerW: sumOf(families, 'hw_power_watts', (l) => l.hw_name === 'total') ?? null,
    },
    server,
    policy: sumBy(families, METRIC.decisions, 'decision') ?? null,
    cache: sumBy(families, METRIC.cache, 'result') ?? null,
    history,
    traces: {
      stats: o.traces.stats?.() ?? null,
      recent: recent.slice(0, 15).map((t) => {
        const source = t.rootAttributes['cleave.answer.source'];
        const degraded = t.rootAttributes['cleave.answer.degraded'];
        return {
          traceId: t.traceId,
          rootName: t.rootName,
          agoS: Math.max(0, (now - (t.startMs + t.durationMs)) / 1000),
          durationMs: t.durationMs,
          spanCount: t.spanCount,
          source: source === undefined ? null : String(source),
          degraded: degraded === undefined ? null : degraded === true || degraded === 'true',
          crossesCloud: t.hasServer,
          error: t.error,
        };
      }),
      waterfall:
        picked && spans && spans.length > 0
          ? {
              traceId: picked.traceId,
              rootName: picked.rootName,
              durationMs: picked.durationMs,
              startMs: picked.startMs,
              spans: waterfall(spans),
            }
          : null,
    },
    errors,
  };
}
