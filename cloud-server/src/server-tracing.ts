// The server's spans through @opentelemetry/api: each request's SERVER span continues the trace
// its agent started (the request's 26-byte binary context, or a W3C traceparent in its parameters,
// else for the legacy form the call's metadata), with children for the time it waited in the
// batch queue and the tail run that answered it. A stream whose metadata carries a trace context
// gets one `cleave.stream` span: compact requests that were not sampled join that trace through
// it (it counts them), and each sampled request's span links to it.
import {
  decodeBinaryTraceContext,
  extractTraceContext,
  extractTraceContextFromRecord,
  rpcStatusAttributes,
} from '@cleave/telemetry';
import type { InferRequest__Output, InferResult } from '@cleave/wire';
import type { Metadata } from '@grpc/grpc-js';
import {
  type Context,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

const tracer = () => trace.getTracer('@cleave/cloud-server');

/** performance.now() → epoch ms, the time base spans use. */
const epochMs = (t: number) => performance.timeOrigin + t;

/** Whether an object has no own keys, without building the array Object.keys would (per request). */
function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return false;
  return true;
}

/**
 * The parent of a request's span. A compact request (id > 0) without its own context has none:
 * it was not sampled, and its stream's span stands for it.
 */
export function requestContext(
  metadata: Metadata,
  req: Pick<InferRequest__Output, 'id' | 'trace' | 'parameters'>,
): Context {
  if (req.trace && req.trace.length > 0) return decodeBinaryTraceContext(req.trace, context.active());
  const parameters = req.parameters;
  const hasParameters = parameters !== undefined && !isEmpty(parameters);
  if (req.id > 0)
    return hasParameters ? extractTraceContextFromRecord(parameters, ROOT_CONTEXT) : ROOT_CONTEXT;
  const call = extractTraceContext(metadata);
  return hasParameters ? extractTraceContextFromRecord(parameters, call) : call;
}

export interface StreamSpan {
  /** Links for the span of a sampled request on this stream. */
  readonly links: Link[];
  /** One request answered on the stream; `traced`: it had a span of its own. */
  answered(traced: boolean): void;
  end(code: number): void;
}

const NO_STREAM_SPAN: StreamSpan = { links: [], answered() {}, end() {} };

/** The `cleave.stream` SERVER span of a stream whose metadata carries a trace context. */
export function startStreamSpan(method: string, metadata: Metadata): StreamSpan {
  const parent = extractTraceContext(metadata, ROOT_CONTEXT);
  if (trace.getSpanContext(parent) === undefined) return NO_STREAM_SPAN;
  const span = tracer().startSpan(
    'cleave.stream',
    { kind: SpanKind.SERVER, attributes: { 'rpc.system.name': 'grpc', 'rpc.method': method } },
    parent,
  );
  let traced = 0;
  let untraced = 0;
  let ended = false;
  return {
    links: [{ context: span.spanContext() }],
    answered(t) {
      if (t) traced++;
      else untraced++;
    },
    end(code) {
      if (ended) return;
      ended = true;
      span.setAttributes({
        ...rpcStatusAttributes('server', code),
        'cleave.stream.requests': traced + untraced,
        'cleave.stream.requests_unsampled': untraced,
      });
      span.end();
    },
  };
}

export interface RequestSpan {
  /** False for a request that belongs to no trace (no span is recorded). */
  readonly traced: boolean;
  /** Ends the span with the request's outcome: its result (adds queue and tail spans) or a status. */
  end(outcome: { result: InferResult } | { code: number; message: string }): void;
}

const UNTRACED: RequestSpan = { traced: false, end() {} };

/**
 * Starts the SERVER span of one request, when the caller sent a trace context: a request that
 * belongs to no trace gets none (under overload that is tens of thousands of spans a second).
 */
export function startRequestSpan(
  method: string,
  parent: Context,
  identity?: string,
  links: Link[] = [],
): RequestSpan {
  if (trace.getSpanContext(parent) === undefined) return UNTRACED;
  const started = performance.now();
  const span: Span = tracer().startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      startTime: epochMs(started),
      links,
      attributes: {
        'rpc.system.name': 'grpc',
        'rpc.method': method,
        ...(identity ? { 'cleave.agent.id': identity } : {}),
      },
    },
    parent,
  );
  return {
    traced: true,
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
