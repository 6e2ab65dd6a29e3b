// An in-memory store of recent traces, fed by the SDK (its `processor` is a SpanProcessor: pass the
// store to `startTelemetry({ traces: { store } })`) or by hand with `add()` (e.g. spans decoded
// from OTLP). The dashboard reads it: recent traces, one trace's spans, the agents seen.
//
// It is bounded like every queue in Cleave: at most `maxTraces` traces (the least recently
// updated one goes first) and `maxSpansPerTrace` spans per trace; what is dropped is counted.
// Records are plain JSON data, independent of the SDK's span objects.
import type {
  AgentSeen,
  SpanKindName,
  SpanRecord,
  SpanStatusName,
  TraceStoreStats,
  TraceSummary,
} from '@cleave/telemetry';
import type { AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TraceStoreOptions {
  /** Traces kept (default 200); the least recently updated trace is evicted first. */
  maxTraces?: number;
  /** Spans kept per trace (default 64); later spans of a full trace are dropped and counted. */
  maxSpansPerTrace?: number;
  /** Agents remembered (default 1000); the one seen longest ago is forgotten first. */
  maxAgents?: number;
}

export interface TraceStore {
  /** Feeds the store from the SDK: synchronous onEnd, nothing to flush. */
  readonly processor: SpanProcessor;
  /** Stores one finished span (from the processor, or decoded from OTLP). */
  add(span: SpanRecord): void;
  /** The most recently updated traces first. */
  recent(limit?: number): TraceSummary[];
  /** The stored spans of one trace, by start time, or undefined when it is not (or no longer) held. */
  trace(traceId: string): SpanRecord[] | undefined;
  /** Agents seen, the most recent first. */
  agentsSeen(): AgentSeen[];
  stats(): TraceStoreStats;
  /** Forgets every trace and agent and resets the counts. */
  clear(): void;
}

// SpanKind and SpanStatusCode values are fixed by the OpenTelemetry specification.
const KINDS: readonly SpanKindName[] = ['internal', 'server', 'client', 'producer', 'consumer'];
const STATUSES: readonly SpanStatusName[] = ['unset', 'ok', 'error'];

const hrToMs = (t: readonly [number, number]) => t[0] * 1e3 + t[1] / 1e6;

/** A finished SDK span as a plain record. */
export function spanRecordFromReadable(span: ReadableSpan): SpanRecord {
  const ctx = span.spanContext();
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(span.attributes)) {
    if (value !== undefined) attributes[key] = value;
  }
  // Reading `attributes` before the resource's async ones settle logs an error; the raw pairs
  // hold service.name (a synchronous attribute) either way.
  const service = span.resource.asyncAttributesPending
    ? span.resource.getRawAttributes().find(([k, v]) => k === 'service.name' && typeof v === 'string')?.[1]
    : span.resource.attributes['service.name'];
  const record: SpanRecord = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    name: span.name,
    kind: KINDS[span.kind] ?? 'internal',
    startMs: hrToMs(span.startTime),
    durationMs: hrToMs(span.duration),
    attributes,
    serviceName: typeof service === 'string' ? service : 'unknown_service',
    status: STATUSES[span.status.code] ?? 'unset',
  };
  const parent = span.parentSpanContext?.spanId;
  if (parent !== undefined && parent !== '') record.parentSpanId = parent;
  if (span.status.message) record.statusMessage = span.status.message;
  return record;
}

interface TraceEntry {
  spans: SpanRecord[];
  dropped: number;
  updatedMs: number;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`createTraceStore: ${what} must be an integer ≥ 1`);
  return n;
}

function localRoot(spans: readonly SpanRecord[]): SpanRecord | undefined {
  const ids = new Set(spans.map((s) => s.spanId));
  let root: SpanRecord | undefined;
  for (const span of spans) {
    if (span.parentSpanId !== undefined && ids.has(span.parentSpanId)) continue;
    // Several local roots (e.g. the server's part arrived, the agent's not yet): the longest wins.
    if (root === undefined || span.durationMs > root.durationMs) root = span;
  }
  return root;
}

