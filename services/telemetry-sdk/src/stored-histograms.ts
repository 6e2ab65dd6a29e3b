// @cleave/telemetry's HistogramStore read by the SDK: a MetricProducer that the pull reader
// collects beside the SDK's own instruments, so the store's histograms reach the Prometheus page
// and collectMetrics() as ordinary cumulative explicit-bucket histograms.
import type { HistogramStore, StoredHistogram } from '@cleave/telemetry';
import { ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type MetricProducer,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';

function metricData(h: StoredHistogram, nowMs: number): MetricData {
  return {
    descriptor: {
      name: h.name,
      description: h.description,
      unit: h.unit,
      valueType: ValueType.DOUBLE,
    },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: h.points.map((p) => ({
      attributes: { ...p.attributes },
      startTime: millisToHrTime(p.startTimeMs),
      endTime: millisToHrTime(nowMs),
      value: {
        buckets: { boundaries: [...h.boundaries], counts: p.counts },
        sum: p.sum,
        count: p.count,
        min: p.min,
        max: p.max,
      },
    })),
  };
}

export function storedHistogramsProducer(store: HistogramStore, resource: Resource): MetricProducer {
  return {
    async collect() {
      const nowMs = Date.now();
      const byScope = new Map<string, MetricData[]>();
      for (const h of store.read()) {
        const list = byScope.get(h.scope) ?? [];
        list.push(metricData(h, nowMs));
        byScope.set(h.scope, list);
      }
      const scopeMetrics: ScopeMetrics[] = [...byScope].map(([name, metrics]) => ({
        scope: { name },
        metrics,
      }));
      return { resourceMetrics: { resource, scopeMetrics }, errors: [] };
    },
  };
}
