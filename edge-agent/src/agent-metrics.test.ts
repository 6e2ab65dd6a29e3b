import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Answer } from '@cleave/models';
import { type Meter, type MeterProvider, metrics } from '@opentelemetry/api';
import { recordAnswer, recordCacheLookup, recordDecision } from './agent-metrics.js';

// A provider that keeps what is recorded: enough to check names, values and attributes
// without the SDK (the telemetry work brings the real one).
function recordingProvider() {
  const seen: Array<{ name: string; value: number; attrs: Record<string, unknown> }> = [];
  const instrument = (name: string) => ({
    add: (value: number, attrs: Record<string, unknown> = {}) => seen.push({ name, value, attrs }),
    record: (value: number, attrs: Record<string, unknown> = {}) => seen.push({ name, value, attrs }),
  });
  const meter = { createCounter: instrument, createHistogram: instrument } as unknown as Meter;
  const provider: MeterProvider = { getMeter: () => meter };
  return { provider, seen };
}

describe('agent - metrics', () => {
  after(() => metrics.disable());
  it('agent - answers, stages, bytes, policy decisions and cache lookups are recorded once an SDK is set', {
    timeout: 2000,
  }, () => {
    recordDecision('offload'); // before any provider: a no-op, and no error
    const { provider, seen } = recordingProvider();
    metrics.setGlobalMeterProvider(provider);
    recordDecision('local-budget');
    recordCacheLookup('hit');
    recordAnswer({
      source: 'cloud',
      degraded: false,
      mode: 'cascade',
      bytesSent: { frame: 76, wire: 91 },
      timings: { totalMs: 12, prepareMs: 1, headMs: 2, encodeMs: 0.01, offloadMs: 9 },
    } as Answer);
    const names = seen.map((s) => s.name);
    assert.deepEqual(names.slice(0, 3), [
      'cleave.policy.decisions',
      'cleave.cache.lookups',
      'cleave.agent.answers',
    ]);
    assert.deepEqual(seen[0]!.attrs, { decision: 'local-budget' });
    const total = seen.find((s) => s.name === 'cleave.inference.duration' && s.attrs.stage === 'total');
    assert.equal(total?.value, 0.012);
    assert.equal(seen.find((s) => s.name === 'cleave.payload.size')?.value, 76);
    assert.ok(!seen.some((s) => s.attrs.stage === 'dual'), 'stages that did not run are not recorded');
  });
});
