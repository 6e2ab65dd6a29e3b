import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CollectedMetrics } from '@cleave/telemetry';
import { histogramQuantile, histograms, sumBy, sumOf } from './metric-queries.js';

const hist = (attributes: Record<string, string>, counts: number[], sum: number) => ({
  attributes,
  value: counts.reduce((a, b) => a + b, 0),
  histogram: { boundaries: [0.01, 0.1], counts, sum, count: counts.reduce((a, b) => a + b, 0) },
});

const COLLECTED: CollectedMetrics = {
  resource: { 'service.name': 'cleave-demo' },
  metrics: [
    {
      name: 'd',
      unit: 's',
      kind: 'histogram',
      scope: 'edge',
      points: [hist({ stage: 'total', source: 'cloud' }, [1, 2, 1], 0.2)],
    },
    {
      name: 'd',
      unit: 's',
      kind: 'histogram',
      scope: 'cloud',
      points: [hist({ stage: 'total', source: 'exit' }, [6, 0, 0], 0.03)],
    },
    {
      name: 'answers',
      unit: '',
      kind: 'counter',
      scope: 'edge',
      points: [
        { attributes: { source: 'cloud' }, value: 4 },
        { attributes: { source: 'exit' }, value: 6 },
        { attributes: {}, value: 1 },
      ],
    },
  ],
};

describe('dashboard - metric queries over collected metrics', () => {
  it('dashboard - sums of counters, grouped by an attribute', () => {
    assert.equal(sumOf(COLLECTED, 'answers'), 11);
    assert.equal(
      sumOf(COLLECTED, 'answers', (a) => a.source !== 'exit'),
      5,
    );
    assert.deepEqual(sumBy(COLLECTED, 'answers', 'source'), { cloud: 4, exit: 6, '': 1 });
    assert.equal(sumOf(COLLECTED, 'absent'), undefined);
    assert.equal(sumBy(COLLECTED, 'absent', 'x'), undefined);
  });

  it('dashboard - histogram points merge across scopes and quantiles follow histogram_quantile()', () => {
    const merged = histograms(COLLECTED, 'd', (a) => a.stage)!.get('total')!;
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
    const byScope = histograms(COLLECTED, 'd', (_, scope) => (scope === 'cloud' ? scope : undefined))!;
    assert.deepEqual([...byScope.keys()], ['cloud']);
    assert.equal(byScope.get('cloud')!.count, 6);
    assert.equal(
      histograms(COLLECTED, 'answers', () => 'x'),
      undefined,
    );
  });
});
