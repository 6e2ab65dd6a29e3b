// W3C trace context (traceparent, tracestate) and baggage across gRPC, API-only.
//
// Two carriers:
// - gRPC call metadata, for unary calls and for the context of a whole stream;
// - a plain string map, e.g. InferRequest.parameters, for one request inside a long-lived
//   multiplexed stream (call metadata is sent once per stream, not once per request).
//
// Both go through the globally registered propagator (propagation.inject / extract): with no SDK
// registered that propagator is a no-op, and so are these functions.
import {
  type Context,
  context,
  propagation,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

/**
 * The part of @grpc/grpc-js `Metadata` the carriers use. grpc-js normalises keys to lower case
 * and keeps a list of values per key; values of keys ending in `-bin` are Buffers.
 */
export interface MetadataCarrier {
  get(key: string): Array<string | Buffer>;
  set(key: string, value: string): void;
  getMap(): Record<string, unknown>;
}

/** TextMapGetter over gRPC metadata: string values only; several values come back as an array. */
export const metadataGetter: TextMapGetter<MetadataCarrier> = {
  keys(carrier) {
    return Object.keys(carrier.getMap());
  },
  get(carrier, key) {
    const name = key.toLowerCase();
    if (name.endsWith('-bin')) return undefined;
    const values = carrier.get(name).filter((v): v is string => typeof v === 'string');
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};

/** TextMapSetter over gRPC metadata: one value per key, replacing what was there. */
export const metadataSetter: TextMapSetter<MetadataCarrier> = {
  set(carrier, key, value) {
    carrier.set(key.toLowerCase(), value);
  },
};

/** Writes the context's trace context and baggage into gRPC metadata (client side). */
export function injectTraceContext<M extends MetadataCarrier>(
  metadata: M,
  ctx: Context = context.active(),
): M {
  propagation.inject(ctx, metadata, metadataSetter);
  return metadata;
}

/**
 * Reads trace context and baggage from gRPC metadata (server side) into a Context derived from
 * `base`. Use it as the parent of the server span: `tracer.startActiveSpan(name, opts, ctx, fn)`.
 */
export function extractTraceContext(metadata: MetadataCarrier, base: Context = context.active()): Context {
  return propagation.extract(base, metadata, metadataGetter);
}

/** A plain string map, e.g. a protobuf `map<string, string>` field. */
export type RecordCarrier = Record<string, string>;

export const recordGetter: TextMapGetter<RecordCarrier> = {
  keys(carrier) {
    return Object.keys(carrier);
  },
  get(carrier, key) {
    const value = Object.hasOwn(carrier, key) ? carrier[key] : undefined;
    return typeof value === 'string' ? value : undefined;
  },
};

export const recordSetter: TextMapSetter<RecordCarrier> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/** Writes trace context and baggage into a string map (one request inside a stream). */
export function injectTraceContextIntoRecord<R extends RecordCarrier>(
  record: R,
  ctx: Context = context.active(),
): R {
  propagation.inject(ctx, record, recordSetter);
  return record;
}

/** Reads trace context and baggage from a string map into a Context derived from `base`. */
export function extractTraceContextFromRecord(
  record: RecordCarrier | undefined,
  base: Context = context.active(),
): Context {
  if (!record) return base;
  return propagation.extract(base, record, recordGetter);
}
