// OpenTelemetry SDK set-up, for entry points only (`cleave agent`, `cleave serve`, the CLI).
// Library code never imports this package: it uses @opentelemetry/api (and the API-only helpers of
// '@cleave/telemetry'), whose globals this package fills in.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectedMetrics } from '@cleave/telemetry';
import { type Attributes, type DiagLogger, diag } from '@opentelemetry/api';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { SpanDropCounts } from './dropped-spans.js';
import {
  chooseMetricsExport,
  chooseTraceExport,
  type OtlpProtocol,
  sdkDisabled,
  type TraceExportOptions,
  type TracesExporterName,
} from './env.js';
import { createMetricsPipeline } from './metrics-pipeline.js';
import { registerSdkGlobals } from './sdk-globals.js';
import { createTracePipeline, type TracePipelineOptions } from './trace-pipeline.js';

export { toCollectedMetrics } from './collected-metrics.js';
export {
  chooseMetricsExport,
  choosePropagators,
  chooseTraceExport,
  type OtlpProtocol,
  sdkDisabled,
  type TraceExportOptions,
  type TracesExporterName,
} from './env.js';
export {
  PROMETHEUS_CONTENT_TYPE,
  prepareForPrometheus,
  prometheusBaseName,
  prometheusUnitSuffix,
  serializePrometheus,
} from './prometheus.js';
export * from './trace-store.js';

export interface TelemetryOptions {
  /** `service.name`; OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) overrides it. */
  serviceName: string;
  serviceVersion?: string;
  /** More resource attributes; OTEL_RESOURCE_ATTRIBUTES overrides them key by key. */
  resourceAttributes?: Attributes;
  metrics?: {
    /** Serve the Prometheus page (default: yes, unless OTEL_METRICS_EXPORTER=none). */
    prometheus?: boolean;
    /** Bucket boundaries for every histogram in seconds (unit `s`); default DURATION_SECONDS_BUCKETS. */
    durationBuckets?: readonly number[];
  };
  traces?: TraceExportOptions & TracePipelineOptions;
  /** Where the SDK's own warnings go (default: the console); level from OTEL_LOG_LEVEL, default warn. */
  diagLogger?: DiagLogger;
  /** Register the global providers, propagator, context manager and diag logger (default true). */
  registerGlobals?: boolean;
}

