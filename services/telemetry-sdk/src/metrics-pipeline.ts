// The metrics half of the SDK set-up: a MeterProvider whose histograms in seconds share one set
// of buckets, with a pull reader that serves the Prometheus page and collects on demand.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  attachHistogramStore,
  type CollectedMetrics,
  DURATION_SECONDS_BUCKETS,
  HistogramStore,
} from '@cleave/telemetry';
import { diag } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationType,
  InstrumentType,
  MeterProvider,
  type MetricReader,
  type ResourceMetrics,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { toCollectedMetrics } from './collected-metrics.js';
import { PROMETHEUS_CONTENT_TYPE, serializePrometheus } from './prometheus.js';
import { storedHistogramsProducer } from './stored-histograms.js';

export interface MetricsPipeline {
  meterProvider: MeterProvider;
  /** Every metric right now, as the SDK's structured data; undefined with metrics off. */
  collect(): Promise<ResourceMetrics | undefined>;
  /** The same as plain data (@cleave/telemetry's CollectedMetrics), for readers in library code. */
  collectData(): Promise<CollectedMetrics | undefined>;
  /** The Prometheus text exposition (format 0.0.4) of every metric right now. */
  metricsText(): Promise<string>;
  prometheusHandler(req: IncomingMessage, res: ServerResponse): void;
}

function notServed(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

export function createMetricsPipeline(o: {
  resource: Resource;
  enabled: boolean;
  prometheus: boolean;
  durationBuckets?: readonly number[] | undefined;
}): MetricsPipeline {
  const durationBoundaries = [...(o.durationBuckets ?? DURATION_SECONDS_BUCKETS)];
  const durationView: ViewOptions = {
    instrumentType: InstrumentType.HISTOGRAM,
    instrumentUnit: 's',
    aggregation: {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: durationBoundaries },
    },
  };
  // Hot-path histograms (histogramSeries in @cleave/telemetry) are counted in this store and
  // read with the SDK's own at every collection; with no reader they stay plain API records.
  const store = o.prometheus ? new HistogramStore(durationBoundaries) : undefined;
  const reader: MetricReader | undefined = store
    ? new PrometheusExporter({
        preventServerStart: true,
        metricProducers: [storedHistogramsProducer(store, o.resource)],
      })
    : undefined;
  const meterProvider = new MeterProvider({
    resource: o.resource,
    views: [durationView],
    readers: reader ? [reader] : [],
  });
  if (store) attachHistogramStore(meterProvider, store);

  async function collect(): Promise<ResourceMetrics | undefined> {
    if (!reader) return undefined;
    // host.id is detected asynchronously; readers of the data read every resource attribute.
    await o.resource.waitForAsyncAttributes?.();
    const { resourceMetrics, errors } = await reader.collect();
    for (const error of errors) diag.warn('metrics collection error', error);
    return resourceMetrics;
  }

  async function metricsText(): Promise<string> {
    const collected = await collect();
    return collected ? serializePrometheus(collected) : '';
  }

  return {
    meterProvider,
    collect,
    async collectData() {
      const collected = await collect();
      return collected ? toCollectedMetrics(collected) : undefined;
    },
    metricsText,
    prometheusHandler(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        notServed(res, 405, 'method not allowed');
        return;
      }
      if (!reader) {
        notServed(
          res,
          404,
          o.enabled ? 'metrics are turned off' : 'telemetry is off (OTEL_SDK_DISABLED=true)',
        );
        return;
      }
      metricsText().then(
        (text) => {
          res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (error: unknown) => {
          diag.error('metrics collection failed', error);
          notServed(res, 500, 'metrics collection failed');
        },
      );
    },
  };
}
