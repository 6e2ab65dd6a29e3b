// Intel/AMD RAPL through the Linux powercap framework:
//   /sys/class/powercap/intel-rapl:<p>/      top-level zone: name = package-<p>, or psys (platform)
//   /sys/class/powercap/intel-rapl:<p>:<s>/  subzone: name = core, uncore or dram
//     energy_uj             cumulative energy, µJ; wraps to 0 after max_energy_range_uj
//     max_energy_range_uj   the counter's range, µJ
// Domain rule (docs/energy.md, "RAPL domains"): package contains core and uncore, so those are never added;
// dram is listed under the package in sysfs but is NOT part of the package counter, so it is added; psys, when
// present, covers the whole platform (package and dram), so it is used alone. Sources: powercap/powercap
// issue #3 (RAPL zone hierarchy), sustainable-computing-io/kepler PR #156, ml-energy/zeus PR #92,
// powercap/raplcap issue #8 (psys is a top-level zone). `intel-rapl-mmio` zones duplicate the package and are
// ignored. Since Linux 5.10 energy_uj is readable by root only (CVE-2020-8694), hence the diagnostic.
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { diagnoseFailure, globDir, readNumber, readText, sysPath } from './sysfs.js';
import type {
  DomainEnergy,
  EnergyCounterMeter,
  EnergyReading,
  MeterDiagnostic,
  ProbeResult,
} from './types.js';

export const RAPL_ID = 'rapl';
export const POWERCAP_DIR = '/sys/class/powercap';

/** Increase of a counter that wraps to 0 after `maxRange`. Assumes at most one wrap between reads. */
export function counterDelta(previous: number, next: number, maxRange: number): number {
  if (next >= previous) return next - previous;
  return maxRange - previous + next;
}

export interface RaplZoneInfo {
  /** `intel-rapl:0`, `intel-rapl:0:2`, ... */
  readonly zone: string;
  /** Contents of `name`: `package-0`, `core`, `uncore`, `dram`, `psys`. */
  readonly name: string;
}

/** Picks the zones whose energies can be added without overlap. Pure. */
export function selectRaplZones<Z extends RaplZoneInfo>(zones: readonly Z[]): { zones: Z[]; rule: string } {
  const isTop = (z: Z) => /^intel-rapl:\d+$/.test(z.zone);
  const psys = zones.filter((z) => isTop(z) && z.name === 'psys');
  if (psys.length > 0) return { zones: psys, rule: 'psys (whole platform) alone' };
  const packages = zones.filter((z) => isTop(z) && z.name.startsWith('package'));
  const dram = zones.filter((z) => z.name === 'dram');
  return {
    zones: [...packages, ...dram],
    rule: 'sum of package zones + dram zones (core/uncore are inside package)',
  };
}

interface Zone extends RaplZoneInfo {
  readonly energyPath: string;
  readonly maxRangeUj: number;
}

const FIRST_READ_GAP_MS = 100;

function createRaplMeter(zones: readonly Zone[], source: string, now: () => number): EnergyCounterMeter {
  const lastRaw = new Map<string, number>();
  const accumulated = new Map<string, number>(zones.map((z) => [z.zone, 0]));
  let previous: EnergyReading | undefined;

  async function readEnergy(): Promise<EnergyReading> {
    const raws = await Promise.all(zones.map((z) => readNumber(z.energyPath)));
    const tMs = now();
    const domains: DomainEnergy[] = zones.map((z, i) => {
      const raw = raws[i]!;
      if (!raw.ok) throw new Error(`${RAPL_ID}: cannot read ${raw.path} (${raw.code})`);
      const last = lastRaw.get(z.zone);
      const add = last === undefined ? 0 : counterDelta(last, raw.value, z.maxRangeUj);
      lastRaw.set(z.zone, raw.value);
      const joules = (accumulated.get(z.zone) ?? 0) + add / 1e6;
      accumulated.set(z.zone, joules);
      return { name: `${z.name} (${z.zone})`, joules };
    });
    return { tMs, domains, totalJoules: domains.reduce((s, d) => s + d.joules, 0) };
  }

  return {
    kind: 'energy',
    id: RAPL_ID,
    source,
    method: 'measured',
    readEnergy,
    async read() {
      if (previous === undefined) {
        previous = await readEnergy();
        await delay(FIRST_READ_GAP_MS);
      }
      const current = await readEnergy();
      const seconds = (current.tMs - previous.tMs) / 1000;
      const before = previous;
      previous = current;
      const rails = current.domains.map((d, i) => ({
        name: d.name,
        watts: seconds > 0 ? (d.joules - (before.domains[i]?.joules ?? 0)) / seconds : 0,
      }));
      const totalWatts = seconds > 0 ? (current.totalJoules - before.totalJoules) / seconds : 0;
      return { id: RAPL_ID, source, method: 'measured', rails, totalWatts, tMs: current.tMs };
    },
  };
}

/** Finds readable, non-overlapping RAPL zones under `sysRoot`. Never throws. */
export async function probeRapl(sysRoot: string, now: () => number): Promise<ProbeResult> {
  const diagnostics: MeterDiagnostic[] = [];
  const base = sysPath(sysRoot, POWERCAP_DIR);
  const found: Zone[] = [];
  for (const dir of await globDir(base, /^intel-rapl:\d+(:\d+)?$/)) {
    const zone = dir.slice(base.length + 1);
    const [name, max] = await Promise.all([
      readText(join(dir, 'name')),
      readNumber(join(dir, 'max_energy_range_uj')),
    ]);
    if (!name.ok || !max.ok) {
      const failure = !name.ok ? name : max.ok ? undefined : max;
      const d = failure === undefined ? undefined : diagnoseFailure(RAPL_ID, failure);
      if (d !== undefined) diagnostics.push(d);
      continue;
    }
    found.push({ zone, name: name.text, energyPath: join(dir, 'energy_uj'), maxRangeUj: max.value });
  }
  const selected = selectRaplZones(found);
  const readable: Zone[] = [];
  for (const z of selected.zones) {
    const trial = await readNumber(z.energyPath);
    if (trial.ok) readable.push(z);
    else {
      const d = diagnoseFailure(RAPL_ID, trial);
      if (d !== undefined) diagnostics.push(d);
    }
  }
  // A partial set would undercount (e.g. package without dram): all selected zones or no meter.
  if (readable.length === 0 || readable.length !== selected.zones.length) return { diagnostics };
  diagnostics.push({
    level: 'info',
    meter: RAPL_ID,
    message: `${RAPL_ID}: zones ${readable.map((z) => `${z.zone}=${z.name}`).join(', ')}; ${selected.rule}`,
  });
  return { meter: createRaplMeter(readable, base, now), diagnostics };
}
