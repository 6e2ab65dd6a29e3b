// The server's spans through @opentelemetry/api: each request's SERVER span continues the trace
// its agent started (W3C context from the request's parameters, else the call's metadata), with
// children for the time it waited in the batch queue and the tail run that answered it.
import { extractTraceContext, extractTraceContextFromRecord, rpcStatusAttributes } from '@cleave/telemetry';
import type { InferResult } from '@cleave/wire';
import type { Metadata } from '@grpc/grpc-js';
import { type Context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = () => trace.getTracer('@cleave/cloud-server');

/** performance.now() → epoch ms, the time base spans use. */
const epochMs = (t: number) => performance.timeOrigin + t;

export function requestContext(metadata: Metadata, parameters: Record<string, string> | undefined): Context {
  const call = extractTraceContext(metadata);
  return parameters && Object.keys(parameters).length > 0
    ? extractTraceContextFromRecord(parameters, call)
    : call;
}

export interface RequestSpan {
  /** Ends the span with the request's outcome: its result (adds queue and tail spans) or a status. */
  end(outcome: { result: InferResult } | { code: number; message: string }): void;
}

const UNTRACED: RequestSpan = { end() {} };

/**
 * Starts the SERVER span of one request, when the caller sent a trace context: a request that
 * belongs to no trace gets none (under overload that is tens of thousands of spans a second).
 */
export function startRequestSpan(method: string, parent: Context, identity?: string): RequestSpan {
  if (trace.getSpanContext(parent) === undefined) return UNTRACED;
  const started = performance.now();
  const span: Span = tracer().startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      startTime: epochMs(started),
      attributes: {
        'rpc.system.name': 'grpc',
        'rpc.method': method,
        ...(identity ? { 'cleave.agent.id': identity } : {}),
      },
    },
    parent,
  );
  return {
    end(outcome) {
      const now = performance.now();
      if ('result' in outcome) {
        const r = outcome.result;
        const t = r.timing;
        const queueMs = Number(t?.queue_us ?? 0) / 1000;
        const computeMs = Number(t?.compute_us ?? 0) / 1000;
        const ctx = trace.setSpan(parent, span);
        // Queue and tail are timed by the batcher; the spans are placed where they happened.
        const tailEnd = now;
        const tailStart = Math.max(started, tailEnd - computeMs);
        const queueStart = Math.max(started, tailStart - queueMs);
        tracer()
          .startSpan('cleave.queue', { startTime: epochMs(queueStart) }, ctx)
          .end(epochMs(tailStart));
        tracer()
          .startSpan(
            'cleave.tail',
            { startTime: epochMs(tailStart), attributes: { 'cleave.batch.size': r.batch_size ?? 1 } },
            ctx,
          )
          .end(epochMs(tailEnd));
        span.setAttributes({
          ...rpcStatusAttributes('server', 0),
          'cleave.model': `${r.model_name}@${r.model_version}`,
          'cleave.batch.size': r.batch_size ?? 1,
        });
      } else {
        span.setAttributes(rpcStatusAttributes('server', outcome.code));
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
      }
      span.end(epochMs(now));
    },
  };
}
