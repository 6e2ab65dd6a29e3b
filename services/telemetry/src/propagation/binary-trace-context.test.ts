import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import {
  BINARY_TRACE_CONTEXT_BYTES,
  decodeBinaryTraceContext,
  encodeBinaryTraceContext,
} from './binary-trace-context.js';

const sc = (traceFlags: number) => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags,
  isRemote: false,
});

describe('binary trace context', () => {
  it('binary trace context - 26 bytes round trip for a sampled span', { timeout: 1000 }, () => {
    const bytes = encodeBinaryTraceContext(trace.setSpanContext(ROOT_CONTEXT, sc(TraceFlags.SAMPLED)));
    assert.ok(bytes);
    assert.equal(bytes.length, BINARY_TRACE_CONTEXT_BYTES);
    assert.equal(Buffer.from(bytes).toString('hex'), '000af7651916cd43dd8448eb211c80319cb7ad6b716920333101');
    const back = trace.getSpanContext(decodeBinaryTraceContext(bytes, ROOT_CONTEXT));
    assert.deepEqual(back, { ...sc(TraceFlags.SAMPLED), isRemote: true });
  });

  it('binary trace context - nothing for an unsampled or absent span', { timeout: 1000 }, () => {
    assert.equal(
      encodeBinaryTraceContext(trace.setSpanContext(ROOT_CONTEXT, sc(TraceFlags.NONE))),
      undefined,
    );
    assert.equal(encodeBinaryTraceContext(ROOT_CONTEXT), undefined);
  });

  it('binary trace context - bad bytes leave the base context alone', { timeout: 1000 }, () => {
    const good = encodeBinaryTraceContext(trace.setSpanContext(ROOT_CONTEXT, sc(TraceFlags.SAMPLED)))!;
    const wrongVersion = Uint8Array.from(good);
    wrongVersion[0] = 1;
    for (const bad of [good.subarray(0, 25), wrongVersion, new Uint8Array(26)]) {
      assert.equal(decodeBinaryTraceContext(bad, ROOT_CONTEXT), ROOT_CONTEXT);
    }
  });
});
