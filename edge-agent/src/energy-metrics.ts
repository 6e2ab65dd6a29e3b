// Energy metrics through @opentelemetry/api: `cleave.inference.energy` per answer (component
// compute | radio | total, method, source), and the board's own `hw.power` per rail, `hw.energy`
// and `hw.host.energy` (semantic conventions for hardware), read from the selected meter.

import type { AnswerEnergy } from '@cleave/models';
import {
  instrumentCache,
  integratePower,
  METRIC,
  type PowerMeter,
  type PowerSampler,
} from '@cleave/telemetry';
import type { MeterProvider } from '@opentelemetry/api';

function createInstruments(provider: MeterProvider) {
  const meter = provider.getMeter('@cleave/edge-agent');
  return {
    meter,
    energy: meter.createHistogram(METRIC.inferenceEnergy, {
      description: 'Energy charged to one inference on the device, by component and method',
      unit: 'J',
      advice: { explicitBucketBoundaries: [1e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1, 5, 15] },
    }),
  };
}

const instruments = instrumentCache(createInstruments);

export function recordAnswerEnergy(e: AnswerEnergy): void {
  const { energy } = instruments();
  energy.record(e.computeMj / 1000, { component: 'compute', method: e.computeMethod, source: e.meter });
  if (e.radioMethod !== 'none') {
    energy.record(e.radioMj / 1000, { component: 'radio', method: 'modeled', source: `radio:${e.link}` });
  }
  const method =
    e.radioMethod === 'none' ? e.computeMethod : e.computeMethod === 'measured' ? 'modeled' : e.computeMethod;
  energy.record(e.totalMj / 1000, { component: 'total', method, source: e.meter });
}

/**
 * Reports the board's power per rail and its energy so far at each collection. Returns a function
 * that stops reporting. Observable instruments are bound to the provider current at the call.
 */
export function observeBoardPower(meter: PowerMeter, sampler: PowerSampler): () => void {
  const m = instruments().meter;
  const power = m.createObservableGauge(METRIC.hwPower, {
    description: 'Instantaneous power of a rail',
    unit: 'W',
  });
  const energy = m.createObservableCounter(METRIC.hwEnergy, {
    description: 'Energy of the board since the agent started',
    unit: 'J',
  });
  const host = m.createObservableCounter(METRIC.hwHostEnergy, {
    description: 'Energy of the host since the agent started',
    unit: 'J',
  });
  let joules = 0;
  let last: number | undefined;
  const powerCallback = async (result: { observe(v: number, a: Record<string, string>): void }) => {
    const reading = await meter.read().catch(() => undefined);
    if (!reading) return;
    const attrs = { 'hw.id': reading.id, 'hw.type': 'power_supply' };
    for (const rail of reading.rails) result.observe(rail.watts, { ...attrs, 'hw.name': rail.name });
    result.observe(reading.totalWatts, { ...attrs, 'hw.name': 'total' });
  };
  const energyCallback = (result: { observe(v: number, a: Record<string, string>): void }) => {
    const now = sampler.latest()?.t;
    if (now !== undefined && last !== undefined && now > last) {
      const j = integratePower(sampler.samples(last, now), last, now);
      if (Number.isFinite(j)) joules += j;
    }
    if (now !== undefined) last = now;
    result.observe(joules, { 'hw.id': meter.id, 'hw.type': 'power_supply' });
  };
  power.addCallback(powerCallback);
  energy.addCallback(energyCallback);
  host.addCallback(energyCallback);
  return () => {
    power.removeCallback(powerCallback);
    energy.removeCallback(energyCallback);
    host.removeCallback(energyCallback);
  };
}
