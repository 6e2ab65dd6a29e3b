// Runs a function inside an active span, API-only.
import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';

export interface WithSpanOptions {
  kind?: SpanKind;
  /** Parent context; by default the active one. Pass `extractTraceContext(...)` on a server. */
  parent?: Context;
  links?: Link[];
}

/**
 * Starts `name` as the active span (so spans started inside `fn`, and `injectTraceContext`, see it
 * as the parent), runs `fn`, and ends the span whatever happens. A throw or a rejection is
 * recorded as an exception event, sets the status to ERROR and `error.type` to the error's
 * name, and is rethrown unchanged. `fn` may also set the status itself (e.g. from a gRPC status).
 */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => T | Promise<T>,
  options: WithSpanOptions = {},
): Promise<T> {
  const parent = options.parent ?? context.active();
  const spanOptions = {
    attributes,
    kind: options.kind ?? SpanKind.INTERNAL,
    ...(options.links ? { links: options.links } : {}),
  };
  return tracer.startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      if (!marked.has(span)) markSpanError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

const marked = new WeakSet<Span>();

/**
 * Records `error` on `span`: an exception event, status ERROR, and `error.type` — `errorType` if
 * given (e.g. the gRPC status name from `grpcStatusName(code)`), else the error's name. A span
 * marked once is not marked again by `withSpan` when the same failure propagates out of `fn`.
 */
export function markSpanError(span: Span, error: unknown, errorType?: string): void {
  marked.add(span);
  if (error instanceof Error) {
    span.recordException(error);
    span.setAttribute('error.type', errorType ?? (error.name || 'Error'));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else {
    const message = String(error);
    span.recordException(message);
    span.setAttribute('error.type', errorType ?? '_OTHER');
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
}
