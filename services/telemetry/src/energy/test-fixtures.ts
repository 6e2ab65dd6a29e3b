// Test helpers: fake sysfs trees in temporary folders, and fake meters. Used by the *.test.ts files only.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EnergyCounterMeter, InstantPowerMeter } from './types.js';

/** Creates a temporary root and writes `files` (path relative to the root → contents) under it. */
export async function makeTree(files: Readonly<Record<string, string>>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'cleave-energy-'));
  await writeTree(root, files);
  return root;
}

export async function writeTree(root: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, contents] of Object.entries(files)) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, contents);
  }
}

export async function removeTree(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

/** A manual clock: `now()` returns the current value; `set`/`advance` move it. */
export function manualClock(start = 0): {
  now: () => number;
  set: (t: number) => void;
  advance: (ms: number) => void;
} {
  let t = start;
  return {
    now: () => t,
    set: (value) => {
      t = value;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** An instantaneous meter that returns the watts from `next()` on each read. */
export function fakePowerMeter(next: () => number, now: () => number = () => 0): InstantPowerMeter {
  return {
    kind: 'power',
    id: 'fake-power',
    source: 'test',
    method: 'measured',
    async read() {
      const watts = next();
      return {
        id: 'fake-power',
        source: 'test',
        method: 'measured',
        rails: [{ name: 'x', watts }],
        totalWatts: watts,
        tMs: now(),
      };
    },
  };
}

/** An energy-counter meter that returns cumulative joules from `next()` on each read. */
export function fakeEnergyMeter(next: () => number, now: () => number = () => 0): EnergyCounterMeter {
  return {
    kind: 'energy',
    id: 'fake-energy',
    source: 'test',
    method: 'measured',
    async readEnergy() {
      const joules = next();
      return { tMs: now(), domains: [{ name: 'x', joules }], totalJoules: joules };
    },
    async read() {
      throw new Error('not used');
    },
  };
}
