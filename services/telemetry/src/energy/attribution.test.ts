import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEnergyAttributor } from './attribution.js';
import { createDeviceProfileMeter } from './device-profile-meter.js';
import { createPowerSampler, type PowerSampler } from './sampler.js';
import { fakePowerMeter, manualClock } from './test-fixtures.js';

const opts = { timeout: 10_000 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≉ ${b}`);

/** A sampler over a fake meter, filled with synthetic samples every 100 ms from `from` to `to`. */
function filled(watts: (t: number) => number, from: number, to: number): PowerSampler {
  const s = createPowerSampler({ meter: fakePowerMeter(() => 0), capacity: 10_000 });
  for (let t = from; t <= to; t += 100) s.record({ t, watts: watts(t) });
  return s;
}

describe('energy attributor', () => {
  it('integrates a lone inference over its own window (measured)', opts, () => {
    const clock = manualClock(1000);
    const a = createEnergyAttributor(
      filled(() => 8, 0, 3000),
      { now: clock.now },
    );
    const token = a.begin();
    assert.equal(a.active, 1);
    clock.set(1500);
    const e = a.end(token);
    close(e.joules, 4); // 8 W × 0.5 s
    assert.equal(e.method, 'measured');
    assert.equal(e.windowMs, 500);
    assert.equal(e.samples, 6);
    assert.equal(e.meter, 'fake-power');
    assert.equal(a.active, 0);
  });

  it('shares overlapping inferences pro rata, whichever ends first', opts, () => {
    const clock = manualClock(0);
    // P = 10·s W (s in seconds): ∫0-1 = 5 J, ∫1-2 = 15 J, ∫2-3 = 25 J
    const a = createEnergyAttributor(
      filled((t) => t / 100, 0, 3000),
      { now: clock.now },
    );
    const first = a.begin();
    clock.set(1000);
    const second = a.begin();
    clock.set(2000);
    const e1 = a.end(first); // second still running: counts as active until 2000
    clock.set(3000);
    const e2 = a.end(second); // first's finished window is remembered
    close(e1.joules, 5 + 15 / 2);
    close(e2.joules, 15 / 2 + 25);
    close(e1.joules + e2.joules, 45);
  });

  it(
    'a window with fewer than two samples falls back to mean recent power × duration (estimated)',
    opts,
    () => {
      const clock = manualClock(1020);
      const a = createEnergyAttributor(
        filled(() => 10, 0, 1000),
        { now: clock.now, fallbackLookbackMs: 2000 },
      );
      const token = a.begin();
      clock.set(1060);
      const e = a.end(token);
      assert.equal(e.samples, 0);
      assert.equal(e.method, 'estimated');
      close(e.joules, 10 * 0.04);
    },
  );

  it('the fallback still shares overlapping windows pro rata', opts, () => {
    const clock = manualClock(1010);
    const a = createEnergyAttributor(
      filled(() => 6, 0, 1000),
      { now: clock.now },
    );
    const x = a.begin();
    clock.set(1030);
    const y = a.begin();
    clock.set(1050);
    const ex = a.end(x); // [1010,1030] alone + [1030,1050] shared by two
    clock.set(1070);
    const ey = a.end(y); // [1030,1050] shared + [1050,1070] alone
    close(ex.joules, 6 * 0.02 + (6 * 0.02) / 2);
    close(ey.joules, (6 * 0.02) / 2 + 6 * 0.02);
    assert.equal(ex.method, 'estimated');
  });

  it('with one sample inside the window it is still the estimated fallback', opts, () => {
    const clock = manualClock(950);
    const a = createEnergyAttributor(
      filled((t) => (t === 1000 ? 100 : 10), 0, 1000),
      { now: clock.now },
    );
    const token = a.begin();
    clock.set(1020);
    const e = a.end(token);
    assert.equal(e.samples, 1);
    assert.equal(e.method, 'estimated');
  });

  it('no samples at all gives NaN; a device-profile meter is always estimated', opts, () => {
    const clock = manualClock(0);
    const empty = createPowerSampler({ meter: fakePowerMeter(() => 0) });
    const a = createEnergyAttributor(empty, { now: clock.now });
    const t = a.begin();
    clock.set(100);
    const e = a.end(t);
    assert.ok(Number.isNaN(e.joules));
    assert.equal(e.method, 'estimated');

    const modelled = createPowerSampler({
      meter: createDeviceProfileMeter({ profile: 'rpi4', utilisation: () => 0, now: clock.now }),
    });
    for (let ms = 0; ms <= 1000; ms += 100) modelled.record({ t: ms, watts: 2.3 });
    const b = createEnergyAttributor(modelled, { now: clock.now });
    clock.set(0);
    const tb = b.begin();
    clock.set(1000);
    const eb = b.end(tb);
    assert.equal(eb.method, 'estimated');
    close(eb.joules, 2.3);
  });

  it('ending a token twice throws', opts, () => {
    const a = createEnergyAttributor(filled(() => 1, 0, 100));
    const t = a.begin();
    a.end(t);
    assert.throws(() => a.end(t), /unknown or already ended/);
  });
});
