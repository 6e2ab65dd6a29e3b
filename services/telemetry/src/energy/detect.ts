// Start-up detection: probe every meter, best first, and keep the device-profile model as the last resort.
// Order: Jetson INA3221 (hwmon, then iio) > Raspberry Pi 5 PMIC > RAPL > device profile. Board-input sensors
// come first because they see the whole board; RAPL sees only the CPU package (+ DRAM); the model is a guess.
import { arch } from 'node:process';
import { createDeviceProfileMeter, type UtilisationSource } from './device-profile-meter.js';
import {
  DEVICE_PROFILES,
  type DeviceProfileName,
  guessDeviceProfile,
  isDeviceProfileName,
} from './device-profiles.js';
import { probeJetsonHwmon } from './jetson-hwmon.js';
import { probeJetsonIio } from './jetson-iio.js';
import { probeRapl } from './rapl.js';
import { type PmicCalibration, probeRpi5Pmic } from './rpi5-pmic.js';
import { readText, sysPath } from './sysfs.js';
import type { MeterDiagnostic, PowerMeter, ProbeResult, RunCommand } from './types.js';

export interface DetectOptions {
  /** Root the sysfs/procfs paths are read under; tests pass a temporary directory. Default '/'. */
  readonly sysRoot?: string;
  /** Runs `vcgencmd`; default execFile with a 2 s timeout. */
  readonly runCommand?: RunCommand;
  /** Profile for the fallback model; default guessed from /proc/device-tree/model and the CPU arch. */
  readonly deviceProfile?: string;
  /** Utilisation source for the fallback model; default this process's CPU time. */
  readonly utilisation?: UtilisationSource;
  readonly pmicCalibration?: PmicCalibration;
  /** Clock for reading timestamps, ms; default performance.now. */
  readonly now?: () => number;
}

export interface DetectedMeters {
  /** Best first; the device-profile meter is always last. */
  readonly meters: readonly PowerMeter[];
  readonly diagnostics: readonly MeterDiagnostic[];
}

async function safely(meter: string, probe: () => Promise<ProbeResult>): Promise<ProbeResult> {
  try {
    return await probe();
  } catch (err) {
    return { diagnostics: [{ level: 'warn', meter, message: `${meter} probe failed: ${String(err)}` }] };
  }
}

/** Probes every known meter. Never throws: a missing or unreadable sensor is "not present" plus a diagnostic. */
export async function detectPowerMeters(options: DetectOptions = {}): Promise<DetectedMeters> {
  const sysRoot = options.sysRoot ?? '/';
  const now = options.now ?? (() => performance.now());
  const probes = await Promise.all([
    safely('jetson-ina3221-hwmon', () => probeJetsonHwmon(sysRoot, now)),
    safely('jetson-ina3221-iio', () => probeJetsonIio(sysRoot, now)),
    safely('rpi5-pmic', () =>
      probeRpi5Pmic({
        now,
        ...(options.runCommand !== undefined ? { runCommand: options.runCommand } : {}),
        ...(options.pmicCalibration !== undefined ? { calibration: options.pmicCalibration } : {}),
      }),
    ),
    safely('rapl', () => probeRapl(sysRoot, now)),
  ]);
  const meters: PowerMeter[] = [];
  const diagnostics: MeterDiagnostic[] = [];
  for (const p of probes) {
    if (p.meter !== undefined) meters.push(p.meter);
    diagnostics.push(...p.diagnostics);
  }

  let profile: DeviceProfileName;
  if (options.deviceProfile !== undefined && isDeviceProfileName(options.deviceProfile)) {
    profile = options.deviceProfile;
  } else {
    const model = await readText(sysPath(sysRoot, '/proc/device-tree/model'));
    profile = guessDeviceProfile(model.ok ? model.text : undefined, arch);
    if (options.deviceProfile !== undefined) {
      diagnostics.push({
        level: 'warn',
        meter: 'device-profile',
        message:
          `unknown device profile "${options.deviceProfile}" (known: ${Object.keys(DEVICE_PROFILES).join(', ')}); ` +
          `using "${profile}"`,
      });
    }
  }
  meters.push(
    createDeviceProfileMeter({
      profile,
      now,
      ...(options.utilisation !== undefined ? { utilisation: options.utilisation } : {}),
    }),
  );
  return { meters, diagnostics };
}

/** The preferred meter when present, otherwise the best one. Pure. */
export function selectPowerMeter(meters: readonly PowerMeter[], preferredId?: string): PowerMeter {
  if (preferredId !== undefined) {
    const preferred = meters.find((m) => m.id === preferredId);
    if (preferred !== undefined) return preferred;
  }
  const best = meters[0];
  if (best === undefined) throw new Error('selectPowerMeter: no meters (detectPowerMeters always adds one)');
  return best;
}

export interface MeterRegistry {
  readonly meters: readonly PowerMeter[];
  readonly diagnostics: readonly MeterDiagnostic[];
  get(id: string): PowerMeter | undefined;
  /** The meter to sample: `preferredId` when present, else the best. */
  select(preferredId?: string): PowerMeter;
}

export function createMeterRegistry(detected: DetectedMeters): MeterRegistry {
  const meters = [...detected.meters];
  return {
    meters,
    diagnostics: [...detected.diagnostics],
    get: (id) => meters.find((m) => m.id === id),
    select: (preferredId) => selectPowerMeter(meters, preferredId),
  };
}
