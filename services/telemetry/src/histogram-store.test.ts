import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  type Histogram,
  InMemoryMetricExporter,
  InstrumentType,
  MeterProvider,
  type MetricReader,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { attachHistogramStore, HistogramStore, histogramSeries } from './histogram-store.js';
import { DURATION_SECONDS_BUCKETS } from './propagation/rpc-metrics.js';

function sdkProvider(): { provider: MeterProvider; reader: MetricReader } {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  const provider = new MeterProvider({
    views: [
      {
        instrumentType: InstrumentType.HISTOGRAM,
        instrumentUnit: 's',
        aggregation: {
          type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
          options: { boundaries: [...DURATION_SECONDS_BUCKETS] },
        },
      },
    ],
    readers: [reader],
  });
  return { provider, reader };
}

async function sdkHistogram(reader: MetricReader, name: string): Promise<Histogram | undefined> {
  const { resourceMetrics } = await reader.collect();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const m of scope.metrics) {
      if (m.descriptor.name === name && m.dataPointType === DataPointType.HISTOGRAM) {
        return m.dataPoints[0]?.value;
      }
    }
  }
  return undefined;
}

// Values on, just below and just above bucket edges, zero, the overflow bucket, and the ones a
// histogram drops (negative, NaN); +Infinity, which it keeps, is in the next test.
const VALUES = [
  0,
  0.0001,
  0.00049,
  0.0005,
  0.00051,
  0.001,
  0.0049,
  0.005,
  0.05,
  0.5,
  1,
  2.5,
  9.99,
  10,
  11,
  1e6,
  -1,
  Number.NaN,
  ...Array.from({ length: 200 }, (_, i) => (i * i) / 20_000),
];

describe('telemetry - HistogramStore', () => {
  it('telemetry - counts the same buckets, sum, min and max as the SDK for the same records', {
    timeout: 5000,
  }, async () => {
    const { provider, reader } = sdkProvider();
    const options = { unit: 's', description: 'd' };
    const attrs = { 'cleave.model.name': 'm', stage: 'queue' };
    const sdk = provider.getMeter('scope').createHistogram('d', options);
    const store = new HistogramStore(DURATION_SECONDS_BUCKETS);
    const series = store.series('scope', 'd', options, attrs);
    for (const v of VALUES) {
      sdk.record(v, attrs);
      series.record(v);
    }
    const want = await sdkHistogram(reader, 'd');
    assert.ok(want);
    const [got] = store.read();
    assert.ok(got);
    assert.deepEqual(got.boundaries, want.buckets.boundaries);
    assert.deepEqual(got.points[0]?.counts, want.buckets.counts);
    assert.equal(got.points[0]?.count, want.count);
    assert.ok(Math.abs((got.points[0]?.sum ?? 0) - (want.sum ?? 0)) < 1e-9);
    assert.equal(got.points[0]?.min, want.min);
    assert.equal(got.points[0]?.max, want.max);
    assert.deepEqual(got.points[0]?.attributes, attrs);
    await provider.shutdown();
  });

  it('telemetry - one series per attribute set, advice buckets off the seconds unit, idle series left out', {
    timeout: 2000,
  }, () => {
    const store = new HistogramStore([1, 2]);
    const a = store.series(
      's',
      'n',
      { unit: '{request}', advice: { explicitBucketBoundaries: [4, 8] } },
      {
        b: '1',
        a: 'x',
      },
    );
    const same = store.series('s', 'n', {}, { a: 'x', b: '1' });
    store.series('s', 'n', {}, { a: 'idle' });
    a.record(5);
    same.record(Number.POSITIVE_INFINITY);
    const [h] = store.read();
    assert.deepEqual(h?.boundaries, [4, 8]);
    assert.equal(h?.points.length, 1);
    assert.deepEqual(h?.points[0]?.counts, [0, 1, 1]);
  });

  it('telemetry - histogramSeries records through the provider its store is attached to, else the API', {
    timeout: 5000,
  }, async () => {
    const plain = sdkProvider();
    histogramSeries(plain.provider, 'scope', 'plain', { unit: 's' }, { k: 'v' }).record(0.002);
    assert.equal((await sdkHistogram(plain.reader, 'plain'))?.count, 1);

    const fast = sdkProvider();
    const store = new HistogramStore(DURATION_SECONDS_BUCKETS);
    attachHistogramStore(fast.provider, store);
    histogramSeries(fast.provider, 'scope', 'fast', { unit: 's' }, { k: 'v' }).record(0.002);
    assert.equal(await sdkHistogram(fast.reader, 'fast'), undefined);
    assert.equal(store.read()[0]?.points[0]?.count, 1);
    await plain.provider.shutdown();
    await fast.provider.shutdown();
  });
});
