import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type HistogramMetricData,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import * as semconv from '@opentelemetry/semantic-conventions';
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DURATION_SECONDS_BUCKETS,
  GRPC_STATUS_NAMES,
  grpcStatusName,
  isGrpcError,
  METRIC_RPC_CLIENT_CALL_DURATION,
  METRIC_RPC_SERVER_CALL_DURATION,
  RPC_SYSTEM_NAME_VALUE_GRPC,
  recordRpcCallDuration,
  rpcStatusAttributes,
  startRpcCallTimer,
} from './rpc-metrics.js';

describe('telemetry - RPC call metrics', () => {
  after(() => metrics.disable());

  it('telemetry - names match the stable semantic conventions package', { timeout: 2000 }, () => {
    assert.equal(METRIC_RPC_SERVER_CALL_DURATION, semconv.METRIC_RPC_SERVER_CALL_DURATION);
    assert.equal(METRIC_RPC_CLIENT_CALL_DURATION, semconv.METRIC_RPC_CLIENT_CALL_DURATION);
    assert.equal(ATTR_RPC_SYSTEM_NAME, semconv.ATTR_RPC_SYSTEM_NAME);
    assert.equal(RPC_SYSTEM_NAME_VALUE_GRPC, semconv.RPC_SYSTEM_NAME_VALUE_GRPC);
    assert.equal(ATTR_RPC_METHOD, semconv.ATTR_RPC_METHOD);
    assert.equal(ATTR_RPC_STATUS_CODE, semconv.ATTR_RPC_STATUS_CODE);
    assert.equal(ATTR_SERVER_ADDRESS, semconv.ATTR_SERVER_ADDRESS);
    assert.equal(ATTR_SERVER_PORT, semconv.ATTR_SERVER_PORT);
    assert.equal(ATTR_ERROR_TYPE, semconv.ATTR_ERROR_TYPE);
  });

  it('telemetry - gRPC status names and which ones count as errors on each side', { timeout: 2000 }, () => {
    assert.equal(GRPC_STATUS_NAMES.length, 17);
    assert.equal(grpcStatusName(0), 'OK');
    assert.equal(grpcStatusName(8), 'RESOURCE_EXHAUSTED');
    assert.equal(grpcStatusName(16), 'UNAUTHENTICATED');
    assert.equal(grpcStatusName(99), '_OTHER');
    assert.equal(grpcStatusName('NOT_FOUND'), 'NOT_FOUND');
    assert.equal(isGrpcError('client', 5), true);
    assert.equal(isGrpcError('server', 5), false, 'NOT_FOUND is the caller’s problem');
    assert.equal(isGrpcError('server', 8), false);
    assert.equal(isGrpcError('server', 14), true);
    assert.equal(isGrpcError('server', 0), false);
    assert.deepEqual(rpcStatusAttributes('server', 3), { [ATTR_RPC_STATUS_CODE]: 'INVALID_ARGUMENT' });
    assert.deepEqual(rpcStatusAttributes('client', 3), {
      [ATTR_RPC_STATUS_CODE]: 'INVALID_ARGUMENT',
      [ATTR_ERROR_TYPE]: 'INVALID_ARGUMENT',
    });
  });

  it('telemetry - durations are recorded in seconds with the advised buckets once an SDK is registered', {
    timeout: 5000,
  }, async () => {
    recordRpcCallDuration('server', 1, { method: 'a.B/C' }, 0); // no SDK yet: a no-op
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);

    const call = {
      method: 'cleave.v1.SplitInference/Infer',
      serverAddress: 'tail.example.net',
      serverPort: 50051,
    };
    recordRpcCallDuration('client', 0.02, call, 4);
    const timer = startRpcCallTimer('server', call);
    const seconds = timer.end(0);
    assert.ok(seconds >= 0 && seconds < 1);
    timer.end(13); // a second end() is not recorded

    await reader.forceFlush();
    const all = exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
    const client = all.find((m) => m.descriptor.name === 'rpc.client.call.duration') as HistogramMetricData;
    const server = all.find((m) => m.descriptor.name === 'rpc.server.call.duration') as HistogramMetricData;
    assert.equal(client.dataPointType, DataPointType.HISTOGRAM);
    assert.equal(client.descriptor.unit, 's');
    assert.equal(client.dataPoints.length, 1);
    assert.deepEqual(client.dataPoints[0]!.attributes, {
      'rpc.system.name': 'grpc',
      'rpc.method': 'cleave.v1.SplitInference/Infer',
      'server.address': 'tail.example.net',
      'server.port': 50051,
      'rpc.status_code': 'DEADLINE_EXCEEDED',
      'error.type': 'DEADLINE_EXCEEDED',
    });
    assert.deepEqual(client.dataPoints[0]!.value.buckets.boundaries, [...DURATION_SECONDS_BUCKETS]);
    assert.equal(server.dataPoints.length, 1);
    assert.equal(server.dataPoints[0]!.value.count, 1);
    assert.equal(server.dataPoints[0]!.attributes['rpc.status_code'], 'OK');
    await provider.shutdown();
  });
});
