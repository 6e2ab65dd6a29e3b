import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { histogramSeries, histogramStoreOf } from '@cleave/telemetry';
import { metrics } from '@opentelemetry/api';
import { startTelemetry } from './index.js';

const silent = { error() {}, warn() {}, info() {}, debug() {}, verbose() {} };

describe('telemetry - histograms counted in the store', () => {
  it('telemetry - reach /metrics and collectMetrics beside the SDK’s own, one family per name, custom buckets', {
    timeout: 5000,
  }, async () => {
    const telemetry = startTelemetry({
      serviceName: 'stored',
      metrics: { durationBuckets: [0.001, 0.01] },
      diagLogger: silent,
    });
    try {
      const provider = metrics.getMeterProvider();
      const options = { unit: 's', description: 'stage time' };
      const fast = histogramSeries(provider, 'scope-a', 'cleave.inference.duration', options, {
        stage: 'queue',
      });
      for (const v of [0.0005, 0.005, 0.005, 3]) fast.record(v);
      // The same name from another scope through the SDK's own instrument.
      provider.getMeter('scope-b').createHistogram('cleave.inference.duration', options).record(0.002, {
        stage: 'head',
      });

      // Counted in the store the set-up attached, not by the SDK's own instrument.
      const stored = histogramStoreOf(provider)?.read() ?? [];
      assert.deepEqual(
        stored.map((h) => [h.scope, h.points[0]?.count]),
        [['scope-a', 4]],
      );

      const text = await telemetry.metricsText();
      assert.equal(text.match(/^# TYPE cleave_inference_duration_seconds histogram$/gm)?.length, 1);
      /** The value of the one sample line of `name` that carries every label given. */
      const sample = (name: string, ...labels: string[]) => {
        const lines = text
          .split('\n')
          .filter((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
        assert.equal(lines.length, 1, `${name} ${labels.join(' ')}`);
        return lines[0]?.split(' ').at(-1);
      };
      const bucket = (le: string) =>
        sample(
          'cleave_inference_duration_seconds_bucket',
          'otel_scope_name="scope-a"',
          'stage="queue"',
          `le="${le}"`,
        );
      assert.equal(bucket('0.001'), '1');
      assert.equal(bucket('0.01'), '3');
      assert.equal(bucket('+Inf'), '4');
      assert.equal(
        sample('cleave_inference_duration_seconds_count', 'stage="head"', 'otel_scope_name="scope-b"'),
        '1',
      );

      const data = await telemetry.collectMetrics();
      const scopes = data?.metrics.filter((m) => m.name === 'cleave.inference.duration').map((m) => m.scope);
      assert.deepEqual(scopes?.sort(), ['scope-a', 'scope-b']);
      const point = data?.metrics.find((m) => m.scope === 'scope-a')?.points[0];
      assert.deepEqual(point?.histogram?.counts, [1, 2, 1]);
      assert.equal(point?.histogram?.sum, 3.0105);
    } finally {
      await telemetry.shutdown();
    }
  });

  it('telemetry - with metrics off no store is attached (histogramSeries then uses the API)', {
    timeout: 5000,
  }, async () => {
    const telemetry = startTelemetry({
      serviceName: 'quiet',
      metrics: { prometheus: false },
      diagLogger: silent,
    });
    try {
      assert.equal(histogramStoreOf(metrics.getMeterProvider()), undefined);
    } finally {
      await telemetry.shutdown();
    }
  });
});
