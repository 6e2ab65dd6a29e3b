// Jetson INA3221 through NVIDIA's L4T iio driver (JetPack 4: Nano, TX1/TX2, Xavier):
//   /sys/bus/i2c/drivers/ina3221x/<bus>-<addr>/iio:device<N>/
//     rail_name_<c>          channel label, e.g. POM_5V_IN (c = 0..2; absent when not connected)
//     in_power<c>_input      power, mW
//     in_voltage<c>_input    bus voltage, mV
//     in_current<c>_input    current, mA
// File names as read by energymon jetson/ina3221x.c and jetson_stats jtop/core/power.py.
import { join } from 'node:path';
import { buildJetsonMeter, isJetsonRailLabel, type JetsonChannel, type WattsResult } from './jetson-rails.js';
import { diagnoseFailure, globDir, readNumber, readText, sysPath } from './sysfs.js';
import type { MeterDiagnostic, ProbeResult } from './types.js';

export const JETSON_IIO_ID = 'jetson-ina3221-iio';
export const JETSON_IIO_DRIVER_DIR = '/sys/bus/i2c/drivers/ina3221x';
const CHANNELS = 3;

function iioChannel(dir: string, channel: number, name: string): JetsonChannel {
  const powerPath = join(dir, `in_power${channel}_input`);
  const voltPath = join(dir, `in_voltage${channel}_input`);
  const currPath = join(dir, `in_current${channel}_input`);
  return {
    name,
    async readWatts(): Promise<WattsResult> {
      const mw = await readNumber(powerPath);
      if (mw.ok) return { ok: true, watts: mw.value / 1000 };
      if (mw.reason !== 'absent') return mw;
      // No power node: compute V·I from the voltage (mV) and current (mA) nodes.
      const [mv, ma] = await Promise.all([readNumber(voltPath), readNumber(currPath)]);
      if (!mv.ok) return mv;
      if (!ma.ok) return ma;
      return { ok: true, watts: (mv.value * ma.value) / 1e6 };
    },
  };
}

/** Finds the iio INA3221 channels under `sysRoot` and builds one meter over all of them. Never throws. */
export async function probeJetsonIio(sysRoot: string, now: () => number): Promise<ProbeResult> {
  const diagnostics: MeterDiagnostic[] = [];
  const channels: JetsonChannel[] = [];
  const driver = sysPath(sysRoot, JETSON_IIO_DRIVER_DIR);
  for (const bus of await globDir(driver, /^\d+-[0-9a-f]{4}$/i)) {
    for (const device of await globDir(bus, /^iio:device\d+$/)) {
      for (let c = 0; c < CHANNELS; c++) {
        const label = await readText(join(device, `rail_name_${c}`));
        if (!label.ok) {
          const d = diagnoseFailure(JETSON_IIO_ID, label);
          if (d !== undefined) diagnostics.push(d);
          continue;
        }
        if (isJetsonRailLabel(label.text)) channels.push(iioChannel(device, c, label.text));
      }
    }
  }
  if (channels.length === 0) return { diagnostics };
  const built = await buildJetsonMeter(JETSON_IIO_ID, driver, channels, now);
  return { meter: built.meter, diagnostics: [...diagnostics, ...built.diagnostics] };
}
