// Trace context in 26 bytes, for one request inside a stream: version 0, trace-id (16), span-id
// (8), trace flags (1). It is the layout of W3C trace-context binary (and of OpenTelemetry's
// binary propagator) without the field-id bytes, since every field is always present. The
// textual `traceparent` takes 55 characters plus its key; a request carries these 26 bytes only
// when it is sampled (docs/wire-format.md, "Compact form").
import { type Context, context, isSpanContextValid, TraceFlags, trace } from '@opentelemetry/api';

export const BINARY_TRACE_CONTEXT_BYTES = 26;
const VERSION = 0;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The sampled span context of `ctx` as 26 bytes; undefined when there is none or it is unsampled. */
export function encodeBinaryTraceContext(ctx: Context = context.active()): Uint8Array | undefined {
  const sc = trace.getSpanContext(ctx);
  if (!sc || !isSpanContextValid(sc) || (sc.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  const out = new Uint8Array(BINARY_TRACE_CONTEXT_BYTES);
  out[0] = VERSION;
  for (let i = 0; i < 16; i++) out[1 + i] = Number.parseInt(sc.traceId.slice(2 * i, 2 * i + 2), 16);
  for (let i = 0; i < 8; i++) out[17 + i] = Number.parseInt(sc.spanId.slice(2 * i, 2 * i + 2), 16);
  out[25] = sc.traceFlags & 0xff;
  return out;
}

/**
 * A Context derived from `base` whose remote parent is the span these 26 bytes name. Anything
 * else (wrong length or version, all-zero ids) gives `base` unchanged: a bad trace context never
 * fails a request.
 */
export function decodeBinaryTraceContext(
  bytes: Uint8Array | undefined,
  base: Context = context.active(),
): Context {
  if (!bytes || bytes.length !== BINARY_TRACE_CONTEXT_BYTES || bytes[0] !== VERSION) return base;
  let traceId = '';
  for (let i = 1; i < 17; i++) traceId += HEX[bytes[i]!];
  let spanId = '';
  for (let i = 17; i < 25; i++) spanId += HEX[bytes[i]!];
  const sc = { traceId, spanId, traceFlags: bytes[25]!, isRemote: true };
  return isSpanContextValid(sc) ? trace.setSpanContext(base, sc) : base;
}
