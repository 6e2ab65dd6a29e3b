import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ExpositionError,
  histogramQuantile,
  histograms,
  parseExposition,
  sumBy,
  sumOf,
} from './prom-text.js';

const TEXT = `# HELP target_info Target metadata
# TYPE target_info gauge
target_info{service_name="cleave-demo",host_name="vm"} 1
# HELP d_seconds Time per stage
# TYPE d_seconds histogram
d_seconds_count{stage="total",source="cloud"} 4
d_seconds_sum{stage="total",source="cloud"} 0.2
d_seconds_bucket{stage="total",source="cloud",le="0.01"} 1
d_seconds_bucket{stage="total",source="cloud",le="0.1"} 3
d_seconds_bucket{stage="total",source="cloud",le="+Inf"} 4
d_seconds_count{stage="total",source="exit"} 6
d_seconds_sum{stage="total",source="exit"} 0.03
d_seconds_bucket{stage="total",source="exit",le="0.01"} 6
d_seconds_bucket{stage="total",source="exit",le="0.1"} 6
d_seconds_bucket{stage="total",source="exit",le="+Inf"} 6
# HELP answers_total Answers \\\\ by "source"\\nsecond line
# TYPE answers_total counter
answers_total{source="cloud",note="a \\"quoted\\" \\\\ value\\n"} 4 1700000000000
answers_total{source="exit"} 6
answers_total{ source = "dual" , } 1e0
plain_untyped 3.5
nan_gauge NaN
`;

describe('dashboard - Prometheus text parser', () => {
  it('dashboard - families, types, help, escaped label values, timestamps and special values', () => {
    const f = parseExposition(TEXT);
    assert.deepEqual(
      [...f.keys()],
      ['target_info', 'd_seconds', 'answers_total', 'plain_untyped', 'nan_gauge'],
    );
    assert.equal(f.get('d_seconds')!.type, 'histogram');
    assert.equal(f.get('d_seconds')!.samples.length, 10);
    assert.equal(f.get('answers_total')!.help, 'Answers \\ by "source"\nsecond line');
    assert.equal(f.get('answers_total')!.samples[0]!.labels.note, 'a "quoted" \\ value\n');
    assert.equal(f.get('plain_untyped')!.type, 'untyped');
    assert.ok(Number.isNaN(f.get('nan_gauge')!.samples[0]!.value), 'NaN');
    assert.equal(f.get('target_info')!.samples[0]!.labels.service_name, 'cleave-demo');
  });

  it('dashboard - sums of counters, grouped by a label', () => {
    const f = parseExposition(TEXT);
    assert.equal(sumOf(f, 'answers_total'), 11);
    assert.equal(
      sumOf(f, 'answers_total', (l) => l.source !== 'exit'),
      5,
    );
    assert.deepEqual(sumBy(f, 'answers_total', 'source'), { cloud: 4, exit: 6, dual: 1 });
    assert.equal(sumOf(f, 'absent_total'), undefined);
    assert.equal(sumBy(f, 'absent_total', 'x'), undefined);
  });

  it('dashboard - histogram series merge per group and quantiles follow histogram_quantile()', () => {
    const f = parseExposition(TEXT);
    const merged = histograms(f, 'd_seconds', (l) => l.stage)!.get('total')!;
    assert.equal(merged.count, 10);
    assert.ok(Math.abs(merged.sum - 0.23) < 1e-12, `sum ${merged.sum}`);
    assert.deepEqual(merged.buckets, [
      { le: 0.01, count: 7 },
      { le: 0.1, count: 9 },
      { le: Number.POSITIVE_INFINITY, count: 10 },
    ]);
    // rank 5 of 10 lies in the first bucket [0, 0.01] holding 7: 0.01 * 5/7.
    assert.ok(Math.abs(histogramQuantile(0.5, merged)! - 0.01 * (5 / 7)) < 1e-12, 'quantile');
    // rank 8 lies in (0.01, 0.1] holding 2 (7 → 9): 0.01 + 0.09 * (1/2).
    assert.ok(Math.abs(histogramQuantile(0.8, merged)! - 0.055) < 1e-12, 'quantile');
    // rank 9.9 lies in +Inf: the highest finite bound.
    assert.equal(histogramQuantile(0.99, merged), 0.1);
    assert.equal(histogramQuantile(0.5, { buckets: [], count: 0, sum: 0 }), undefined);
    assert.equal(
      histogramQuantile(0.5, { buckets: [{ le: Number.POSITIVE_INFINITY, count: 0 }], count: 0, sum: 0 }),
      undefined,
    );
    const bySource = histograms(f, 'd_seconds', (l) => (l.source === 'exit' ? 'exit' : undefined))!;
    assert.deepEqual([...bySource.keys()], ['exit']);
    assert.equal(
      histograms(f, 'answers_total', () => 'x'),
      undefined,
    );
  });

  it('dashboard - malformed lines are refused with their line number', () => {
    assert.throws(
      () => parseExposition('ok 1\n{x="1"} 2'),
      (e: unknown) => {
        return e instanceof ExpositionError && /line 2/.test(e.message);
      },
    );
    assert.throws(() => parseExposition('x{a="1} 2'), ExpositionError);
    assert.throws(() => parseExposition('x{a=1} 2'), ExpositionError);
    assert.throws(() => parseExposition('x 1 2 3'), ExpositionError);
    assert.throws(() => parseExposition('x one'), ExpositionError);
    assert.throws(() => parseExposition('# TYPE x bogus'), ExpositionError);
    assert.equal(parseExposition('# just a comment\n\n').size, 0);
  });
});
