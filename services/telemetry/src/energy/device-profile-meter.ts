// The fallback meter: P = P_idle + (P_max − P_idle)·u, with u this process's CPU utilisation (CPU time over
// wall time divided by the cores available, clamped to [0, 1]) or an injected source. Tagged `estimated`.
import { availableParallelism } from 'node:os';
import { DEVICE_PROFILES, type DeviceProfile, type DeviceProfileName } from './device-profiles.js';
import type { InstantPowerMeter } from './types.js';

export const DEVICE_PROFILE_METER_ID = 'device-profile';

/** Returns utilisation in [0, 1] since its previous call. */
export type UtilisationSource = () => number;

export function clamp01(x: number): number {
  if (!Number.isFinite(x)) return 0;
  return Math.min(1, Math.max(0, x));
}

/** Power of the linear model at utilisation u. Pure. */
export function profilePowerWatts(profile: DeviceProfile, utilisation: number): number {
  return profile.idleWatts + (profile.maxWatts - profile.idleWatts) * clamp01(utilisation);
}

export interface ProcessUtilisationOptions {
  readonly cores?: number;
  readonly cpuUsage?: () => NodeJS.CpuUsage;
  readonly hrtimeNs?: () => bigint;
}

/** This process's CPU time over wall time, divided by the cores it may use, since the previous call. */
export function processUtilisation(options: ProcessUtilisationOptions = {}): UtilisationSource {
  const cores = Math.max(1, options.cores ?? availableParallelism());
  const cpuUsage = options.cpuUsage ?? (() => process.cpuUsage());
  const hrtimeNs = options.hrtimeNs ?? (() => process.hrtime.bigint());
  let lastCpu = cpuUsage();
  let lastWall = hrtimeNs();
  return () => {
    const cpu = cpuUsage();
    const wall = hrtimeNs();
    const cpuUs = cpu.user - lastCpu.user + (cpu.system - lastCpu.system);
    const wallUs = Number(wall - lastWall) / 1000;
    lastCpu = cpu;
    lastWall = wall;
    if (wallUs <= 0) return 0;
    return clamp01(cpuUs / wallUs / cores);
  };
}

export interface DeviceProfileMeterOptions {
  readonly profile: DeviceProfile | DeviceProfileName;
  readonly utilisation?: UtilisationSource;
  readonly now: () => number;
}

export function createDeviceProfileMeter(options: DeviceProfileMeterOptions): InstantPowerMeter {
  const profile = typeof options.profile === 'string' ? DEVICE_PROFILES[options.profile] : options.profile;
  const utilisation = options.utilisation ?? processUtilisation();
  const source = `device profile ${profile.name}: ${profile.idleWatts} W idle, ${profile.maxWatts} W max (${profile.source})`;
  return {
    kind: 'power',
    id: DEVICE_PROFILE_METER_ID,
    source,
    method: 'estimated',
    async read() {
      const watts = profilePowerWatts(profile, utilisation());
      return {
        id: DEVICE_PROFILE_METER_ID,
        source,
        method: 'estimated',
        rails: [{ name: `model:${profile.name}`, watts }],
        totalWatts: watts,
        tMs: options.now(),
      };
    },
  };
}
