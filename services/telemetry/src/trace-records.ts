// Finished spans and traces as plain JSON data: what the SDK's trace store
// (@cleave/telemetry-sdk's createTraceStore) keeps and what readers such as the dashboard get.
// They live in the API package so that a reader needs no SDK to name them.
import type { AttributeValue } from '@opentelemetry/api';

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatusName = 'unset' | 'ok' | 'error';

/** One finished span as plain data. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** Absent on a root span. The parent may live in another process (a remote parent). */
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  /** Start, in ms since the Unix epoch (fractional). */
  startMs: number;
  durationMs: number;
  attributes: Record<string, AttributeValue>;
  /** The resource's `service.name` (`cleave-agent`, `cleave-serve`, `cleave-demo`, ...). */
  serviceName: string;
  status: SpanStatusName;
  statusMessage?: string;
}

/** One trace, as the list of recent traces shows it. */
export interface TraceSummary {
  traceId: string;
  /** The name of the local root: the span whose parent is not in the store (a remote parent or none). */
  rootName: string;
  rootKind: SpanKindName;
  /** The root span's attributes (e.g. `cleave.answer.source` on `cleave.infer`). */
  rootAttributes: Record<string, AttributeValue>;
  /** Earliest start of any stored span of the trace, ms since the epoch. */
  startMs: number;
  /** From the earliest start to the latest end of its stored spans. */
  durationMs: number;
  spanCount: number;
  /** Spans of this trace not stored because it was full. */
  droppedSpans: number;
  serviceNames: string[];
  /** Whether the trace holds a SERVER span and a CLIENT span (it crossed a process boundary). */
  hasServer: boolean;
  hasClient: boolean;
  /** Any span with status ERROR. */
  error: boolean;
  /** When the trace last received a span, ms since the epoch (store clock). */
  updatedMs: number;
}

export interface AgentSeen {
  /** `cleave.agent.id`, else the service name. */
  id: string;
  serviceName: string;
  /** End of the latest span that named this agent, ms since the epoch. */
  lastSeen: number;
  /** `cleave.infer` spans counted for it (the agent's own traces). */
  inferences: number;
  /** Of those, the ones that sent a frame (`cleave.payload.bytes` set). */
  offloads: number;
  /** SERVER spans (the tail server's side of an offload) that named it, e.g. by its credentials. */
  served: number;
}

export interface TraceStoreStats {
  traces: number;
  spans: number;
  /** Whole traces evicted to stay within maxTraces. */
  droppedTraces: number;
  /** Spans refused because their trace already held maxSpansPerTrace spans. */
  droppedSpans: number;
}
