// gRPC call duration metrics and span attributes after the stable RPC semantic conventions
// (semconv 1.45: rpc.server.call.duration / rpc.client.call.duration in seconds, attributes
// rpc.system.name, rpc.method, rpc.status_code, server.address, server.port, error.type).
// API-only: the names are kept here as strings; rpc-metrics.test.ts checks them against
// @opentelemetry/semantic-conventions.

import { type Attributes, type Histogram, type MeterProvider, metrics } from '@opentelemetry/api';
import { METRIC } from '../metric-names.js';

export const METRIC_RPC_SERVER_CALL_DURATION = METRIC.rpcServerCallDuration;
export const METRIC_RPC_CLIENT_CALL_DURATION = METRIC.rpcClientCallDuration;
export const ATTR_RPC_SYSTEM_NAME = 'rpc.system.name';
export const ATTR_RPC_METHOD = 'rpc.method';
export const ATTR_RPC_STATUS_CODE = 'rpc.status_code';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_ERROR_TYPE = 'error.type';
export const RPC_SYSTEM_NAME_VALUE_GRPC = 'grpc';

/**
 * Bucket boundaries in seconds for duration histograms: the semantic conventions' advice
 * (5 ms … 10 s) extended down to 100 µs, because loopback calls and on-device stages are
 * sub-millisecond.
 */
export const DURATION_SECONDS_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5,
  7.5, 10,
];

/** gRPC status code names by number (grpc/doc/statuscodes.md). */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** The status name for a gRPC status number (or a name, passed through); `_OTHER` if unknown. */
export function grpcStatusName(code: number | string): string {
  if (typeof code === 'string') return GRPC_STATUS_NAMES.includes(code) ? code : '_OTHER';
  return GRPC_STATUS_NAMES[code] ?? '_OTHER';
}

// The gRPC conventions: on the client every status but OK is an error; on the server only the
// ones that point at the server (a bad argument or a missing model is the caller's problem).
const SERVER_ERROR_STATUSES = new Set([
  'UNKNOWN',
  'DEADLINE_EXCEEDED',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
]);

export type RpcSide = 'client' | 'server';

/** True when `status` counts as an error for `side` under the gRPC conventions. */
export function isGrpcError(side: RpcSide, status: number | string): boolean {
  const name = grpcStatusName(status);
  if (name === 'OK') return false;
  return side === 'client' || SERVER_ERROR_STATUSES.has(name) || name === '_OTHER';
}

export interface RpcCall {
  /** Fully-qualified method, `package.Service/Method`, e.g. `cleave.v1.SplitInference/Infer`. */
  method: string;
  /** The server's host as the client addressed it (client) or as it listens (server). */
  serverAddress?: string;
  serverPort?: number;
}

/** Span attributes for a gRPC call (set them at span start). */
export function rpcSpanAttributes(call: RpcCall): Attributes {
  const attrs: Attributes = {
    [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM_NAME_VALUE_GRPC,
    [ATTR_RPC_METHOD]: call.method,
  };
  if (call.serverAddress !== undefined) attrs[ATTR_SERVER_ADDRESS] = call.serverAddress;
  if (call.serverPort !== undefined) attrs[ATTR_SERVER_PORT] = call.serverPort;
  return attrs;
}

/** Attributes for the end of a call: rpc.status_code, and error.type when it is an error. */
export function rpcStatusAttributes(side: RpcSide, status: number | string): Attributes {
  const name = grpcStatusName(status);
  const attrs: Attributes = { [ATTR_RPC_STATUS_CODE]: name };
  if (isGrpcError(side, status)) attrs[ATTR_ERROR_TYPE] = name;
  return attrs;
}

// The metrics API hands out no-op instruments until an SDK is registered and never upgrades
// them, so the histograms are made again whenever the global provider changes.
let current: { provider: MeterProvider; server: Histogram; client: Histogram } | undefined;
function histograms(): { server: Histogram; client: Histogram } {
  const provider = metrics.getMeterProvider();
  if (current?.provider !== provider) {
    const meter = provider.getMeter('@cleave/telemetry');
    const advice = { explicitBucketBoundaries: [...DURATION_SECONDS_BUCKETS] };
    current = {
      provider,
      server: meter.createHistogram(METRIC_RPC_SERVER_CALL_DURATION, {
        description: 'Measures the duration of an incoming Remote Procedure Call (RPC).',
        unit: 's',
        advice,
      }),
      client: meter.createHistogram(METRIC_RPC_CLIENT_CALL_DURATION, {
        description: 'Measures the duration of an outgoing Remote Procedure Call (RPC).',
        unit: 's',
        advice,
      }),
    };
  }
  return current;
}

/** Records one finished call on rpc.{server,client}.call.duration. */
export function recordRpcCallDuration(
  side: RpcSide,
  seconds: number,
  call: RpcCall,
  status: number | string,
): void {
  const histogram = side === 'server' ? histograms().server : histograms().client;
  histogram.record(seconds, { ...rpcSpanAttributes(call), ...rpcStatusAttributes(side, status) });
}

export interface RpcCallTimer {
  /** Records the call with its final gRPC status; returns the duration in seconds. Once only. */
  end(status: number | string): number;
}

/**
 * Starts timing a call now. For a unary call, end it when the status is known; for a stream,
 * when the stream ends (the conventions measure the whole call, not each message).
 */
export function startRpcCallTimer(side: RpcSide, call: RpcCall): RpcCallTimer {
  const start = performance.now();
  let ended = false;
  return {
    end(status) {
      const seconds = (performance.now() - start) / 1000;
      if (!ended) {
        ended = true;
        recordRpcCallDuration(side, seconds, call, status);
      }
      return seconds;
    },
  };
}
