// What `/dashboard/data.json` answers: figures computed on the server from the process's own
// collected metrics (as data, `telemetry.collectMetrics()`) and its recent-trace store. The page
// only draws them.
import {
  type AgentSeen,
  type CollectedMetrics,
  METRIC,
  type SpanRecord,
  type TraceStoreStats,
  type TraceSummary,
} from '@cleave/telemetry';
import {
  answerCounts,
  type EnergyFigures,
  energyFromMetrics,
  latencyTable,
  payloadFigures,
  type StageLatency,
  serverFigures,
} from './metric-figures.js';
import { sumBy, sumOf } from './metric-queries.js';
import { type StreamPolls, type StreamRow, streamFigures } from './stream-figures.js';
import { type HistoryState, recordPoll } from './throughput-history.js';
import { energyFromTraces, pickTrace, recentRows, type WaterfallSpan, waterfall } from './trace-figures.js';

export type { EnergyFigures, StageLatency } from './metric-figures.js';
export type { StreamRow } from './stream-figures.js';
export type { HistoryState } from './throughput-history.js';
export { type WaterfallSpan, waterfall } from './trace-figures.js';

/** What the dashboard reads from a trace store (`createTraceStore()` of @cleave/telemetry-sdk). */
export interface DashboardTraceSource {
  recent(limit?: number): TraceSummary[];
  trace(traceId: string): SpanRecord[] | undefined;
  agentsSeen(): AgentSeen[];
  stats?(): TraceStoreStats;
}

export interface DashboardData {
  title: string;
  generatedAt: number;
  /** `service.name` of this process (its resource), e.g. cleave-serve or cleave-demo. */
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
    /** The board's power now (`hw.power` with `hw.name` total), when a meter reports it. */
    boardPowerW: number | null;
  };
  server: {
    requests: Record<string, number> | null;
    batch: { count: number; mean: number | null; p50: number | null; p95: number | null } | null;
    queueDepth: number | null;
  };
  policy: Record<string, number> | null;
  cache: Record<string, number> | null;
  /** Camera and video sources of an agent in this process (`cleave.stream.*`), one row each. */
  streams: StreamRow[] | null;
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
  /** Why a part is missing (e.g. the metrics could not be collected). */
  errors: string[];
}

export interface ComputeOptions {
  /** The process's metrics as data (`telemetry.collectMetrics`); undefined when metrics are off. */
  metrics: () => Promise<CollectedMetrics | undefined>;
  traces: DashboardTraceSource;
  title: string;
  history: HistoryState;
  /** The streams' totals at the previous poll, for their rates. */
  streamPolls?: StreamPolls;
  /** Draw this trace (when still stored) instead of the newest edge → cloud one. */
  traceId?: string;
  now?: number;
}

const NO_METRICS: CollectedMetrics = { resource: {}, metrics: [] };

export async function computeDashboardData(o: ComputeOptions): Promise<DashboardData> {
  const now = o.now ?? Date.now();
  const errors: string[] = [];
  let collected = NO_METRICS;
  try {
    collected = (await o.metrics()) ?? NO_METRICS;
  } catch (error) {
    errors.push(`metrics: ${(error as Error).message}`);
  }
  const service = collected.resource['service.name'];
  const counts = answerCounts(collected);
  const serverSuccess = sumOf(collected, METRIC.serverRequests, (a) => a.outcome === 'success') ?? null;
  const { history, answersRate } = recordPoll(o.history, now, counts?.total ?? null, serverSuccess);

  const recent = o.traces.recent(200);
  const picked =
    (o.traceId !== undefined ? recent.find((t) => t.traceId === o.traceId) : undefined) ?? pickTrace(recent);
  const spans = picked ? o.traces.trace(picked.traceId) : undefined;

  return {
    title: o.title,
    generatedAt: now,
    services: service === undefined ? [] : [service],
    agents: o.traces
      .agentsSeen()
      .slice(0, 50)
      .map((a) => ({ ...a, agoS: Math.max(0, (now - a.lastSeen) / 1000) })),
    answers: counts ? { ...counts, ratePerS: answersRate } : null,
    latency: latencyTable(collected),
    payload: payloadFigures(collected),
    energy: {
      metrics: energyFromMetrics(collected),
      traces: energyFromTraces(recent),
      boardPowerW: sumOf(collected, METRIC.hwPower, (a) => a['hw.name'] === 'total') ?? null,
    },
    server: serverFigures(collected),
    policy: sumBy(collected, METRIC.policyDecisions, 'decision') ?? null,
    cache: sumBy(collected, METRIC.cacheLookups, 'result') ?? null,
    streams: streamFigures(collected, o.streamPolls ?? new Map(), now),
    history,
    traces: {
      stats: o.traces.stats?.() ?? null,
      recent: recentRows(recent, now),
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
