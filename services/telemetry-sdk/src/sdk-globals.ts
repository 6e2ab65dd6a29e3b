// Registers the SDK as the API's globals (diag logger, context manager, propagator, tracer and
// meter providers), all or none: a second registration in one process is refused whole.
import {
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
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { choosePropagators } from './env.js';

function buildPropagator(): TextMapPropagator {
  const propagators: TextMapPropagator[] = choosePropagators().map((name) =>
    name === 'tracecontext' ? new W3CTraceContextPropagator() : new W3CBaggagePropagator(),
  );
  return new CompositePropagator({ propagators });
}

/** Registers everything; returns the undo steps, newest first. Throws (having undone) on a clash. */
export function registerSdkGlobals(o: {
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  diagLogger?: DiagLogger | undefined;
}): Array<() => void> {
  const registered: Array<() => void> = [];
  const level = diagLogLevelFromString(process.env.OTEL_LOG_LEVEL) ?? DiagLogLevel.WARN;
  diag.setLogger(o.diagLogger ?? new DiagConsoleLogger(), {
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
    ['tracer provider', () => trace.setGlobalTracerProvider(o.tracerProvider), () => trace.disable()],
    ['meter provider', () => metrics.setGlobalMeterProvider(o.meterProvider), () => metrics.disable()],
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
  return registered.reverse();
}
