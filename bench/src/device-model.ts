// The emulated device: compute time measured here × the profile's speed factor, and energy from
// the profile's power with one of its four cores busy, P = P_idle + (P_max − P_idle) / 4, over that
// time (method `estimated`; docs/energy.md, and energy-report.ts does the same for the demo).
import { DEVICE_PROFILES, type DeviceProfileName, isDeviceProfileName } from '@cleave/telemetry';

export const BENCH_DEVICES = [
  'jetson-orin-nano',
  'rpi4',
  'rpi5',
] as const satisfies readonly DeviceProfileName[];

export function deviceProfile(name: string) {
  if (!isDeviceProfileName(name))
    throw new Error(`unknown device "${name}" (known: ${Object.keys(DEVICE_PROFILES).join(', ')})`);
  return DEVICE_PROFILES[name];
}

export function busyWatts(name: string): number {
  const p = deviceProfile(name);
  return p.idleWatts + (p.maxWatts - p.idleWatts) / 4;
}

/** Time on the device for `hereMs` of compute here. */
export const onDeviceMs = (name: string, hereMs: number) => hereMs * deviceProfile(name).speedFactor;

/** Energy on the device for `hereMs` of compute here, mJ (W × ms). */
export const onDeviceMj = (name: string, hereMs: number) => onDeviceMs(name, hereMs) * busyWatts(name);
