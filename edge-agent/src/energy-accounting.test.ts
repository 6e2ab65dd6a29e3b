import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEVICE_PROFILES } from '@cleave/telemetry';
import { createEnergyAccounting } from './energy-accounting.js';

describe('agent - energy per inference', () => {
  it('agent - an emulated board charges estimated compute and modelled radio, tails at close', {
    timeout: 10_000,
  }, async () => {
    const acc = await createEnergyAccounting({
      enabled: true,
      device: 'rpi4',
      link: 'lte',
      sampleHz: 50,
      sysRoot: '/',
    });
    try {
      assert.equal(acc.device, 'rpi4');
      const local = acc.begin();
      // Busy for ~60 ms so the window holds samples.
      const end = performance.now() + 60;
      while (performance.now() < end) Math.sqrt(Math.random());
      const e = acc.end(local);
      assert.equal(e.computeMethod, 'estimated');
      assert.equal(e.radioMethod, 'none');
      // Between idle and max power over the window, times the speed factor (mJ = W × ms).
      const p = DEVICE_PROFILES.rpi4;
      assert.ok(e.windowMs >= 60);
      assert.ok(e.computeMj >= p.idleWatts * e.windowMs * p.speedFactor * 0.99, `${e.computeMj}`);
      assert.ok(e.computeMj <= p.maxWatts * e.windowMs * p.speedFactor * 1.01, `${e.computeMj}`);
      const off = acc.begin();
      const o = acc.end(off, { bytesUp: 120, bytesDown: 70 });
      assert.equal(o.radioMethod, 'modeled');
      // LTE from idle: the promotion alone is 1210.7 mW for 260.1 ms.
      assert.ok(o.radioMj > 300, `${o.radioMj}`);
      // A prediction now counts the transfer and a full tail, but no promotion: the radio is
      // still in the last transfer's tail (1060 mW × 11576 ms = 12270 mJ; promotion ~315 mJ).
      const predicted = acc.predictRadioMj(120, 70);
      assert.ok(predicted > 12_270 && predicted < o.radioMj + 12_270 - 200, `${predicted} vs ${o.radioMj}`);
      const before = acc.totals().radioMj;
      acc.close();
      // The last transfer's tail (1060 mW for 11.6 s) is charged when it ends.
      assert.ok(acc.totals().radioMj - before > 10_000, `${acc.totals().radioMj - before}`);
    } finally {
      acc.close();
    }
  });

  it('agent - an unknown device profile or link is refused', { timeout: 5000 }, async () => {
    await assert.rejects(
      createEnergyAccounting({ enabled: true, device: 'toaster', link: 'wifi', sampleHz: 10, sysRoot: '/' }),
      /unknown device profile/,
    );
    await assert.rejects(
      createEnergyAccounting({ enabled: true, link: 'carrier-pigeon', sampleHz: 10, sysRoot: '/' }),
      /unknown link/,
    );
  });
});
