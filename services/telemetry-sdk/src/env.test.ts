import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseMetricsExport, choosePropagators, chooseTraceExport, sdkDisabled } from './env.js';

describe('telemetry - OTEL_* environment', () => {
  it('telemetry - traces go over OTLP only when an endpoint is configured, unless asked explicitly', {
    timeout: 2000,
  }, () => {
    assert.equal(chooseTraceExport({}, {}).exporter, 'none');
    assert.equal(chooseTraceExport({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).exporter, 'otlp');
    assert.equal(
      chooseTraceExport({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).exporter,
      'otlp',
    );
    assert.equal(chooseTraceExport({ endpoint: 'http://c:4318/v1/traces' }, {}).exporter, 'otlp');
    assert.equal(chooseTraceExport({}, { OTEL_TRACES_EXPORTER: 'otlp' }).exporter, 'otlp');
    assert.equal(chooseTraceExport({}, { OTEL_TRACES_EXPORTER: 'console' }).exporter, 'console');
    assert.equal(
      chooseTraceExport({}, { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })
        .exporter,
      'none',
    );
    assert.equal(chooseTraceExport({}, { OTEL_TRACES_EXPORTER: 'zipkin' }).exporter, 'none');
    assert.equal(chooseTraceExport({ exporter: 'none' }, { OTEL_TRACES_EXPORTER: 'otlp' }).exporter, 'none');
    assert.equal(
      chooseTraceExport({}, { OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }).exporter,
      'none',
      'blank is unset',
    );
  });

  it('telemetry - the protocol: options, then the traces-specific variable, then the general one; default http/protobuf', {
    timeout: 2000,
  }, () => {
    assert.equal(chooseTraceExport({}, {}).protocol, 'http/protobuf');
    assert.equal(chooseTraceExport({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).protocol, 'grpc');
    assert.equal(
      chooseTraceExport(
        {},
        { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' },
      ).protocol,
      'http/protobuf',
    );
    assert.equal(
      chooseTraceExport({ protocol: 'grpc' }, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })
        .protocol,
      'grpc',
    );
    assert.equal(
      chooseTraceExport({}, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol,
      'http/protobuf',
    );
  });

  it('telemetry - OTEL_SDK_DISABLED, OTEL_METRICS_EXPORTER and OTEL_PROPAGATORS', { timeout: 2000 }, () => {
    assert.equal(sdkDisabled({ OTEL_SDK_DISABLED: 'TRUE' }), true);
    assert.equal(sdkDisabled({ OTEL_SDK_DISABLED: 'false' }), false);
    assert.equal(sdkDisabled({}), false);
    assert.equal(chooseMetricsExport(undefined, {}), 'prometheus');
    assert.equal(chooseMetricsExport(undefined, { OTEL_METRICS_EXPORTER: 'none' }), 'none');
    assert.equal(chooseMetricsExport(true, { OTEL_METRICS_EXPORTER: 'none' }), 'prometheus');
    assert.equal(chooseMetricsExport(false, {}), 'none');
    assert.deepEqual(choosePropagators({}), ['tracecontext', 'baggage']);
    assert.deepEqual(choosePropagators({ OTEL_PROPAGATORS: 'tracecontext' }), ['tracecontext']);
    assert.deepEqual(choosePropagators({ OTEL_PROPAGATORS: 'b3,baggage' }), ['baggage']);
    assert.deepEqual(choosePropagators({ OTEL_PROPAGATORS: 'none' }), []);
  });
});
