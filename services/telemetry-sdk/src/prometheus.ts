// Prometheus text exposition of the SDK's metrics, with the names Prometheus expects.
//
// The official serializer (@opentelemetry/exporter-prometheus) writes the OpenTelemetry name as
// it is (`rpc_server_call_duration`) and one family per instrumentation scope. This module
// prepares the collected metrics first, following the OpenTelemetry → Prometheus compatibility
// rules:
// - the unit becomes a name suffix: `s` → `_seconds`, `By` → `_bytes`, `W` → `_watts`,
//   `J` → `_joules`, `1` on a gauge → `_ratio`, `By/s` → `_bytes_per_second`; annotations in
//   braces (`{span}`) are dropped; counters then get `_total` from the serializer;
// - instruments of the same name from several scopes (the agent and the server in one `cleave
//   demo` process both record `cleave.inference.duration`) become one family, the scope kept as
//   the `otel_scope_name` label. Two instruments whose names collide with different types would
//   make the page invalid; the later one is left out and a diag warning names both.
import { diag } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import {
  DataPointType,
  type MetricData,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNIT_WORDS: Record<string, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/** Prometheus name characters only (`[a-zA-Z0-9_]`), runs of `_` collapsed. */
export function sanitizeMetricName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_{2,}/g, '_');
}

function unitWord(unit: string, words: Record<string, string>): string {
  return words[unit] ?? sanitizeMetricName(unit).replace(/^_+|_+$/g, '');
}

/** The Prometheus name suffix for a UCUM unit, or '' for none. */
export function prometheusUnitSuffix(unit: string, isGauge: boolean): string {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  if (bare === '') return '';
  if (bare === '1') return isGauge ? 'ratio' : '';
  const slash = bare.indexOf('/');
  if (slash >= 0) {
    const top = bare.slice(0, slash);
    const per = bare.slice(slash + 1);
    const topWord = top === '' || top === '1' ? '' : unitWord(top, UNIT_WORDS);
    const perWord = per === '' ? '' : unitWord(per, PER_UNIT_WORDS);
    if (perWord === '') return topWord;
    return topWord === '' ? `per_${perWord}` : `${topWord}_per_${perWord}`;
  }
  return unitWord(bare, UNIT_WORDS);
}

function isGaugeLike(metric: MetricData): boolean {
  return (
    metric.dataPointType === DataPointType.GAUGE ||
    (metric.dataPointType === DataPointType.SUM && !metric.isMonotonic)
  );
}

/** The family name before the serializer's `_total`: sanitized name plus the unit suffix. */
export function prometheusBaseName(metric: MetricData): string {
  let name = sanitizeMetricName(metric.descriptor.name);
  if (/^[0-9]/.test(name)) name = `_${name}`;
  const suffix = prometheusUnitSuffix(metric.descriptor.unit, isGaugeLike(metric));
  if (suffix !== '' && !name.endsWith(`_${suffix}`) && !name.endsWith(`_${suffix}_total`)) {
    name = `${name}_${suffix}`;
  }
  return name;
}

function typeKey(metric: MetricData): string {
  return metric.dataPointType === DataPointType.SUM
    ? `sum/${metric.isMonotonic ? 'monotonic' : 'non-monotonic'}`
    : String(metric.dataPointType);
}

/**
 * Renames every metric to its Prometheus family name and merges same-named metrics across scopes
 * into one scope, with the original scope on each data point as `otel.scope.name` (and
 * `otel.scope.version`). Exponential histograms, which the text format cannot carry, are left out.
 */
export function prepareForPrometheus(resourceMetrics: ResourceMetrics): ResourceMetrics {
  const families = new Map<string, { metric: MetricData; key: string; scope: string }>();
  for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
    const scopeAttrs: Record<string, string> = { 'otel.scope.name': scope.name };
    if (scope.version) scopeAttrs['otel.scope.version'] = scope.version;
    for (const metric of metrics) {
      if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
        diag.warn(`prometheus: ${metric.descriptor.name} is an exponential histogram; not exposed`);
        continue;
      }
      const name = prometheusBaseName(metric);
      const dataPoints = metric.dataPoints.map((point) => ({
        ...point,
        attributes: { ...point.attributes, ...scopeAttrs },
      }));
      const existing = families.get(name);
      if (existing === undefined) {
        const renamed = {
          ...metric,
          descriptor: { ...metric.descriptor, name, unit: '' },
          dataPoints,
        } as MetricData;
        families.set(name, { metric: renamed, key: typeKey(metric), scope: scope.name });
      } else if (existing.key !== typeKey(metric)) {
        diag.warn(
          `prometheus: ${metric.descriptor.name} from ${scope.name} collides with the ${name} family ` +
            `from ${existing.scope} with another type; left out`,
        );
      } else {
        (existing.metric.dataPoints as unknown[]).push(...dataPoints);
      }
    }
  }
  const merged: ScopeMetrics = {
    scope: { name: '@cleave/telemetry' },
    metrics: [...families.values()].map((family) => family.metric),
  };
  return { resource: resourceMetrics.resource, scopeMetrics: [merged] };
}

// prefix none, no timestamps, no constant resource labels, target_info kept, scope labels added
// by prepareForPrometheus instead of the serializer (so merged families keep them per point).
const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);

/** Prometheus text exposition format 0.0.4 for the collected metrics. */
export function serializePrometheus(resourceMetrics: ResourceMetrics): string {
  return serializer.serialize(prepareForPrometheus(resourceMetrics));
}
