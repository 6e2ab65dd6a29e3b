// Decoding of OTLP trace export requests for the test receiver (otlp-receiver.ts), with the
// protobufjs codecs generated from the official opentelemetry-proto definitions, as shipped by
// @opentelemetry/otlp-transformer@0.57 (installed under the alias otlp-transformer-protobufjs;
// later versions hand-write their encoders and ship no decoders).
import { createRequire } from 'node:module';

interface ProtoType {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  toObject(message: object, options: Record<string, unknown>): unknown;
  fromObject(object: object): object;
}

const require = createRequire(import.meta.url);
const root = require('otlp-transformer-protobufjs/build/src/generated/root.js') as {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: { ExportTraceServiceRequest: ProtoType; ExportTraceServiceResponse: ProtoType } };
      };
    };
  };
};
export const { ExportTraceServiceRequest, ExportTraceServiceResponse } =
  root.opentelemetry.proto.collector.trace.v1;

// The shapes toObject gives with { longs: String, enums: String, oneofs: true } (bytes as Buffers).
interface AnyValue {
  value?:
    | 'stringValue'
    | 'boolValue'
    | 'intValue'
    | 'doubleValue'
    | 'arrayValue'
    | 'kvlistValue'
    | 'bytesValue';
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: Uint8Array;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface DecodedSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  traceState?: string;
  name?: string;
  kind?: string;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: KeyValue[];
  events?: Array<{ name?: string; attributes?: KeyValue[] }>;
  links?: Array<{ traceId?: Uint8Array; spanId?: Uint8Array }>;
  status?: { code?: string; message?: string };
}
interface DecodedRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string; version?: string }; spans?: DecodedSpan[] }>;
  }>;
}

export type AttributeValue =
  | string
  | number
  | boolean
  | AttributeValue[]
  | { [key: string]: AttributeValue }
  | null;

export interface ReceivedSpan {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  /** 16 hex digits, or '' for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, SPAN_KIND_CLIENT, … as in the proto. */
  kind: string;
  attributes: Record<string, AttributeValue>;
  /** STATUS_CODE_UNSET, STATUS_CODE_OK or STATUS_CODE_ERROR. */
  status: { code: string; message: string };
  events: Array<{ name: string; attributes: Record<string, AttributeValue> }>;
  /** Span links: the spans this one points to, in other traces or its own. */
  links: Array<{ traceId: string; spanId: string }>;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** service.name of the resource the span came with. */
  serviceName: string;
  resource: Record<string, AttributeValue>;
  scope: { name: string; version: string };
  transport: 'http' | 'grpc';
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes).toString('hex') : '';
}

function anyValue(value: AnyValue | undefined): AttributeValue {
  switch (value?.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'intValue':
      return Number(value.intValue);
    case 'doubleValue':
      return value.doubleValue ?? 0;
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map(anyValue);
    case 'kvlistValue':
      return attributes(value.kvlistValue?.values);
    case 'bytesValue':
      return hex(value.bytesValue);
    default:
      return null;
  }
}

function attributes(list: KeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) out[key] = anyValue(value);
  return out;
}

/** Decodes an ExportTraceServiceRequest into flat spans. */
export function decodeTraceRequest(body: Uint8Array, transport: 'http' | 'grpc'): ReceivedSpan[] {
  return flatten(ExportTraceServiceRequest.decode(body), transport);
}

export function flatten(message: object, transport: 'http' | 'grpc'): ReceivedSpan[] {
  const request = ExportTraceServiceRequest.toObject(message, {
    longs: String,
    enums: String,
    oneofs: true,
    defaults: false,
  }) as DecodedRequest;
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = { name: scopeSpans.scope?.name ?? '', version: scopeSpans.scope?.version ?? '' };
      for (const span of scopeSpans.spans ?? []) {
        out.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          traceState: span.traceState ?? '',
          name: span.name ?? '',
          kind: span.kind ?? 'SPAN_KIND_UNSPECIFIED',
          attributes: attributes(span.attributes),
          status: { code: span.status?.code ?? 'STATUS_CODE_UNSET', message: span.status?.message ?? '' },
          events: (span.events ?? []).map((event) => ({
            name: event.name ?? '',
            attributes: attributes(event.attributes),
          })),
          links: (span.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
          startTimeUnixNano: BigInt(span.startTimeUnixNano ?? '0'),
          endTimeUnixNano: BigInt(span.endTimeUnixNano ?? '0'),
          serviceName: typeof resource['service.name'] === 'string' ? resource['service.name'] : '',
          resource,
          scope,
          transport,
        });
      }
    }
  }
  return out;
}