export interface Telemetry {
  /** False when OTEL_SDK_DISABLED=true: nothing is registered, recorded or exported. */
  readonly enabled: boolean;
  readonly resource: Resource;
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: BasicTracerProvider;
  /** Where traces go and why, for a start-up log line. */
  readonly traces: { exporter: TracesExporterName | 'custom'; protocol: OtlpProtocol; reason: string };
  /** Whether the Prometheus page is served. */
  readonly prometheus: boolean;
  /** A node:http handler for GET/HEAD /metrics: mount it on the process's own HTTP server. */
  prometheusHandler(req: IncomingMessage, res: ServerResponse): void;
  /** The Prometheus text exposition (format 0.0.4) of every metric right now. */
  metricsText(): Promise<string>;
  /**
   * Every metric right now as plain data (what the page is made from, before any Prometheus
   * naming); undefined with metrics off. The dashboard reads this.
   */
  collectMetrics(): Promise<CollectedMetrics | undefined>;
  /** Spans lost so far: the queue was full, or the exporter reported a failed export. */
  droppedSpans(): number;
  /** The same, split by cause. */
  spanDrops(): SpanDropCounts;
  /** Exports the queued spans now. A failed export is counted and logged, not thrown. */
  forceFlush(): Promise<void>;
  /**
   * Flushes and stops both providers, waiting at most `timeoutMs` (default 5000), then unregisters
   * the globals. Idempotent (later calls return the first call's promise); never rejects.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

function buildResource(options: TelemetryOptions): Resource {
  const own: Attributes = { [ATTR_SERVICE_NAME]: options.serviceName };
  if (options.serviceVersion !== undefined) own[ATTR_SERVICE_VERSION] = options.serviceVersion;
  // Later merges win: code defaults < host facts < the operator's OTEL_* environment.
  return defaultResource()
    .merge(resourceFromAttributes({ ...own, ...options.resourceAttributes }))
    .merge(detectResources({ detectors: [hostDetector, envDetector] }));
}

function warnFailures(what: string, results: PromiseSettledResult<unknown>[]): void {
  for (const result of results) {
    if (result.status === 'rejected') diag.warn(`telemetry ${what}: ${String(result.reason)}`);
  }
}

/**
 * Sets the OpenTelemetry SDK up for this process: resource, MeterProvider with a pull reader for
 * the Prometheus page, BasicTracerProvider with a bounded BatchSpanProcessor and the OTLP (http/
 * protobuf or gRPC) or console exporter, W3C trace-context + baggage propagator, AsyncLocalStorage
 * context manager, all registered as the API globals. Call it once, first thing in main(), and
 * `await telemetry.shutdown()` on exit so queued spans are sent.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const registerGlobals = options.registerGlobals ?? true;
  const enabled = !sdkDisabled();
  const resource = buildResource(options);
  // host.id is detected asynchronously, and until someone awaits it every read of the resource's
  // attributes logs "Accessing resource attributes before async attributes settled". Settle it now.
  void resource.waitForAsyncAttributes?.();
  const choice = chooseTraceExport(options.traces);
  const prometheus = enabled && chooseMetricsExport(options.metrics?.prometheus) === 'prometheus';

  const metricsPipeline = createMetricsPipeline({
    resource,
    enabled,
    prometheus,
    durationBuckets: options.metrics?.durationBuckets,
  });
  const { meterProvider } = metricsPipeline;
  const custom = options.traces?.spanExporter;
  const { tracerProvider, spanDrops } = createTracePipeline({
    resource,
    enabled,
    choice,
    endpoint: options.traces?.endpoint,
    options: options.traces ?? {},
    meterProvider,
  });
  const registered =
    enabled && registerGlobals
      ? registerSdkGlobals({ tracerProvider, meterProvider, diagLogger: options.diagLogger })
      : [];

  let stopping: Promise<void> | undefined;
  return {
    enabled,
    resource,
    meterProvider,
    tracerProvider,
    traces: {
      exporter: !enabled ? 'none' : custom ? 'custom' : choice.exporter,
      protocol: choice.protocol,
      reason: !enabled ? 'OTEL_SDK_DISABLED=true' : custom ? 'options.traces.spanExporter' : choice.reason,
    },
    prometheus,
    prometheusHandler: metricsPipeline.prometheusHandler,
    metricsText: metricsPipeline.metricsText,
    collectMetrics: metricsPipeline.collectData,
    droppedSpans: () => spanDrops().queueFull + spanDrops().exportFailed,
    spanDrops,
    async forceFlush() {
      warnFailures(
        'flush',
        await Promise.allSettled([tracerProvider.forceFlush(), meterProvider.forceFlush()]),
      );
    },
    shutdown(timeoutMs = 5000) {
      stopping ??= (async () => {
        // Spans first (their export may still record self-observability metrics), then metrics.
        // A collector that is down does not make shutdown fail: the loss is counted and logged,
        // and the wait is capped (the OTLP/http exporter retries a refused connection for up to
        // OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default).
        const stop = (async () => {
          warnFailures('shutdown', await Promise.allSettled([tracerProvider.shutdown()]));
          warnFailures('shutdown', await Promise.allSettled([meterProvider.shutdown()]));
        })();
        let timer: NodeJS.Timeout | undefined;
        const cap = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
          timer.unref();
        });
        if ((await Promise.race([stop, cap])) === 'timeout') {
          diag.warn(`telemetry shutdown: gave up waiting after ${timeoutMs} ms; spans still queued are lost`);
        }
        clearTimeout(timer);
        for (const undo of registered) undo();
      })();
      return stopping;
    },
  };
}
