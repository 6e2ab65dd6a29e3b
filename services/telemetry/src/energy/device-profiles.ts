// Device profiles for the fallback power model P = P_idle + (P_max − P_idle)·u. Every number here is an
// estimate (figures from this model are tagged `estimated`); each profile says where its numbers come from.
// Replace them with measurements from a USB/bench meter when you have the board.
//
// speedFactor: how many times slower this device's CPU runs our small CNNs than one core of a typical x86
// server. Estimated from public single-core benchmark ratios (Geekbench-class scores: Cortex-A57 ≈ 1/6,
// A72 ≈ 1/5, A78AE at 1.5 GHz ≈ 1/2.5, A76 at 2.4 GHz ≈ 1/2 of a recent server core); not measured on our
// models. `cleave calibrate` timings on the real board should replace it.

export type DeviceProfileName = 'jetson-nano' | 'jetson-orin-nano' | 'rpi4' | 'rpi5' | 'x86';

export interface DeviceProfile {
  readonly name: DeviceProfileName;
  readonly idleWatts: number;
  readonly maxWatts: number;
  readonly speedFactor: number;
  readonly source: string;
}

export const DEVICE_PROFILES: Readonly<Record<DeviceProfileName, DeviceProfile>> = {
  'jetson-nano': {
    name: 'jetson-nano',
    idleWatts: 1.5,
    maxWatts: 10,
    speedFactor: 6,
    source:
      'P_max: NVIDIA nvpmodel MAXN power budget of the Jetson Nano module (10 W; the other mode is 5 W). ' +
      'P_idle: estimate from typical idle POM_5V_IN readings (≈1.2–2 W), not measured here. speedFactor: ' +
      'estimate (4× Cortex-A57 @ 1.43 GHz).',
  },
  'jetson-orin-nano': {
    name: 'jetson-orin-nano',
    idleWatts: 4,
    maxWatts: 15,
    speedFactor: 2.5,
    source:
      'P_max: the 15 W power mode of the Jetson Orin Nano 8GB (modes 7 W and 15 W, as tabulated in the ' +
      'ai-hpc.github.io "Orin Nano Power Management" guide; JetPack 6.2 adds a 25 W mode not modelled). ' +
      'P_idle: estimate, not measured here. speedFactor: estimate ' +
      '(6× Cortex-A78AE @ 1.5 GHz).',
  },
  rpi4: {
    name: 'rpi4',
    idleWatts: 2.3,
    maxWatts: 5.4,
    speedFactor: 5,
    source:
      'Measured at the USB supply by chipwired.com ("How much power a Raspberry Pi uses", Pi 4, Raspberry Pi ' +
      'OS Bullseye): idle load 2.2–2.3 W, high load 5.1–5.4 W. speedFactor: estimate (4× Cortex-A72 @ 1.5 GHz).',
  },
  rpi5: {
    name: 'rpi5',
    idleWatts: 2.7,
    maxWatts: 7,
    speedFactor: 2,
    source:
      'Estimate from commonly reported Pi 5 figures (idle ≈2.5–3 W, 4-core stress ≈6.5–7.5 W without USB ' +
      'load), not verified here; a Pi 5 has a PMIC meter (rpi5-pmic), prefer it. speedFactor: estimate ' +
      '(4× Cortex-A76 @ 2.4 GHz).',
  },
  x86: {
    name: 'x86',
    idleWatts: 40,
    maxWatts: 120,
    speedFactor: 1,
    source:
      'Assumption: a generic single-socket x86 server (idle 40 W, full load 120 W at the wall); the reference ' +
      'for speedFactor = 1. Prefer the RAPL meter where it is readable.',
  },
};

export function isDeviceProfileName(name: string): name is DeviceProfileName {
  return Object.hasOwn(DEVICE_PROFILES, name);
}

/** Guesses the profile from /proc/device-tree/model text (or the CPU architecture when there is none). */
export function guessDeviceProfile(model: string | undefined, arch: string): DeviceProfileName {
  const m = (model ?? '').toLowerCase();
  if (m.includes('raspberry pi 5')) return 'rpi5';
  if (m.includes('raspberry pi 4')) return 'rpi4';
  if (m.includes('orin nano')) return 'jetson-orin-nano';
  if (m.includes('jetson nano') || m.includes('jetson-nano')) return 'jetson-nano';
  if (m.includes('orin')) return 'jetson-orin-nano';
  return arch === 'x64' || arch === 'ia32' ? 'x86' : 'rpi4';
}
