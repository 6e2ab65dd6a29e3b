// Raspberry Pi 5 PMIC ADC through `vcgencmd pmic_read_adc`. Each rail appears as
// a current line and a voltage line, with ADC channel numbers that do not pair up, so rails are paired by
// name:
//    VDD_CORE_A current(7)=6.22421000A
//    VDD_CORE_V volt(15)=0.86173300V
//       EXT5V_V volt(24)=5.09066000V        (voltage only: the 5 V input is not current-sensed)
// The rails are regulator outputs, so ΣV·I misses conversion losses and the unsensed 5 V consumers (USB, fan).
// The board total is therefore calibrated: total = gain·ΣV·I + offset. Default gain 1.1451, offset 0.5879 W,
// the linear fit published by pitop (pitop.hongjunwu.com, "Pi-Specific Features") against an external meter.
// It is a third-party fit, not verified on our boards: configure your own with a USB power meter.
import { execFile } from 'node:child_process';
import type { InstantPowerMeter, MeterDiagnostic, ProbeResult, RailPower, RunCommand } from './types.js';

export const RPI5_ID = 'rpi5-pmic';

export interface PmicCalibration {
  readonly gain: number;
  readonly offsetWatts: number;
  readonly source: string;
}

export const DEFAULT_PMIC_CALIBRATION: PmicCalibration = {
  gain: 1.1451,
  offsetWatts: 0.5879,
  source: 'pitop linear fit (https://pitop.hongjunwu.com/hardware/pi-features); unverified assumption',
};

export interface PmicRail {
  readonly name: string;
  readonly volts: number;
  readonly amps: number;
  readonly watts: number;
}

const LINE = /^\s*(\S+)_([AV])\s+(?:current|volt)\(\d+\)=\s*([-+0-9.eE]+)\s*[AV]\s*$/;

/** Parses `pmic_read_adc` output into rails with both a current and a voltage. Pure. */
export function parsePmicReadAdc(text: string): PmicRail[] {
  const amps = new Map<string, number>();
  const volts = new Map<string, number>();
  const order: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const [, rail, unit, raw] = m;
    const value = Number(raw);
    if (rail === undefined || !Number.isFinite(value)) continue;
    if (!order.includes(rail)) order.push(rail);
    (unit === 'A' ? amps : volts).set(rail, value);
  }
  const rails: PmicRail[] = [];
  for (const name of order) {
    const a = amps.get(name);
    const v = volts.get(name);
    if (a === undefined || v === undefined) continue;
    rails.push({ name, volts: v, amps: a, watts: v * a });
  }
  return rails;
}

/** Calibrated board total from the rails. Pure. */
export function pmicTotalWatts(rails: readonly PmicRail[], calibration: PmicCalibration): number {
  const sum = rails.reduce((s, r) => s + r.watts, 0);
  return calibration.gain * sum + calibration.offsetWatts;
}

export const defaultRunCommand: RunCommand = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: 2000, encoding: 'utf8' }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });

export interface Rpi5Options {
  readonly runCommand?: RunCommand;
  readonly calibration?: PmicCalibration;
  readonly now: () => number;
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'UNKNOWN';
}

/** Runs `vcgencmd pmic_read_adc` once; a parsable answer means a Pi 5 meter. Never throws. */
export async function probeRpi5Pmic(options: Rpi5Options): Promise<ProbeResult> {
  const run = options.runCommand ?? defaultRunCommand;
  const calibration = options.calibration ?? DEFAULT_PMIC_CALIBRATION;
  const diagnostics: MeterDiagnostic[] = [];
  let text: string;
  try {
    text = await run('vcgencmd', ['pmic_read_adc']);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'EACCES' || code === 'EPERM' || /permission|\/dev\/vcio/i.test(String(err))) {
      diagnostics.push({
        level: 'warn',
        meter: RPI5_ID,
        message:
          'vcgencmd pmic_read_adc failed with a permission error: add the user to the "video" group ' +
          '(or a udev rule for /dev/vcio) to use the Pi 5 PMIC meter',
      });
    }
    return { diagnostics };
  }
  if (parsePmicReadAdc(text).length === 0) return { diagnostics };
  const source = `vcgencmd pmic_read_adc; total = ${calibration.gain}·ΣV·I + ${calibration.offsetWatts} W (${calibration.source})`;
  const meter: InstantPowerMeter = {
    kind: 'power',
    id: RPI5_ID,
    source,
    method: 'measured',
    async read() {
      const rails = parsePmicReadAdc(await run('vcgencmd', ['pmic_read_adc']));
      if (rails.length === 0) throw new Error(`${RPI5_ID}: vcgencmd pmic_read_adc returned no rails`);
      const out: RailPower[] = rails.map((r) => ({ name: r.name, watts: r.watts }));
      return {
        id: RPI5_ID,
        source,
        method: 'measured',
        rails: out,
        totalWatts: pmicTotalWatts(rails, calibration),
        tMs: options.now(),
      };
    },
  };
  diagnostics.push({ level: 'info', meter: RPI5_ID, message: `${RPI5_ID}: ${source}` });
  return { meter, diagnostics };
}
