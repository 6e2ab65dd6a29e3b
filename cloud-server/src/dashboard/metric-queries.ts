// The few aggregations the dashboard needs over a process's collected metrics (plain data from
// `telemetry.collectMetrics()`): sums of counters, merged histograms, and quantiles estimated
// from buckets the way PromQL's histogram_quantile() does.
import type { CollectedMetrics, MetricPoint } from '@cleave/telemetry';

/** Which points count: by their attributes and the scope that recorded them. */
export type PointFilter = (attributes: Record<string, string>, scope: string) => boolean;
const all: PointFilter = () => true;

/** Every point of the named metric across the scopes that record it, or undefined when none does. */
function pointsOf(c: CollectedMetrics, name: string): Array<MetricPoint & { scope: string }> | undefined {
  const metrics = c.metrics.filter((m) => m.name === name);
  if (metrics.length === 0) return undefined;
  return metrics.flatMap((m) => m.points.map((p) => ({ ...p, scope: m.scope })));
}

/** The sum of a counter's (or gauge's) points that pass the filter; undefined when the metric is absent. */
export function sumOf(c: CollectedMetrics, name: string, filter: PointFilter = all): number | undefined {
  const points = pointsOf(c, name);
  if (!points) return undefined;
  let total = 0;
  for (const p of points) if (filter(p.attributes, p.scope)) total += p.value;
  return total;
}

/** A counter's sums grouped by one attribute (points without it are grouped under ''). */
export function sumBy(
  c: CollectedMetrics,
  name: string,
  attribute: string,
  filter: PointFilter = all,
): Record<string, number> | undefined {
  const points = pointsOf(c, name);
  if (!points) return undefined;
  const out: Record<string, number> = {};
  for (const p of points) {
    if (!filter(p.attributes, p.scope)) continue;
    const key = p.attributes[attribute] ?? '';
    out[key] = (out[key] ?? 0) + p.value;
  }
  return out;
}

export interface Histogram {
  /** Cumulative counts by upper bound, ascending, ending with +Inf. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

/**
 * Merges a histogram's points into one histogram per group key (points for which `group` returns
 * undefined are skipped). Points with the same bounds add bucket by bucket. Undefined when the
 * metric is absent or not a histogram.
 */
export function histograms(
  c: CollectedMetrics,
  name: string,
  group: (attributes: Record<string, string>, scope: string) => string | undefined,
): Map<string, Histogram> | undefined {
  if (!c.metrics.some((m) => m.name === name && m.kind === 'histogram')) return undefined;
  const acc = new Map<string, { buckets: Map<number, number>; count: number; sum: number }>();
  for (const p of pointsOf(c, name) ?? []) {
    const key = group(p.attributes, p.scope);
    if (key === undefined || !p.histogram) continue;
    let h = acc.get(key);
    if (!h) {
      h = { buckets: new Map(), count: 0, sum: 0 };
      acc.set(key, h);
    }
    const { boundaries, counts } = p.histogram;
    let cumulative = 0;
    counts.forEach((n, i) => {
      cumulative += n;
      const le = boundaries[i] ?? Number.POSITIVE_INFINITY;
      h.buckets.set(le, (h.buckets.get(le) ?? 0) + cumulative);
    });
    h.count += p.histogram.count;
    h.sum += p.histogram.sum;
  }
  const out = new Map<string, Histogram>();
  for (const [key, h] of acc) {
    const buckets = [...h.buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([le, count]) => ({ le, count }));
    out.set(key, { buckets, count: h.count, sum: h.sum });
  }
  return out;
}

/**
 * The q-quantile (0..1) estimated from cumulative buckets as PromQL's histogram_quantile() does:
 * linear interpolation inside the bucket that holds the rank, the first bucket starting at 0
 * (when its bound is positive), and the highest finite bound when the rank falls in +Inf.
 * Undefined when there are no observations.
 */
export function histogramQuantile(q: number, h: Histogram): number | undefined {
  const buckets = h.buckets;
  const last = buckets.at(-1);
  if (!last || last.count <= 0 || Number.isNaN(q)) return undefined;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const rank = q * last.count;
  let i = buckets.findIndex((b) => b.count >= rank);
  if (i < 0) i = buckets.length - 1;
  const b = buckets[i]!;
  if (b.le === Number.POSITIVE_INFINITY) return highestFinite(h);
  const prev = i > 0 ? buckets[i - 1]! : { le: b.le > 0 ? 0 : b.le, count: 0 };
  if (i === 0 && b.le <= 0) return b.le;
  const inBucket = b.count - prev.count;
  if (inBucket <= 0) return b.le;
  return prev.le + (b.le - prev.le) * ((rank - prev.count) / inBucket);
}

function highestFinite(h: Histogram): number | undefined {
  for (let i = h.buckets.length - 1; i >= 0; i--) {
    const le = h.buckets[i]!.le;
    if (Number.isFinite(le)) return le;
  }
  return undefined;
}
