import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { context, propagation, ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  extractTraceContext,
  extractTraceContextFromRecord,
  injectTraceContext,
  injectTraceContextIntoRecord,
  metadataGetter,
  metadataSetter,
  recordGetter,
} from './carriers.js';

const parent: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  traceState: undefined,
};
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('telemetry - gRPC metadata carriers', () => {
  before(() => {
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
  });
  after(() => propagation.disable());

  it('telemetry - the getter reads lower-cased keys, skips binary ones and returns several values as an array', {
    timeout: 2000,
  }, () => {
    const md = new Metadata();
    md.set('traceparent', TRACEPARENT);
    md.add('baggage', 'a=1');
    md.add('baggage', 'b=2');
    md.set('trace-bin', Buffer.from([1, 2, 3]));
    assert.equal(metadataGetter.get(md, 'TraceParent'), TRACEPARENT);
    assert.deepEqual(metadataGetter.get(md, 'baggage'), ['a=1', 'b=2']);
    assert.equal(metadataGetter.get(md, 'trace-bin'), undefined);
    assert.equal(metadataGetter.get(md, 'tracestate'), undefined);
    assert.deepEqual(metadataGetter.keys(md).sort(), ['baggage', 'trace-bin', 'traceparent']);
  });

  it('telemetry - the setter replaces any earlier value under the lower-cased key', { timeout: 2000 }, () => {
    const md = new Metadata();
    md.add('traceparent', 'stale');
    metadataSetter.set(md, 'TraceParent', TRACEPARENT);
    assert.deepEqual(md.get('traceparent'), [TRACEPARENT]);
  });

  it('telemetry - inject then extract round-trips the span context and baggage through real grpc Metadata', {
    timeout: 2000,
  }, () => {
    const baggage = propagation.createBaggage({ 'cleave.request_id': { value: 'r-7' } });
    const ctx = propagation.setBaggage(trace.setSpanContext(ROOT_CONTEXT, parent), baggage);
    const md = injectTraceContext(new Metadata(), ctx);
    assert.deepEqual(md.get('traceparent'), [TRACEPARENT]);
    assert.deepEqual(md.get('baggage'), ['cleave.request_id=r-7']);

    const extracted = extractTraceContext(md, ROOT_CONTEXT);
    const remote = trace.getSpanContext(extracted);
    assert.equal(remote?.traceId, parent.traceId);
    assert.equal(remote?.spanId, parent.spanId);
    assert.equal(remote?.isRemote, true);
    assert.equal(propagation.getBaggage(extracted)?.getEntry('cleave.request_id')?.value, 'r-7');
  });

  it('telemetry - extract without trace headers leaves the context alone; inject with no span writes nothing', {
    timeout: 2000,
  }, () => {
    assert.equal(trace.getSpanContext(extractTraceContext(new Metadata(), ROOT_CONTEXT)), undefined);
    const md = injectTraceContext(new Metadata(), ROOT_CONTEXT);
    assert.deepEqual(md.getMap(), {});
  });

  it('telemetry - a malformed traceparent from a peer is ignored, not thrown', { timeout: 2000 }, () => {
    const md = new Metadata();
    md.set('traceparent', '00-not-a-trace-01');
    assert.equal(trace.getSpanContext(extractTraceContext(md, ROOT_CONTEXT)), undefined);
  });

  it('telemetry - the record carrier does the same for a string map such as InferRequest.parameters', {
    timeout: 2000,
  }, () => {
    const params: Record<string, string> = { priority: 'high' };
    injectTraceContextIntoRecord(params, trace.setSpanContext(ROOT_CONTEXT, parent));
    assert.equal(params.traceparent, TRACEPARENT);
    assert.equal(params.priority, 'high');
    assert.equal(
      trace.getSpanContext(extractTraceContextFromRecord(params, ROOT_CONTEXT))?.spanId,
      parent.spanId,
    );
    assert.equal(extractTraceContextFromRecord(undefined, ROOT_CONTEXT), ROOT_CONTEXT);
    assert.equal(
      recordGetter.get(Object.create({ traceparent: TRACEPARENT }) as Record<string, string>, 'traceparent'),
      undefined,
    );
  });

  it('telemetry - with no propagator registered (no SDK) inject and extract are no-ops', {
    timeout: 2000,
  }, () => {
    propagation.disable();
    try {
      const md = injectTraceContext(new Metadata(), trace.setSpanContext(ROOT_CONTEXT, parent));
      assert.deepEqual(md.getMap(), {});
      assert.equal(extractTraceContext(md), context.active());
    } finally {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    }
  });
});
