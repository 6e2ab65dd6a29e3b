import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createMeterRegistry, detectPowerMeters, selectPowerMeter } from './detect.js';
import { makeTree, removeTree } from './test-fixtures.js';
import type { RunCommand } from './types.js';

const opts = { timeout: 20_000 };
const roots: string[] = [];
after(async () => {
  for (const r of roots) await removeTree(r);
});
async function tree(files: Record<string, string>): Promise<string> {
  const root = await makeTree(files);
  roots.push(root);
  return root;
}
const noVcgencmd: RunCommand = async () => {
  throw Object.assign(new Error('spawn vcgencmd ENOENT'), { code: 'ENOENT' });
};

describe('meter detection', () => {
  it('an empty system has only the device-profile fallback, guessed from the device tree', opts, async () => {
    const root = await tree({ 'proc/device-tree/model': 'Raspberry Pi 4 Model B Rev 1.4\0' });
    const { meters, diagnostics } = await detectPowerMeters({ sysRoot: root, runCommand: noVcgencmd });
    assert.deepEqual(
      meters.map((m) => m.id),
      ['device-profile'],
    );
    assert.match(meters[0]!.source, /rpi4/);
    assert.equal(meters[0]!.method, 'estimated');
    assert.deepEqual(diagnostics, []);
  });

  it('orders meters best first: Jetson hwmon > RAPL > device profile', opts, async () => {
    const hw = 'sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon0';
    const root = await tree({
      [`${hw}/in1_label`]: 'VDD_IN\n',
      [`${hw}/in1_input`]: '5000\n',
      [`${hw}/curr1_input`]: '1000\n',
      'sys/class/powercap/intel-rapl:0/name': 'package-0\n',
      'sys/class/powercap/intel-rapl:0/energy_uj': '1000\n',
      'sys/class/powercap/intel-rapl:0/max_energy_range_uj': '262143328850\n',
    });
    const detected = await detectPowerMeters({ sysRoot: root, runCommand: noVcgencmd, deviceProfile: 'x86' });
    assert.deepEqual(
      detected.meters.map((m) => m.id),
      ['jetson-ina3221-hwmon', 'rapl', 'device-profile'],
    );
    assert.ok(detected.diagnostics.some((d) => d.level === 'info' && /input rail VDD_IN/.test(d.message)));
    const registry = createMeterRegistry(detected);
    assert.equal(registry.select().id, 'jetson-ina3221-hwmon');
    assert.equal(registry.select('rapl').id, 'rapl');
    assert.equal(registry.select('nvml').id, 'jetson-ina3221-hwmon', 'unknown preference → best');
    assert.equal(registry.get('device-profile')?.method, 'estimated');
    assert.equal((await registry.select().read()).totalWatts, 5);
  });

  it('finds the Pi 5 PMIC through the injected runCommand', opts, async () => {
    const root = await tree({ 'proc/device-tree/model': 'Raspberry Pi 5 Model B Rev 1.0\0' });
    const pmic: RunCommand = async () =>
      '  VDD_CORE_A current(7)=1.00000000A\n  VDD_CORE_V volt(15)=0.80000000V\n';
    const { meters } = await detectPowerMeters({ sysRoot: root, runCommand: pmic });
    assert.deepEqual(
      meters.map((m) => m.id),
      ['rpi5-pmic', 'device-profile'],
    );
    assert.match(meters[1]!.source, /rpi5/);
  });

  it('an unknown device profile name is reported and replaced by the guess', opts, async () => {
    const root = await tree({});
    const { meters, diagnostics } = await detectPowerMeters({
      sysRoot: root,
      runCommand: noVcgencmd,
      deviceProfile: 'commodore-64',
    });
    assert.equal(meters.length, 1);
    assert.ok(diagnostics.some((d) => d.level === 'warn' && /commodore-64/.test(d.message)));
  });

  it('selectPowerMeter on an empty list throws (detection always adds the fallback)', opts, () => {
    assert.throws(() => selectPowerMeter([]), /no meters/);
  });
});
