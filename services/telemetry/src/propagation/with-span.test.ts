import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { markSpanError, withSpan } from './with-span.js';

describe('telemetry - withSpan', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  before(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  after(async () => {
    context.disable();
    await provider.shutdown();
  });

  it('telemetry - the span is active inside fn, across awaits, and ends with fn', {
    timeout: 2000,
  }, async () => {
    exporter.reset();
    const result = await withSpan(tracer, 'outer', { a: 1 }, async (outer) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      assert.equal(trace.getActiveSpan(), outer);
      return withSpan(tracer, 'inner', {}, () => 42, { kind: SpanKind.CLIENT });
    });
    assert.equal(result, 42);
    const [inner, outer] = exporter.getFinishedSpans();
    assert.equal(inner?.name, 'inner');
    assert.equal(inner?.kind, SpanKind.CLIENT);
    assert.equal(inner?.parentSpanContext?.spanId, outer?.spanContext().spanId);
    assert.equal(outer?.attributes.a, 1);
    assert.equal(outer?.status.code, SpanStatusCode.UNSET);
  });

  it('telemetry - a throw or rejection is recorded once (status ERROR, error.type, exception event) and rethrown', {
    timeout: 2000,
  }, async () => {
    exporter.reset();
    const boom = new TypeError('bad frame');
    await assert.rejects(
      withSpan(tracer, 'fails', {}, async () => {
        throw boom;
      }),
      (error) => error === boom,
    );
    await assert.rejects(
      withSpan(tracer, 'marked', {}, (span) => {
        markSpanError(span, boom, 'INVALID_ARGUMENT');
        throw boom;
      }),
    );
    const [fails, marked] = exporter.getFinishedSpans();
    assert.equal(fails?.status.code, SpanStatusCode.ERROR);
    assert.equal(fails?.status.message, 'bad frame');
    assert.equal(fails?.attributes['error.type'], 'TypeError');
    assert.equal(fails?.events.filter((e) => e.name === 'exception').length, 1);
    assert.equal(fails?.ended, true);
    assert.equal(marked?.attributes['error.type'], 'INVALID_ARGUMENT');
    assert.equal(marked?.events.filter((e) => e.name === 'exception').length, 1, 'not recorded twice');
  });

  it('telemetry - an explicit parent context is used instead of the active one', {
    timeout: 2000,
  }, async () => {
    exporter.reset();
    const remote = trace.setSpanContext(context.active(), {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    await withSpan(tracer, 'server', {}, () => undefined, { kind: SpanKind.SERVER, parent: remote });
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(span?.parentSpanContext?.spanId, '00f067aa0ba902b7');
  });
});
