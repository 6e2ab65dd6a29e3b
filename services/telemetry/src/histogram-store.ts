// Histograms that Cleave counts itself, for paths hot enough that the SDK's own record costs more
// than what it measures. The SDK hashes the attributes of every record (sorted keys, then
// JSON.stringify) to find the series: about 1.2 µs a record here, three records per answer on
// the tail server. A series bound here once per attribute set records in a few nanoseconds: a
// bucket search and four additions.
//
// Library code stays API-only: `histogramSeries()` takes the API's MeterProvider. Where that
// provider is one that @cleave/telemetry-sdk set up, the SDK side has attached a HistogramStore
// to it and reads the store at every collection (a MetricProducer of the Prometheus reader), so
// the series appear on /metrics and in collectMetrics() like any other histogram, same name,
// scope, unit and buckets. Under any other provider (someone else's SDK, or none) the series
// records through the plain API instrument, so nothing is lost, only the shortcut.
import type { Attributes, MeterProvider, MetricOptions } from '@opentelemetry/api';

export interface HistogramSeries {
  record(value: number): void;
}

export interface StoredHistogramPoint {
  attributes: Readonly<Record<string, string>>;
  /** When the series was created (ms since the epoch): the start of its cumulative count. */
  startTimeMs: number;
  /** Observations per bucket, not cumulative; one more entry than `boundaries` (+Inf). */
  counts: number[];
  sum: number;
  count: number;
  min: number;
  max: number;
}

export interface StoredHistogram {
  scope: string;
  name: string;
  description: string;
  unit: string;
  boundaries: readonly number[];
  points: StoredHistogramPoint[];
}

class Series implements HistogramSeries {
  readonly counts: number[];
  sum = 0;
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly startTimeMs = Date.now();
  readonly attributes: Readonly<Record<string, string>>;
  private readonly boundaries: readonly number[];

  constructor(attributes: Readonly<Record<string, string>>, boundaries: readonly number[]) {
    this.attributes = attributes;
    this.boundaries = boundaries;
    this.counts = new Array<number>(boundaries.length + 1).fill(0);
  }

  record(value: number): void {
    // The SDK's rules: a histogram drops negative values and NaN (it keeps +Infinity).
    if (!(value >= 0)) return;
    // Bucket i holds (boundaries[i-1], boundaries[i]]; the last one everything above.
    const b = this.boundaries;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (value <= (b[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    this.counts[lo] = (this.counts[lo] as number) + 1;
    this.sum += value;
    this.count += 1;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

interface Instrument {
  scope: string;
  name: string;
  description: string;
  unit: string;
  boundaries: readonly number[];
  series: Map<string, Series>;
}

/** The SDK's default explicit buckets, used for a histogram with no unit rule and no advice. */
const SDK_DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

export class HistogramStore {
  private readonly instruments = new Map<string, Instrument>();
  private readonly durationBoundaries: readonly number[];

  /** `durationBoundaries`: the buckets the SDK's view gives every histogram in seconds. */
  constructor(durationBoundaries: readonly number[]) {
    this.durationBoundaries = durationBoundaries;
  }

  series(scope: string, name: string, options: MetricOptions, attributes: Attributes): HistogramSeries {
    const key = `${scope}\u0000${name}`;
    let instrument = this.instruments.get(key);
    if (instrument === undefined) {
      const unit = options.unit ?? '';
      instrument = {
        scope,
        name,
        description: options.description ?? '',
        unit,
        boundaries: [
          ...(unit === 's'
            ? this.durationBoundaries
            : (options.advice?.explicitBucketBoundaries ?? SDK_DEFAULT_BOUNDARIES)),
        ],
        series: new Map(),
      };
      this.instruments.set(key, instrument);
    }
    const strings: Record<string, string> = {};
    for (const k of Object.keys(attributes).sort()) {
      const v = attributes[k];
      if (v !== undefined) strings[k] = Array.isArray(v) ? JSON.stringify(v) : String(v);
    }
    const seriesKey = JSON.stringify(strings);
    let series = instrument.series.get(seriesKey);
    if (series === undefined) {
      series = new Series(strings, instrument.boundaries);
      instrument.series.set(seriesKey, series);
    }
    return series;
  }

  /** A copy of every histogram now, the series that recorded nothing yet left out. */
  read(): StoredHistogram[] {
    const out: StoredHistogram[] = [];
    for (const i of this.instruments.values()) {
      const points: StoredHistogramPoint[] = [];
      for (const s of i.series.values()) {
        if (s.count === 0) continue;
        points.push({
          attributes: s.attributes,
          startTimeMs: s.startTimeMs,
          counts: [...s.counts],
          sum: s.sum,
          count: s.count,
          min: s.min,
          max: s.max,
        });
      }
      if (points.length > 0) {
        const { scope, name, description, unit, boundaries } = i;
        out.push({ scope, name, description, unit, boundaries, points });
      }
    }
    return out;
  }
}

const stores = new WeakMap<MeterProvider, HistogramStore>();

/** For the SDK set-up: histograms recorded through `histogramSeries(provider, …)` go to `store`. */
export function attachHistogramStore(provider: MeterProvider, store: HistogramStore): void {
  stores.set(provider, store);
}

/** The store attached to `provider`, if any (where its series are counted). */
export function histogramStoreOf(provider: MeterProvider): HistogramStore | undefined {
  return stores.get(provider);
}

/**
 * One series of a histogram, its attributes fixed now: the store's when the provider has one,
 * the API instrument's otherwise. Make series once per attribute set, not per record.
 */
export function histogramSeries(
  provider: MeterProvider,
  scope: string,
  name: string,
  options: MetricOptions,
  attributes: Attributes,
): HistogramSeries {
  const store = histogramStoreOf(provider);
  if (store !== undefined) return store.series(scope, name, options, attributes);
  const histogram = provider.getMeter(scope).createHistogram(name, options);
  return { record: (value) => histogram.record(value, attributes) };
}
