import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpanRecord } from '@cleave/telemetry';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { startTelemetry } from './index.js';
import { createTraceStore } from './trace-store.js';

function record(traceId: string, spanId: string, extra: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId,
    spanId,
    name: 'x',
    kind: 'internal',
    startMs: 1000,
    durationMs: 1,
    attributes: {},
    serviceName: 'svc',
    status: 'unset',
    ...extra,
  };
}

describe('telemetry - trace store', () => {
  it('telemetry - SDK spans become plain records with parents, kinds, status and the service name', async () => {
    const store = createTraceStore();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'cleave-demo' }),
      spanProcessors: [store.processor],
    });
    const tracer = provider.getTracer('t');
    const root = tracer.startSpan('cleave.infer', {
      attributes: { 'cleave.agent.id': 'pi-1', 'cleave.answer.source': 'cloud', 'cleave.payload.bytes': 84 },
    });
    const ctx = trace.setSpan(context.active(), root);
    const client = tracer.startSpan('cleave.v1.SplitInference/InferStream', { kind: SpanKind.CLIENT }, ctx);
    const server = tracer.startSpan(
      'cleave.v1.SplitInference/InferStream',
      { kind: SpanKind.SERVER, attributes: { 'cleave.agent.id': 'pi-1' } },
      trace.setSpan(ctx, client),
    );
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    server.end();
    client.end();
    root.end();

    const traceId = root.spanContext().traceId;
    const spans = store.trace(traceId);
    assert.ok(spans, 'the trace is stored');
    assert.equal(spans.length, 3);
    const byKind = new Map(spans.map((s) => [s.kind, s]));
    const rootRec = byKind.get('internal')!;
    assert.equal(rootRec.name, 'cleave.infer');
    assert.equal(rootRec.parentSpanId, undefined);
    assert.equal(rootRec.serviceName, 'cleave-demo');
    assert.equal(rootRec.attributes['cleave.answer.source'], 'cloud');
    assert.equal(byKind.get('client')!.parentSpanId, rootRec.spanId);
    assert.equal(byKind.get('server')!.parentSpanId, byKind.get('client')!.spanId);
    assert.equal(byKind.get('server')!.status, 'error');
    assert.equal(byKind.get('server')!.statusMessage, 'boom');
    assert.ok(
      rootRec.startMs > 1.6e12 && rootRec.durationMs >= 0,
      `${rootRec.startMs} ${rootRec.durationMs}`,
    );
    assert.doesNotThrow(() => JSON.stringify(spans));

    const [summary] = store.recent(10);
    assert.equal(summary!.traceId, traceId);
    assert.equal(summary!.rootName, 'cleave.infer');
    assert.equal(summary!.spanCount, 3);
    assert.ok(summary!.hasServer && summary!.hasClient && summary!.error, JSON.stringify(summary));
    assert.deepEqual(summary!.serviceNames, ['cleave-demo']);

    assert.deepEqual(
      store
        .agentsSeen()
        .map(({ id, inferences, offloads, served }) => ({ id, inferences, offloads, served })),
      [{ id: 'pi-1', inferences: 1, offloads: 1, served: 1 }],
    );
    await provider.shutdown();
  });

  it('telemetry - the oldest trace goes first and drops are counted', () => {
    const store = createTraceStore({ maxTraces: 3, maxSpansPerTrace: 2 });
    for (const id of ['a', 'b', 'c']) store.add(record(id, `${id}1`));
    store.add(record('a', 'a2')); // 'a' is now the most recently updated
    store.add(record('d', 'd1')); // evicts 'b'
    assert.equal(store.trace('b'), undefined);
    assert.deepEqual(
      store.recent().map((t) => t.traceId),
      ['d', 'a', 'c'],
    );
    store.add(record('a', 'a3')); // 'a' is full
    assert.equal(store.trace('a')!.length, 2);
    assert.equal(store.recent(1)[0]!.droppedSpans, 1);
    assert.deepEqual(store.stats(), { traces: 3, spans: 4, droppedTraces: 1, droppedSpans: 1 });
    assert.equal(store.recent(2).length, 2);
  });

  it('telemetry - the local root is the span whose parent is elsewhere; spans come back by start', () => {
    const store = createTraceStore();
    store.add(record('t', 'tail', { parentSpanId: 'srv', startMs: 1003, durationMs: 2 }));
    store.add(
      record('t', 'srv', {
        parentSpanId: 'remote',
        kind: 'server',
        name: 'rpc',
        startMs: 1002,
        durationMs: 4,
      }),
    );
    const [summary] = store.recent();
    assert.equal(summary!.rootName, 'rpc');
    assert.equal(summary!.rootKind, 'server');
    assert.equal(summary!.startMs, 1002);
    assert.equal(summary!.durationMs, 4);
    assert.deepEqual(
      store.trace('t')!.map((s) => s.spanId),
      ['srv', 'tail'],
    );
  });

  it('telemetry - agents: the id attribute, else the service name; bounded, the most recent first', () => {
    const store = createTraceStore({ maxAgents: 2 });
    store.add(record('1', 'a', { name: 'cleave.infer', serviceName: 'cleave-agent', startMs: 10 }));
    store.add(
      record('2', 'b', { name: 'cleave.infer', attributes: { 'cleave.agent.id': 'j1' }, startMs: 20 }),
    );
    store.add(
      record('3', 'c', { name: 'cleave.infer', attributes: { 'cleave.agent.id': 'j1' }, startMs: 30 }),
    );
    store.add(record('4', 'd', { name: 'cleave.tail' })); // no agent: ignored
    assert.deepEqual(
      store.agentsSeen().map((a) => [a.id, a.inferences, a.lastSeen]),
      [
        ['j1', 2, 31],
        ['cleave-agent', 1, 11],
      ],
    );
    store.add(
      record('5', 'e', { name: 'cleave.infer', attributes: { 'cleave.agent.id': 'j2' }, startMs: 40 }),
    );
    assert.deepEqual(
      store.agentsSeen().map((a) => a.id),
      ['j2', 'j1'],
    );
    store.clear();
    assert.deepEqual(store.stats(), { traces: 0, spans: 0, droppedTraces: 0, droppedSpans: 0 });
    assert.deepEqual(store.agentsSeen(), []);
  });

  it('telemetry - startTelemetry({ traces: { store } }) feeds the store beside the exporter', async () => {
    const store = createTraceStore();
    const telemetry = startTelemetry({
      serviceName: 'cleave-store-test',
      traces: { exporter: 'none', store },
      metrics: { prometheus: false },
      registerGlobals: true,
    });
    try {
      const span = trace
        .getTracer('t')
        .startSpan('cleave.infer', { attributes: { 'cleave.agent.id': 'a1' } });
      span.end();
      const [summary] = store.recent(1);
      assert.equal(summary?.rootName, 'cleave.infer');
      assert.deepEqual(summary?.serviceNames, ['cleave-store-test']);
      assert.equal(store.agentsSeen()[0]?.id, 'a1');
    } finally {
      await telemetry.shutdown();
    }
  });

  it('telemetry - bad bounds are refused', () => {
    assert.throws(() => createTraceStore({ maxTraces: 0 }), /maxTraces/);
    assert.throws(() => createTraceStore({ maxSpansPerTrace: 1.5 }), /maxSpansPerTrace/);
  });
});
