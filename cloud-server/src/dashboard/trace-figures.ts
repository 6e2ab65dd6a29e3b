// Figures the dashboard computes from the recent-trace store: energy per inference from the
// agent's span attributes, the list of recent traces, and one trace as a waterfall.
import type { SpanRecord, TraceSummary } from '@cleave/telemetry';
import type { EnergyFigures } from './metric-figures.js';

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

function numberAttr(span: SpanRecord | TraceSummary, key: string): number | undefined {
  const attrs = 'rootAttributes' in span ? span.rootAttributes : span.attributes;
  const v = attrs[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Mean energy per inference over recent `cleave.infer` traces that carry the energy attributes. */
export function energyFromTraces(recent: TraceSummary[]): EnergyFigures | null {
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
export function pickTrace(recent: TraceSummary[]): TraceSummary | undefined {
  return (
    recent.find((t) => t.rootName === 'cleave.infer' && t.hasServer) ??
    recent.find((t) => t.hasServer && t.hasClient) ??
    recent.find((t) => t.rootName === 'cleave.infer') ??
    recent[0]
  );
}

/** The newest traces as the page lists them. */
export function recentRows(recent: readonly TraceSummary[], now: number) {
  return recent.slice(0, 15).map((t) => {
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
  });
}
