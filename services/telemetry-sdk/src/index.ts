// OpenTelemetry SDK set-up, for entry points only (`cleave agent`, `cleave serve`, the CLI).
// Library code never imports this module: it uses @opentelemetry/api (and the API-only helpers of
// '@cleave/telemetry'), whose globals this module fills in.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DURATION_SECONDS_BUCKETS } from '@cleave/telemetry';
import {
  type Attributes,
  context,
  DiagConsoleLogger,
  type DiagLogger,
  DiagLogLevel,
  diag,
  metrics,
  propagation,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  diagLogLevelFromString,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OtlpGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  type Resource,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  AggregationType,
  InstrumentType,
  MeterProvider,
  type MetricReader,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type BufferConfig,
  ConsoleSpanExporter,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { countingSpanProcessorMeters, type SpanDropCounts } from './dropped-spans.js';
import {
  chooseMetricsExport,
  choosePropagators,
  chooseTraceExport,
  type OtlpProtocol,
  sdkDisabled,
  type TraceExportOptions,
  type TracesExporterName,
} from './env.js';
import { PROMETHEUS_CONTENT_TYPE, serializePrometheus } from './prometheus.js';
import type { TraceStore } from './trace-store.js';

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
  traces?: TraceExportOptions & {
    /** A span exporter of your own; wins over `exporter` (tests, special sinks). */
    spanExporter?: SpanExporter;
    /** An in-memory store of recent traces (the dashboard's), fed beside any exporter. */
    store?: TraceStore;
    /** BatchSpanProcessor bounds; unset ones come from OTEL_BSP_* or the SDK defaults (2048, 512, 5 s, 30 s). */
    maxQueueSize?: number;
    maxExportBatchSize?: number;
    scheduledDelayMillis?: number;
    exportTimeoutMillis?: number;
  };
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

function buildPropagator(): TextMapPropagator {
  const propagators: TextMapPropagator[] = choosePropagators().map((name) =>
    name === 'tracecontext' ? new W3CTraceContextPropagator() : new W3CBaggagePropagator(),
  );
  return new CompositePropagator({ propagators });
}

function buildSpanExporter(exporter: TracesExporterName, protocol: OtlpProtocol, endpoint?: string) {
  if (exporter === 'console') return new ConsoleSpanExporter();
  if (exporter === 'none') return undefined;
  const config = endpoint !== undefined ? { url: endpoint } : {};
  return protocol === 'grpc' ? new OtlpGrpcTraceExporter(config) : new OtlpProtoTraceExporter(config);
}

function warnFailures(what: string, results: PromiseSettledResult<unknown>[]): void {
  for (const result of results) {
    if (result.status === 'rejected') diag.warn(`telemetry ${what}: ${String(result.reason)}`);
  }
}

function notServed(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
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

  const durationView: ViewOptions = {
    instrumentType: InstrumentType.HISTOGRAM,
    instrumentUnit: 's',
    aggregation: {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...(options.metrics?.durationBuckets ?? DURATION_SECONDS_BUCKETS)] },
    },
  };
  const reader: MetricReader | undefined = prometheus
    ? new PrometheusExporter({ preventServerStart: true })
    : undefined;
  const meterProvider = new MeterProvider({
    resource,
    views: [durationView],
    readers: reader ? [reader] : [],
  });

  const custom = options.traces?.spanExporter;
  const exporter = enabled
    ? (custom ?? buildSpanExporter(choice.exporter, choice.protocol, options.traces?.endpoint))
    : undefined;
  const drops = countingSpanProcessorMeters(meterProvider);
  const spanProcessors: SpanProcessor[] = [];
  if (exporter) {
    const t = options.traces ?? {};
    const bounds: BufferConfig = {};
    if (t.maxQueueSize !== undefined) bounds.maxQueueSize = t.maxQueueSize;
    if (t.maxExportBatchSize !== undefined) bounds.maxExportBatchSize = t.maxExportBatchSize;
    if (t.scheduledDelayMillis !== undefined) bounds.scheduledDelayMillis = t.scheduledDelayMillis;
    if (t.exportTimeoutMillis !== undefined) bounds.exportTimeoutMillis = t.exportTimeoutMillis;
    // selfObsMeterProvider is @opentelemetry/sdk-trace's BatchSpanProcessorOptions (experimental);
    // the sdk-trace-base shim passes it through. It feeds otel.sdk.processor.span.* and our count.
    const config: BufferConfig & { selfObsMeterProvider: typeof drops.meterProvider } = {
      ...bounds,
      selfObsMeterProvider: drops.meterProvider,
    };
    spanProcessors.push(new BatchSpanProcessor(exporter, config));
  }
  if (enabled && options.traces?.store) spanProcessors.push(options.traces.store.processor);
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors });

  const registered: Array<() => void> = [];
  if (enabled && registerGlobals) {
    const level = diagLogLevelFromString(process.env.OTEL_LOG_LEVEL) ?? DiagLogLevel.WARN;
    diag.setLogger(options.diagLogger ?? new DiagConsoleLogger(), {
      logLevel: level,
      suppressOverrideMessage: true,
    });
    registered.push(() => diag.disable());
    const steps: Array<[string, () => boolean, () => void]> = [
      [
        'context manager',
        () => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()),
        () => context.disable(),
      ],
      ['propagator', () => propagation.setGlobalPropagator(buildPropagator()), () => propagation.disable()],
      ['tracer provider', () => trace.setGlobalTracerProvider(tracerProvider), () => trace.disable()],
      ['meter provider', () => metrics.setGlobalMeterProvider(meterProvider), () => metrics.disable()],
    ];
    for (const [what, register, unregister] of steps) {
      if (!register()) {
        for (const undo of registered.reverse()) undo();
        throw new Error(
          `startTelemetry: a global OpenTelemetry ${what} is already registered ` +
            '(telemetry started twice in one process? call shutdown() first)',
        );
      }
      registered.push(unregister);
    }
  }

  async function metricsText(): Promise<string> {
    if (!reader) return '';
    // host.id is detected asynchronously; the serializer reads every resource attribute.
    await resource.waitForAsyncAttributes?.();
    const { resourceMetrics, errors } = await reader.collect();
    for (const error of errors) diag.warn('metrics collection error', error);
    return serializePrometheus(resourceMetrics);
  }

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
    prometheusHandler(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        notServed(res, 405, 'method not allowed');
        return;
      }
      if (!reader) {
        notServed(res, 404, enabled ? 'metrics are turned off' : 'telemetry is off (OTEL_SDK_DISABLED=true)');
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
    metricsText,
    droppedSpans: () => drops.counts().queueFull + drops.counts().exportFailed,
    spanDrops: () => drops.counts(),
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
        for (const undo of registered.reverse()) undo();
      })();
      return stopping;
    },
  };
}
