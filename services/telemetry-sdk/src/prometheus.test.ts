import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  prepareForPrometheus,
  prometheusBaseName,
  prometheusUnitSuffix,
  serializePrometheus,
} from './prometheus.js';

function sum(name: string, unit: string, isMonotonic: boolean, value = 1): MetricData {
  return {
    descriptor: { name, unit, description: `${name} help`, valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic,
    dataPoints: [{ startTime: [0, 0], endTime: [1, 0], attributes: {}, value }],
  };
}

function gauge(name: string, unit: string, value = 1): MetricData {
  return {
    descriptor: { name, unit, description: '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: [{ startTime: [0, 0], endTime: [1, 0], attributes: {}, value }],
  };
}

describe('telemetry - Prometheus names', () => {
  it('telemetry - UCUM units become Prometheus suffixes', { timeout: 2000 }, () => {
    assert.equal(prometheusUnitSuffix('s', false), 'seconds');
    assert.equal(prometheusUnitSuffix('ms', false), 'milliseconds');
    assert.equal(prometheusUnitSuffix('By', false), 'bytes');
    assert.equal(prometheusUnitSuffix('W', true), 'watts');
    assert.equal(prometheusUnitSuffix('J', false), 'joules');
    assert.equal(prometheusUnitSuffix('Cel', true), 'celsius');
    assert.equal(prometheusUnitSuffix('By/s', true), 'bytes_per_second');
    assert.equal(prometheusUnitSuffix('1/s', true), 'per_second');
    assert.equal(prometheusUnitSuffix('{request}/s', true), 'per_second');
    assert.equal(prometheusUnitSuffix('1', true), 'ratio');
    assert.equal(prometheusUnitSuffix('1', false), '');
    assert.equal(prometheusUnitSuffix('{span}', false), '');
    assert.equal(prometheusUnitSuffix('', false), '');
    assert.equal(prometheusUnitSuffix('frames', false), 'frames');
  });

  it('telemetry - names get the unit once; counters keep the suffix before _total', { timeout: 2000 }, () => {
    assert.equal(prometheusBaseName(gauge('hw.power', 'W')), 'hw_power_watts');
    assert.equal(prometheusBaseName(sum('hw.energy', 'J', true)), 'hw_energy_joules');
    assert.equal(prometheusBaseName(sum('cleave.wire.bytes', 'By', true)), 'cleave_wire_bytes');
    assert.equal(prometheusBaseName(sum('queue.latency_seconds', 's', false)), 'queue_latency_seconds');
    assert.equal(prometheusBaseName(sum('cleave.cache.lookups', '', true)), 'cleave_cache_lookups');
    assert.equal(prometheusBaseName(sum('2xx', '', true)), '_2xx');
    const text = serializePrometheus({
      resource: resourceFromAttributes({ 'service.name': 's' }),
      scopeMetrics: [{ scope: { name: 'x' }, metrics: [sum('hw.energy', 'J', true, 5)] }],
    });
    assert.match(text, /^# TYPE hw_energy_joules_total counter$/m);
    assert.match(text, /^hw_energy_joules_total\{otel_scope_name="x"\} 5$/m);
  });

  it('telemetry - same-named instruments from two scopes merge into one family; a type clash is left out', {
    timeout: 2000,
  }, () => {
    const input: ResourceMetrics = {
      resource: resourceFromAttributes({}),
      scopeMetrics: [
        {
          scope: { name: '@cleave/edge-agent', version: '0.1.0' },
          metrics: [sum('cleave.requests', '', true, 2)],
        },
        {
          scope: { name: '@cleave/cloud-server' },
          metrics: [sum('cleave.requests', '', true, 3), gauge('cleave.requests', '', 9)],
        },
      ],
    };
    const prepared = prepareForPrometheus(input);
    assert.equal(prepared.scopeMetrics.length, 1);
    const [family] = prepared.scopeMetrics[0]!.metrics;
    assert.equal(prepared.scopeMetrics[0]!.metrics.length, 1);
    assert.equal(family?.descriptor.name, 'cleave_requests');
    assert.deepEqual(
      family?.dataPoints.map((p) => p.attributes),
      [
        { 'otel.scope.name': '@cleave/edge-agent', 'otel.scope.version': '0.1.0' },
        { 'otel.scope.name': '@cleave/cloud-server' },
      ],
    );
    const text = serializePrometheus(input);
    assert.equal(text.match(/^# TYPE cleave_requests_total counter$/gm)?.length, 1);
    assert.ok(!text.includes(' 9\n'), 'the clashing gauge is not exposed');
    // The input is not modified.
    assert.equal(input.scopeMetrics[0]!.metrics[0]!.descriptor.name, 'cleave.requests');
  });
});
