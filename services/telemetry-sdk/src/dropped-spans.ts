// Counting the spans the BatchSpanProcessor loses.
//
// The SDK's span processors report, through the self-observability MeterProvider they are given,
// `otel.sdk.processor.span.processed` with `error.type` = `queue_full` for every span dropped
// because the bounded queue was full, and `error.type` = the error's name for spans whose export
// failed. This wraps the real MeterProvider (so the counter still reaches /metrics) and keeps a
// running count in the process for `droppedSpans()`.
import type {
  Attributes,
  Context,
  Counter,
  Meter,
  MeterOptions,
  MeterProvider,
  MetricOptions,
} from '@opentelemetry/api';

export const METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED = 'otel.sdk.processor.span.processed';

export interface SpanDropCounts {
  /** Dropped because the processor's queue was full (OTEL_BSP_MAX_QUEUE_SIZE). */
  queueFull: number;
  /** Handed to the exporter, which reported the export failed. */
  exportFailed: number;
}

function countingCounter(inner: Counter, counts: SpanDropCounts): Counter {
  return {
    add(value: number, attributes?: Attributes, ctx?: Context) {
      const errorType = attributes?.['error.type'];
      if (errorType === 'queue_full') counts.queueFull += value;
      else if (errorType !== undefined) counts.exportFailed += value;
      inner.add(value, attributes, ctx);
    },
  };
}

function countingMeter(inner: Meter, counts: SpanDropCounts): Meter {
  return {
    createCounter(name: string, options?: MetricOptions) {
      const counter = inner.createCounter(name, options);
      return name === METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED ? countingCounter(counter, counts) : counter;
    },
    createGauge: (name, options) => inner.createGauge(name, options),
    createHistogram: (name, options) => inner.createHistogram(name, options),
    createUpDownCounter: (name, options) => inner.createUpDownCounter(name, options),
    createObservableGauge: (name, options) => inner.createObservableGauge(name, options),
    createObservableCounter: (name, options) => inner.createObservableCounter(name, options),
    createObservableUpDownCounter: (name, options) => inner.createObservableUpDownCounter(name, options),
    addBatchObservableCallback: (callback, observables) =>
      inner.addBatchObservableCallback(callback, observables),
    removeBatchObservableCallback: (callback, observables) =>
      inner.removeBatchObservableCallback(callback, observables),
  };
}

/** A MeterProvider to hand to span processors as `selfObsMeterProvider`, and the counts it keeps. */
export function countingSpanProcessorMeters(inner: MeterProvider): {
  meterProvider: MeterProvider;
  counts: () => SpanDropCounts;
} {
  const counts: SpanDropCounts = { queueFull: 0, exportFailed: 0 };
  return {
    meterProvider: {
      getMeter: (name: string, version?: string, options?: MeterOptions) =>
        countingMeter(inner.getMeter(name, version, options), counts),
    },
    counts: () => ({ ...counts }),
  };
}
