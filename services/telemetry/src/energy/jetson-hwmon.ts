// Jetson INA3221 through the mainline hwmon driver (JetPack 5/6: Orin, Xavier on L4T 34+):
//   /sys/bus/i2c/drivers/ina3221/<bus>-<addr>/hwmon/hwmon<N>/
//     in<c>_label     channel label, e.g. VDD_IN (c = 1..3); "NC" when not connected
//     in<c>_input     bus voltage, mV
//     curr<c>_input   current, mA
//   in4..in6 are shunt voltages (µV) and in7 ("sum of shunt voltages") their sum: not rails.
// File names and units: Linux Documentation/hwmon/ina3221.rst; energymon jetson/ina3221.c.
import { join } from 'node:path';
import { buildJetsonMeter, isJetsonRailLabel, type JetsonChannel, type WattsResult } from './jetson-rails.js';
import { diagnoseFailure, globDir, listDir, readNumber, readText, sysPath } from './sysfs.js';
import type { MeterDiagnostic, ProbeResult } from './types.js';

export const JETSON_HWMON_ID = 'jetson-ina3221-hwmon';
export const JETSON_HWMON_DRIVER_DIR = '/sys/bus/i2c/drivers/ina3221';

function hwmonChannel(dir: string, channel: number, name: string): JetsonChannel {
  const voltPath = join(dir, `in${channel}_input`);
  const currPath = join(dir, `curr${channel}_input`);
  return {
    name,
    async readWatts(): Promise<WattsResult> {
      const [mv, ma] = await Promise.all([readNumber(voltPath), readNumber(currPath)]);
      if (!mv.ok) return mv;
      if (!ma.ok) return ma;
      return { ok: true, watts: (mv.value * ma.value) / 1e6 };
    },
  };
}

/** Finds the hwmon INA3221 channels under `sysRoot` and builds one meter over all of them. Never throws. */
export async function probeJetsonHwmon(sysRoot: string, now: () => number): Promise<ProbeResult> {
  const diagnostics: MeterDiagnostic[] = [];
  const channels: JetsonChannel[] = [];
  const driver = sysPath(sysRoot, JETSON_HWMON_DRIVER_DIR);
  for (const bus of await globDir(driver, /^\d+-[0-9a-f]{4}$/i)) {
    for (const hwmon of await globDir(join(bus, 'hwmon'), /^hwmon\d+$/)) {
      const files = await listDir(hwmon);
      const labels = files
        .map((f) => /^in(\d+)_label$/.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
      for (const c of labels) {
        const label = await readText(join(hwmon, `in${c}_label`));
        if (!label.ok) {
          const d = diagnoseFailure(JETSON_HWMON_ID, label);
          if (d !== undefined) diagnostics.push(d);
          continue;
        }
        if (!isJetsonRailLabel(label.text)) continue;
        // A rail has a current channel; the shunt-sum voltage channel has none.
        if (!files.includes(`curr${c}_input`)) continue;
        channels.push(hwmonChannel(hwmon, c, label.text));
      }
    }
  }
  if (channels.length === 0) return { diagnostics };
  const built = await buildJetsonMeter(JETSON_HWMON_ID, driver, channels, now);
  return { meter: built.meter, diagnostics: [...diagnostics, ...built.diagnostics] };
}
