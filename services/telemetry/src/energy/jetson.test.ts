import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { probeJetsonHwmon } from './jetson-hwmon.js';
import { probeJetsonIio } from './jetson-iio.js';
import { makeTree, removeTree } from './test-fixtures.js';

const opts = { timeout: 20_000 };
const run = promisify(execFile);
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≉ ${b}`);
const roots: string[] = [];
after(async () => {
  for (const r of roots) await removeTree(r);
});
async function tree(files: Record<string, string>): Promise<string> {
  const root = await makeTree(files);
  roots.push(root);
  return root;
}

// Jetson Nano, JetPack 4 (L4T iio driver): sysfs values end in a newline, power in mW.
const NANO = 'sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0';
const nanoFiles = {
  [`${NANO}/name`]: 'ina3221x\n',
  [`${NANO}/rail_name_0`]: 'POM_5V_IN\n',
  [`${NANO}/in_power0_input`]: '3260\n',
  [`${NANO}/in_voltage0_input`]: '5016\n',
  [`${NANO}/in_current0_input`]: '648\n',
  [`${NANO}/rail_name_1`]: 'POM_5V_GPU\n',
  [`${NANO}/in_power1_input`]: '80\n',
  [`${NANO}/in_voltage1_input`]: '5008\n',
  [`${NANO}/in_current1_input`]: '16\n',
  [`${NANO}/rail_name_2`]: 'POM_5V_CPU\n',
  [`${NANO}/in_power2_input`]: '1234\n',
  [`${NANO}/in_voltage2_input`]: '5000\n',
  [`${NANO}/in_current2_input`]: '246\n',
  [`${NANO}/warn_current_limit_0`]: '32760 ma\n',
};

// Jetson Orin Nano, JetPack 5/6 (hwmon driver): in<c>_input mV, curr<c>_input mA, channel 7 = shunt sum.
const ORIN = 'sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3';
const orinFiles = {
  [`${ORIN}/name`]: 'ina3221\n',
  [`${ORIN}/in1_label`]: 'VDD_IN\n',
  [`${ORIN}/in1_input`]: '5080\n',
  [`${ORIN}/curr1_input`]: '1200\n',
  [`${ORIN}/in2_label`]: 'VDD_CPU_GPU_CV\n',
  [`${ORIN}/in2_input`]: '5080\n',
  [`${ORIN}/curr2_input`]: '400\n',
  [`${ORIN}/in3_label`]: 'VDD_SOC\n',
  [`${ORIN}/in3_input`]: '5072\n',
  [`${ORIN}/curr3_input`]: '560\n',
  [`${ORIN}/in4_input`]: '6000\n',
  [`${ORIN}/in5_input`]: '2000\n',
  [`${ORIN}/in6_input`]: '2800\n',
  [`${ORIN}/in7_label`]: 'sum of shunt voltages\n',
  [`${ORIN}/in7_input`]: '10800\n',
  [`${ORIN}/update_interval`]: '4\n',
};

describe('jetson INA3221 via iio (JetPack 4)', () => {
  it('reads mW power nodes and reports the POM_5V_IN rail as the total', opts, async () => {
    const root = await tree(nanoFiles);
    const { meter, diagnostics } = await probeJetsonIio(root, () => 42);
    assert.ok(meter, JSON.stringify(diagnostics));
    assert.equal(meter.id, 'jetson-ina3221-iio');
    assert.equal(meter.method, 'measured');
    const r = await meter.read();
    assert.deepEqual(
      r.rails.map((x) => [x.name, x.watts]),
      [
        ['POM_5V_IN', 3.26],
        ['POM_5V_GPU', 0.08],
        ['POM_5V_CPU', 1.234],
      ],
    );
    assert.equal(r.totalWatts, 3.26); // not 4.574
    assert.equal(r.tMs, 42);
  });

  it('computes V·I when a channel has no power node, and combines several INA devices', opts, async () => {
    const files: Record<string, string> = {};
    const dev = (addr: string, names: string[], mw: number[]) =>
      names.forEach((n, c) => {
        const d = `sys/bus/i2c/drivers/ina3221x/0-${addr}/iio:device${addr === '0040' ? 0 : 1}`;
        files[`${d}/rail_name_${c}`] = `${n}\n`;
        files[`${d}/in_power${c}_input`] = `${mw[c]}\n`;
      });
    dev('0040', ['VDD_SYS_GPU', 'VDD_SYS_SOC', 'VDD_4V0_WIFI'], [100, 900, 50]);
    dev('0041', ['VDD_IN', 'VDD_SYS_CPU', 'VDD_SYS_DDR'], [4000, 700, 600]);
    // VDD_MUX without in_power: 5000 mV × 300 mA = 1.5 W
    const mux = 'sys/bus/i2c/drivers/ina3221x/0-0042/iio:device2';
    files[`${mux}/rail_name_0`] = 'VDD_MUX\n';
    files[`${mux}/in_voltage0_input`] = '5000\n';
    files[`${mux}/in_current0_input`] = '300\n';
    const root = await tree(files);
    const { meter } = await probeJetsonIio(root, () => 0);
    assert.ok(meter);
    const r = await meter.read();
    assert.equal(r.rails.length, 7);
    close(r.rails.find((x) => x.name === 'VDD_MUX')!.watts, 1.5);
    close(r.totalWatts, 4 + 1.5);
  });

  it('no driver directory means no meter and no diagnostic', opts, async () => {
    const root = await tree({ 'sys/bus/i2c/drivers/.keep': '' });
    const r = await probeJetsonIio(root, () => 0);
    assert.equal(r.meter, undefined);
    assert.deepEqual(r.diagnostics, []);
  });
});

describe('jetson INA3221 via hwmon (JetPack 5/6)', () => {
  it('computes V·I per rail, skips the shunt-sum channel, totals the VDD_IN rail', opts, async () => {
    const root = await tree(orinFiles);
    const { meter } = await probeJetsonHwmon(root, () => 0);
    assert.ok(meter);
    assert.equal(meter.id, 'jetson-ina3221-hwmon');
    const r = await meter.read();
    assert.deepEqual(
      r.rails.map((x) => x.name),
      ['VDD_IN', 'VDD_CPU_GPU_CV', 'VDD_SOC'],
    );
    close(r.rails[0]!.watts, 5.08 * 1.2);
    close(r.rails[2]!.watts, 5.072 * 0.56);
    close(r.totalWatts, 5.08 * 1.2); // not the sum 10.96832
  });

  it('AGX Orin: two devices, NC channels skipped, no input rail → sum of rails', opts, async () => {
    const a = 'sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1';
    const b = 'sys/bus/i2c/drivers/ina3221/1-0041/hwmon/hwmon2';
    const root = await tree({
      [`${a}/in1_label`]: 'VDD_GPU_SOC\n',
      [`${a}/in1_input`]: '19008\n',
      [`${a}/curr1_input`]: '840\n',
      [`${a}/in2_label`]: 'VDD_CPU_CV\n',
      [`${a}/in2_input`]: '19008\n',
      [`${a}/curr2_input`]: '200\n',
      [`${a}/in3_label`]: 'VIN_SYS_5V0\n',
      [`${a}/in3_input`]: '4984\n',
      [`${a}/curr3_input`]: '1016\n',
      [`${a}/in7_label`]: 'sum of shunt voltages\n',
      [`${a}/in7_input`]: '5280\n',
      [`${b}/in1_label`]: 'NC\n',
      [`${b}/in1_input`]: '0\n',
      [`${b}/curr1_input`]: '0\n',
      [`${b}/in2_label`]: 'VDDQ_VDD2_1V8AO\n',
      [`${b}/in2_input`]: '4984\n',
      [`${b}/curr2_input`]: '264\n',
      [`${b}/in3_label`]: 'NC\n',
    });
    const { meter } = await probeJetsonHwmon(root, () => 0);
    assert.ok(meter);
    const r = await meter.read();
    assert.deepEqual(
      r.rails.map((x) => x.name),
      ['VDD_GPU_SOC', 'VDD_CPU_CV', 'VIN_SYS_5V0', 'VDDQ_VDD2_1V8AO'],
    );
    close(r.totalWatts, 19.008 * 0.84 + 19.008 * 0.2 + 4.984 * 1.016 + 4.984 * 0.264);
  });

  it('an unreadable channel is dropped with a diagnostic; detection does not throw', opts, async () => {
    const root = await tree(orinFiles);
    // Replace curr3_input by a directory: reading it fails with EISDIR.
    await rm(join(root, ORIN, 'curr3_input'));
    await mkdir(join(root, ORIN, 'curr3_input'));
    const { meter, diagnostics } = await probeJetsonHwmon(root, () => 0);
    assert.ok(meter);
    assert.ok(diagnostics.some((d) => d.level === 'warn' && d.path?.endsWith('curr3_input')));
    assert.deepEqual(
      (await meter.read()).rails.map((x) => x.name),
      ['VDD_IN', 'VDD_CPU_GPU_CV'],
    );
  });

  it('a permission error gives a clear diagnostic', opts, async () => {
    const root = await tree(orinFiles);
    for (const f of ['in1_input', 'in2_input', 'in3_input']) await chmod(join(root, ORIN, f), 0o000);
    let result: { meter: boolean; diagnostics: { level: string; message: string }[] };
    if (process.getuid?.() === 0) {
      // root reads mode-000 files: probe from a child running as nobody.
      await chmod(root, 0o755);
      const script =
        `import(${JSON.stringify(new URL('./jetson-hwmon.ts', import.meta.url).pathname)})` +
        `.then(async (m) => { const r = await m.probeJetsonHwmon(${JSON.stringify(root)}, () => 0);` +
        ' console.log(JSON.stringify({ meter: r.meter !== undefined, diagnostics: r.diagnostics })); })';
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], {
        uid: 65534,
        gid: 65534,
        cwd: process.cwd(),
        timeout: 15_000,
      });
      result = JSON.parse(stdout);
    } else {
      const r = await probeJetsonHwmon(root, () => 0);
      result = { meter: r.meter !== undefined, diagnostics: [...r.diagnostics] };
    }
    assert.equal(result.meter, false);
    assert.ok(
      result.diagnostics.some((d) => d.level === 'warn' && /permission denied \(EACCES\)/.test(d.message)),
      JSON.stringify(result.diagnostics),
    );
  });
});
