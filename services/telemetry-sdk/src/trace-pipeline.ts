// The traces half of the SDK set-up: a BasicTracerProvider with a bounded BatchSpanProcessor in
// front of the chosen exporter (OTLP over http/protobuf or gRPC, or the console), counting the
// spans it drops, and the recent-trace store beside it when one is given.

import { OTLPTraceExporter as OtlpGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type BufferConfig,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { countingSpanProcessorMeters, type SpanDropCounts } from './dropped-spans.js';
import type { OtlpProtocol, TracesExporterName } from './env.js';
import type { TraceStore } from './trace-store.js';

export interface TracePipelineOptions {
  /** A span exporter of your own; wins over `exporter` (tests, special sinks). */
  spanExporter?: SpanExporter;
  /** An in-memory store of recent traces (the dashboard's), fed beside any exporter. */
  store?: TraceStore;
  /** BatchSpanProcessor bounds; unset ones come from OTEL_BSP_* or the SDK defaults (2048, 512, 5 s, 30 s). */
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  /**
   * Sample this share of new traces (parent-based: a request continues its caller's decision);
   * OTEL_TRACES_SAMPLER, when set, wins. Unset: the SDK default (every trace).
   */
  sampleRatio?: number;
}

function buildSpanExporter(exporter: TracesExporterName, protocol: OtlpProtocol, endpoint?: string) {
  if (exporter === 'console') return new ConsoleSpanExporter();
  if (exporter === 'none') return undefined;
  const config = endpoint !== undefined ? { url: endpoint } : {};
  return protocol === 'grpc' ? new OtlpGrpcTraceExporter(config) : new OtlpProtoTraceExporter(config);
}

export function createTracePipeline(o: {
  resource: Resource;
  enabled: boolean;
  choice: { exporter: TracesExporterName; protocol: OtlpProtocol };
  endpoint?: string | undefined;
  options: TracePipelineOptions;
  /** Where the span processor's self-observability metrics (and the drop counts) go. */
  meterProvider: MeterProvider;
}): { tracerProvider: BasicTracerProvider; spanDrops: () => SpanDropCounts } {
  const t = o.options;
  const exporter = o.enabled
    ? (t.spanExporter ?? buildSpanExporter(o.choice.exporter, o.choice.protocol, o.endpoint))
    : undefined;
  const drops = countingSpanProcessorMeters(o.meterProvider);
  const spanProcessors: SpanProcessor[] = [];
  if (exporter) {
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
  if (o.enabled && t.store) spanProcessors.push(t.store.processor);
  return {
    tracerProvider: new BasicTracerProvider({
      resource: o.resource,
      spanProcessors,
      ...(t.sampleRatio !== undefined && !process.env.OTEL_TRACES_SAMPLER
        ? { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(t.sampleRatio) }) }
        : {}),
    }),
    spanDrops: () => drops.counts(),
  };
}
