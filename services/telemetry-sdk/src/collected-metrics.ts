// The SDK's collected metrics turned into @cleave/telemetry's plain CollectedMetrics, so a reader
// in library code (the dashboard) gets structured data without the SDK's types or a text format.
import type { CollectedMetric, CollectedMetrics, MetricKind, MetricPoint } from '@cleave/telemetry';
import type { Attributes } from '@opentelemetry/api';
import {
  DataPointType,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

const asStrings = (attributes: Attributes): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes))
    if (value !== undefined) out[key] = Array.isArray(value) ? JSON.stringify(value) : String(value);
  return out;
};

function kindOf(metric: MetricData): MetricKind | undefined {
  if (metric.dataPointType === DataPointType.HISTOGRAM) return 'histogram';
  if (metric.dataPointType === DataPointType.GAUGE) return 'gauge';
  // An up-down sum is a gauge to a reader; exponential histograms are not read here.
  if (metric.dataPointType === DataPointType.SUM) return metric.isMonotonic ? 'counter' : 'gauge';
  return undefined;
}

function pointsOf(metric: MetricData): MetricPoint[] {
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    return metric.dataPoints.map((p) => {
      const h = p.value as Histogram;
      return {
        attributes: asStrings(p.attributes),
        value: h.count,
        histogram: {
          boundaries: [...h.buckets.boundaries],
          counts: [...h.buckets.counts],
          sum: h.sum ?? 0,
          count: h.count,
        },
      };
    });
  }
  return metric.dataPoints.map((p) => ({ attributes: asStrings(p.attributes), value: Number(p.value) }));
}

export function toCollectedMetrics(resourceMetrics: ResourceMetrics): CollectedMetrics {
  const metrics: CollectedMetric[] = [];
  for (const { scope, metrics: scoped } of resourceMetrics.scopeMetrics) {
    for (const metric of scoped) {
      const kind = kindOf(metric);
      if (kind === undefined) continue;
      metrics.push({
        name: metric.descriptor.name,
        unit: metric.descriptor.unit,
        kind,
        scope: scope.name,
        points: pointsOf(metric),
      });
    }
  }
  return { resource: asStrings(resourceMetrics.resource.attributes), metrics };
}
