import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createPowerSampler } from './sampler.js';
import { fakeEnergyMeter, fakePowerMeter, manualClock } from './test-fixtures.js';

const opts = { timeout: 10_000 };

describe('power sampler', () => {
  it('rejects rates below 10 Hz and capacities below 2', opts, () => {
    const meter = fakePowerMeter(() => 1);
    assert.throws(() => createPowerSampler({ meter, hz: 5 }), RangeError);
    assert.throws(() => createPowerSampler({ meter, hz: Number.NaN }), RangeError);
    assert.throws(() => createPowerSampler({ meter, capacity: 1 }), RangeError);
    assert.throws(() => createPowerSampler({ meter, capacity: 2.5 }), RangeError);
    const s = createPowerSampler({ meter });
    assert.equal(s.hz, 10);
    assert.equal(s.capacity, 600); // one minute at 10 Hz
  });

  it('is a bounded ring buffer: keeps the newest `capacity` samples in time order', opts, () => {
    const s = createPowerSampler({ meter: fakePowerMeter(() => 1), capacity: 5 });
    for (let i = 0; i < 8; i++) s.record({ t: i * 100, watts: i });
    assert.equal(s.size, 5);
    assert.deepEqual(
      s.samples().map((x) => x.t),
      [300, 400, 500, 600, 700],
    );
    s.record({ t: 650, watts: 99 }); // older than the newest: ignored
    s.record({ t: 800, watts: Number.NaN }); // not finite: ignored
    assert.equal(s.latest()?.t, 700);
    s.record({ t: 800, watts: 8 });
    assert.deepEqual(
      s.samples().map((x) => x.watts),
      [4, 5, 6, 7, 8],
    );
  });

  it('a bounded query returns the window plus one neighbour on each side', opts, () => {
    const s = createPowerSampler({ meter: fakePowerMeter(() => 1), capacity: 50 });
    for (let i = 0; i < 10; i++) s.record({ t: i * 100, watts: i });
    assert.deepEqual(
      s.samples(250, 450).map((x) => x.t),
      [200, 300, 400, 500],
    );
    assert.deepEqual(
      s.samples(300, 400).map((x) => x.t),
      [200, 300, 400, 500],
    );
    assert.deepEqual(
      s.samples(2000, 3000).map((x) => x.t),
      [900],
    );
  });

  it('turns instantaneous readings into (t, P) at the read time', opts, async () => {
    const clock = manualClock(1000);
    const values = [5, 7];
    const s = createPowerSampler({ meter: fakePowerMeter(() => values.shift() ?? 0), now: clock.now });
    assert.deepEqual(await s.sampleOnce(), { t: 1000, watts: 5 });
    clock.advance(100);
    assert.deepEqual(await s.sampleOnce(), { t: 1100, watts: 7 });
  });

  it('turns a cumulative energy counter into mean power at the interval midpoint', opts, async () => {
    const clock = manualClock(0);
    const joules = [0, 2, 5];
    const s = createPowerSampler({ meter: fakeEnergyMeter(() => joules.shift() ?? 0), now: clock.now });
    assert.equal(await s.sampleOnce(), undefined); // first reading: nothing to difference yet
    clock.set(1000);
    assert.deepEqual(await s.sampleOnce(), { t: 500, watts: 2 });
    clock.set(1500);
    assert.deepEqual(await s.sampleOnce(), { t: 1250, watts: 6 });
  });

  it('counts failed reads and keeps going', opts, async () => {
    const seen: unknown[] = [];
    let fail = true;
    const s = createPowerSampler({
      meter: fakePowerMeter(() => {
        if (fail) throw new Error('sensor gone');
        return 3;
      }),
      onError: (e) => seen.push(e),
    });
    assert.equal(await s.sampleOnce(), undefined);
    fail = false;
    assert.equal((await s.sampleOnce())?.watts, 3);
    assert.equal(s.errors, 1);
    assert.equal(seen.length, 1);
  });

  it('samples on an unref()ed timer between start() and stop()', opts, async () => {
    const s = createPowerSampler({ meter: fakePowerMeter(() => 2), hz: 50, capacity: 1000 });
    assert.equal(s.running, false);
    s.start();
    s.start(); // idempotent
    assert.equal(s.running, true);
    await delay(300);
    s.stop();
    const n = s.size;
    assert.ok(n >= 3 && n <= 30, `~15 samples expected at 50 Hz over 300 ms, got ${n}`);
    await delay(100);
    assert.equal(s.size, n, 'no samples after stop()');
    assert.equal(s.running, false);
  });
});
