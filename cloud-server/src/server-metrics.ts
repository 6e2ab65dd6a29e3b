// The tail server's metrics through @opentelemetry/api only: the entry point that registers an
// SDK decides where they go (Prometheus /metrics, OTLP). Names follow DESIGN.md; the stages of
// `cleave.inference.duration` here are the server's: queue, compute (one batch run) and server
// (arrival to answer).

import { type HistogramSeries, histogramSeries, instrumentCache, METRIC } from '@cleave/telemetry';
import type { InferResult } from '@cleave/wire';
import type { MeterProvider } from '@opentelemetry/api';

export type RequestOutcome = 'success' | 'rejected' | 'cancelled' | 'expired' | 'error';

const SCOPE = '@cleave/cloud-server';
const DURATION_OPTIONS = {
  description: 'Time spent per inference stage; on the server: queue, compute and server (total)',
  unit: 's',
};
const BATCH_SIZE_OPTIONS = {
  description: 'Requests per tail run',
  unit: '{request}',
  advice: { explicitBucketBoundaries: [1, 2, 4, 8, 16, 32, 64, 128, 256] },
};

/** One model version's histogram series, bound once (see createInstruments). */
interface ModelSeries {
  queue: HistogramSeries;
  compute: HistogramSeries;
  server: HistogramSeries;
  batchSize: HistogramSeries;
}

// Everything here is recorded per answer or per batch, and the SDK's own record hashes its
// attributes every time (sorted keys, JSON.stringify): about 1.2 µs a record when hot, and
// tens of µs in the cold, unoptimized code a once-per-batch call runs in. So:
// - histograms go through histogramSeries (@cleave/telemetry), bound once per model version;
// - request counts are plain numbers per attribute set, reported by an observable counter at
//   each collection (the same cumulative sum an SDK counter would export).
function createInstruments(provider: MeterProvider) {
  const meter = provider.getMeter(SCOPE);
  const modelSeries = new Map<ModelAttrSet, ModelSeries>();
  const requestCounts = new Map<Attrs, number>();
  const requests = meter.createObservableCounter(METRIC.serverRequests, {
    description:
      'Requests by outcome: success, rejected (shed), cancelled, expired (deadline passed in queue), error',
    unit: '{request}',
  });
  requests.addCallback((result) => {
    for (const [attrs, n] of requestCounts) result.observe(n, attrs);
  });
  return {
    series(set: ModelAttrSet): ModelSeries {
      let series = modelSeries.get(set);
      if (series === undefined) {
        const bind = (name: string, options: typeof DURATION_OPTIONS, attrs: Attrs) =>
          histogramSeries(provider, SCOPE, name, options, attrs);
        series = {
          queue: bind(METRIC.inferenceDuration, DURATION_OPTIONS, set.stage.queue),
          compute: bind(METRIC.inferenceDuration, DURATION_OPTIONS, set.stage.compute),
          server: bind(METRIC.inferenceDuration, DURATION_OPTIONS, set.stage.server),
          batchSize: bind(METRIC.serverBatchSize, BATCH_SIZE_OPTIONS, set.base),
        };
        modelSeries.set(set, series);
      }
      return series;
    },
    count(attrs: Attrs): void {
      requestCounts.set(attrs, (requestCounts.get(attrs) ?? 0) + 1);
    },
    queueDepth: meter.createObservableGauge(METRIC.serverQueueDepth, {
      description: 'Requests waiting in a model version batch queue',
      unit: '{request}',
    }),
  };
}

const instruments = instrumentCache(createInstruments);

export interface ModelAttrs {
  model: string;
  version: string;
}

type Attrs = Readonly<Record<string, string>>;

interface ModelAttrSet {
  base: Attrs;
  stage: { queue: Attrs; compute: Attrs; server: Attrs };
  outcome: Partial<Record<RequestOutcome, Attrs>>;
}

// Attribute objects are built once per model version and reused: they key the request counts
// and the bound histogram series by identity, so an answer builds none. Looked up by name, then
// version (no key string joined per answer, which would be hashed afresh each time).
const attrSets = new Map<string, Map<string, ModelAttrSet>>();

function attrSet(m: ModelAttrs): ModelAttrSet {
  let versions = attrSets.get(m.model);
  if (versions === undefined) {
    versions = new Map();
    attrSets.set(m.model, versions);
  }
  let set = versions.get(m.version);
  if (set === undefined) {
    const base = { 'cleave.model.name': m.model, 'cleave.model.version': m.version };
    set = {
      base,
      stage: {
        queue: { ...base, stage: 'queue' },
        compute: { ...base, stage: 'compute' },
        server: { ...base, stage: 'server' },
      },
      outcome: {},
    };
    versions.set(m.version, set);
  }
  return set;
}

const unattributed: Partial<Record<RequestOutcome, Attrs>> = {};

function outcomeAttrs(outcome: RequestOutcome, set?: ModelAttrSet): Attrs {
  const cache = set ? set.outcome : unattributed;
  let attrs = cache[outcome];
  if (attrs === undefined) {
    attrs = { ...set?.base, outcome };
    cache[outcome] = attrs;
  }
  return attrs;
}

export function recordServed(
  m: ModelAttrs,
  t: { queueUs: number; computeUs: number; totalUs: number },
): void {
  const { series, count } = instruments();
  const set = attrSet(m);
  const s = series(set);
  s.queue.record(t.queueUs / 1e6);
  s.compute.record(t.computeUs / 1e6);
  s.server.record(t.totalUs / 1e6);
  count(outcomeAttrs('success', set));
}

/** Records one answered request from its result (model, version and server timing). */
export function recordResult(r: InferResult): void {
  const t = r.timing ?? {};
  recordServed(
    { model: String(r.model_name), version: String(r.model_version) },
    {
      queueUs: Number(t.queue_us ?? 0),
      computeUs: Number(t.compute_us ?? 0),
      totalUs: Number(t.total_us ?? 0),
    },
  );
}

export function recordOutcome(outcome: Exclude<RequestOutcome, 'success'>, m?: ModelAttrs): void {
  instruments().count(outcomeAttrs(outcome, m && attrSet(m)));
}

/** Counts a failed request by its gRPC status: shed, expired in the queue, or an error. */
export function recordFailure(grpcCode: number, m?: ModelAttrs): void {
  // 8 RESOURCE_EXHAUSTED, 4 DEADLINE_EXCEEDED, 1 CANCELLED (numbers fixed by the gRPC spec).
  const outcome =
    grpcCode === 8 ? 'rejected' : grpcCode === 4 ? 'expired' : grpcCode === 1 ? 'cancelled' : 'error';
  recordOutcome(outcome, m);
}

export function recordBatch(m: ModelAttrs, size: number): void {
  instruments().series(attrSet(m)).batchSize.record(size);
}

/** Reports each model version's queue depth at every collection; returns the unsubscribe. */
export function observeQueueDepth(read: () => { model: ModelAttrs; queued: number }[]): () => void {
  const { queueDepth } = instruments();
  const callback = (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    for (const { model, queued } of read()) result.observe(queued, attrSet(model).base);
  };
  queueDepth.addCallback(callback);
  return () => queueDepth.removeCallback(callback);
}
