// The metrics of a process as plain data, the way a reader gets them from
// @cleave/telemetry-sdk's `collectMetrics()`: no Prometheus text to parse back, no SDK types.
// Attribute values are strings (a boolean attribute reads 'true' or 'false').

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface HistogramData {
  /** Upper bounds of the buckets but the last, ascending; `counts` has one more entry (+Inf). */
  boundaries: number[];
  /** Observations per bucket (not cumulative). */
  counts: number[];
  sum: number;
  count: number;
}

export interface MetricPoint {
  attributes: Record<string, string>;
  /** Counters and gauges: the value; histograms: the count. */
  value: number;
  histogram?: HistogramData;
}

export interface CollectedMetric {
  /** The instrument's name (`METRIC.*`), e.g. `cleave.inference.duration`. */
  name: string;
  unit: string;
  kind: MetricKind;
  /** The instrumentation scope that recorded it, e.g. `@cleave/edge-agent`. */
  scope: string;
  points: MetricPoint[];
}

export interface CollectedMetrics {
  /** The resource's attributes, e.g. `service.name`. */
  resource: Record<string, string>;
  metrics: CollectedMetric[];
}