/** The summary of one trace's spans (exported for spans held elsewhere, e.g. decoded from OTLP). */
export function summarizeTrace(
  traceId: string,
  spans: readonly SpanRecord[],
  dropped = 0,
  updatedMs = 0,
): TraceSummary {
  const root = localRoot(spans);
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  const services = new Set<string>();
  for (const s of spans) {
    start = Math.min(start, s.startMs);
    end = Math.max(end, s.startMs + s.durationMs);
    services.add(s.serviceName);
  }
  return {
    traceId,
    rootName: root?.name ?? '',
    rootKind: root?.kind ?? 'internal',
    rootAttributes: { ...(root?.attributes ?? {}) },
    startMs: Number.isFinite(start) ? start : 0,
    durationMs: Number.isFinite(end - start) ? end - start : 0,
    spanCount: spans.length,
    droppedSpans: dropped,
    serviceNames: [...services].sort(),
    hasServer: spans.some((s) => s.kind === 'server'),
    hasClient: spans.some((s) => s.kind === 'client'),
    error: spans.some((s) => s.status === 'error'),
    updatedMs,
  };
}

export function createTraceStore(options: TraceStoreOptions = {}): TraceStore {
  const maxTraces = positive(options.maxTraces, 200, 'maxTraces');
  const maxSpans = positive(options.maxSpansPerTrace, 64, 'maxSpansPerTrace');
  const maxAgents = positive(options.maxAgents, 1000, 'maxAgents');
  // Map order is the eviction order: a trace that gets a span moves to the end.
  const traces = new Map<string, TraceEntry>();
  const agents = new Map<string, AgentSeen>();
  let spanCount = 0;
  let droppedTraces = 0;
  let droppedSpans = 0;

  function noteAgent(span: SpanRecord): void {
    const attr = span.attributes['cleave.agent.id'];
    const isInfer = span.name === 'cleave.infer';
    const isServer = span.kind === 'server';
    if (attr === undefined && !isInfer) return;
    const id = attr !== undefined ? String(attr) : span.serviceName;
    let seen = agents.get(id);
    if (seen === undefined) {
      seen = { id, serviceName: span.serviceName, lastSeen: 0, inferences: 0, offloads: 0, served: 0 };
    } else {
      agents.delete(id);
    }
    agents.set(id, seen);
    seen.lastSeen = Math.max(seen.lastSeen, span.startMs + span.durationMs);
    if (isInfer) {
      seen.inferences++;
      seen.serviceName = span.serviceName;
      const bytes = span.attributes['cleave.payload.bytes'];
      if (typeof bytes === 'number' && bytes > 0) seen.offloads++;
    } else if (isServer) {
      seen.served++;
    }
    while (agents.size > maxAgents) {
      const oldest = agents.keys().next().value;
      if (oldest === undefined) break;
      agents.delete(oldest);
    }
  }

  function add(span: SpanRecord): void {
    noteAgent(span);
    let entry = traces.get(span.traceId);
    if (entry === undefined) {
      entry = { spans: [], dropped: 0, updatedMs: 0 };
      while (traces.size >= maxTraces) {
        const oldest = traces.entries().next().value;
        if (oldest === undefined) break;
        traces.delete(oldest[0]);
        spanCount -= oldest[1].spans.length;
        droppedTraces++;
      }
    } else {
      traces.delete(span.traceId);
    }
    traces.set(span.traceId, entry);
    entry.updatedMs = Date.now();
    if (entry.spans.length >= maxSpans) {
      entry.dropped++;
      droppedSpans++;
      return;
    }
    entry.spans.push(span);
    spanCount++;
  }

  const processor: SpanProcessor = {
    onStart() {},
    onEnd(span) {
      add(spanRecordFromReadable(span));
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };

  return {
    processor,
    add,
    recent(limit = 50) {
      const out: TraceSummary[] = [];
      const entries = [...traces.entries()];
      for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) {
        const [id, entry] = entries[i]!;
        out.push(summarizeTrace(id, entry.spans, entry.dropped, entry.updatedMs));
      }
      return out;
    },
    trace(traceId) {
      const entry = traces.get(traceId);
      if (entry === undefined) return undefined;
      return [...entry.spans].sort((a, b) => a.startMs - b.startMs);
    },
    agentsSeen() {
      return [...agents.values()].map((a) => ({ ...a })).sort((a, b) => b.lastSeen - a.lastSeen);
    },
    stats() {
      return { traces: traces.size, spans: spanCount, droppedTraces, droppedSpans };
    },
    clear() {
      traces.clear();
      agents.clear();
      spanCount = 0;
      droppedTraces = 0;
      droppedSpans = 0;
    },
  };
}
