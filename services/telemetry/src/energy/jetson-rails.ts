// Which Jetson INA3221 rails make the board total. Pure; shared by the iio (JetPack 4) and hwmon (JetPack 5/6)
// readers.
//
// Rule (docs/energy.md, "Jetson input rail"):
//  - If a module-input rail exists, the total is that rail alone: its sub-rails (CPU, GPU, SOC, ...) are fed
//    from it, so adding them double-counts (jetson-stats issue #51). Names, in order of preference:
//    VDD_IN (Orin Nano/NX, TX1/TX2, Xavier NX), POM_5V_IN (Nano, JetPack 4), VIN, 5V_IN (Xavier NX in the
//    L4T docs' naming). Sources: rbonghi/jetson_stats jtop/core/power.py total_power(); energymon
//    jetson/JetsonPowerRails.md.
//  - VDD_MUX (TX1/TX2 carrier board) branches from the supply in parallel with VDD_IN, so it is added
//    (energymon jetson/README.md aggregates VDD_IN + VDD_MUX on those boards).
//  - Without an input rail (AGX Xavier: GPU, CPU, SOC, CV, VDDRQ, SYS5V; AGX Orin: VDD_GPU_SOC,
//    VDD_CPU_CV, VIN_SYS_5V0, VDDQ_VDD2_1V8AO) the monitored rails are parallel branches of the supply and
//    are summed. VIN_SYS_5V0 is such a branch (the 5 V system rail), not the board input, so it is never
//    taken as the total.
import { diagnoseFailure, type ReadFailure } from './sysfs.js';
import type { InstantPowerMeter, MeterDiagnostic, ProbeResult, RailPower } from './types.js';

export const JETSON_INPUT_RAILS: readonly string[] = ['VDD_IN', 'POM_5V_IN', 'VIN', '5V_IN'];
export const JETSON_PARALLEL_INPUT_RAILS: readonly string[] = ['VDD_MUX'];

/** Channel labels that are not power rails: unconnected channels and the INA3221 shunt-sum channel. */
export function isJetsonRailLabel(label: string): boolean {
  const l = label.trim();
  if (l === '' || l === 'NC') return false;
  return !/sum of shunt/i.test(l);
}

export interface JetsonTotal {
  readonly totalWatts: number;
  /** The rails the total is made of. */
  readonly from: readonly string[];
  readonly rule: 'input-rail' | 'sum-of-rails';
}

export function jetsonTotal(rails: readonly RailPower[]): JetsonTotal {
  const byName = new Map(rails.map((r) => [r.name.toUpperCase(), r]));
  for (const name of JETSON_INPUT_RAILS) {
    const input = byName.get(name);
    if (input === undefined) continue;
    const parallel = JETSON_PARALLEL_INPUT_RAILS.map((n) => byName.get(n)).filter(
      (r): r is RailPower => r !== undefined,
    );
    const parts = [input, ...parallel];
    return {
      totalWatts: parts.reduce((s, r) => s + r.watts, 0),
      from: parts.map((r) => r.name),
      rule: 'input-rail',
    };
  }
  return {
    totalWatts: rails.reduce((s, r) => s + r.watts, 0),
    from: rails.map((r) => r.name),
    rule: 'sum-of-rails',
  };
}

/** One INA3221 channel as the readers found it. */
export interface JetsonChannel {
  readonly name: string;
  readWatts(): Promise<WattsResult>;
}

export type WattsResult =
  | { readonly ok: true; readonly watts: number }
  | {
      readonly ok: false;
      readonly reason: ReadFailure | 'unparsable';
      readonly path: string;
      readonly code: string;
    };

/**
 * Tries every channel once and builds a meter from those that read. A channel that cannot be read at
 * detection is dropped with a diagnostic; no readable channel means no meter.
 */
export async function buildJetsonMeter(
  id: string,
  source: string,
  channels: readonly JetsonChannel[],
  now: () => number,
): Promise<ProbeResult> {
  const diagnostics: MeterDiagnostic[] = [];
  const usable: JetsonChannel[] = [];
  for (const channel of channels) {
    const r = await channel.readWatts();
    if (r.ok) usable.push(channel);
    else {
      const d = diagnoseFailure(id, r);
      if (d !== undefined) diagnostics.push(d);
    }
  }
  if (usable.length === 0) return { diagnostics };
  const total = jetsonTotal(usable.map((c) => ({ name: c.name, watts: 0 })));
  diagnostics.push({
    level: 'info',
    meter: id,
    message:
      `${id}: rails ${usable.map((c) => c.name).join(', ')}; total = ` +
      (total.rule === 'input-rail' ? `input rail ${total.from.join(' + ')}` : 'sum of rails (no input rail)'),
  });
  const meter: InstantPowerMeter = {
    kind: 'power',
    id,
    source,
    method: 'measured',
    async read() {
      const results = await Promise.all(usable.map((c) => c.readWatts()));
      const rails: RailPower[] = [];
      results.forEach((r, i) => {
        if (!r.ok) throw new Error(`${id}: cannot read rail ${usable[i]?.name} (${r.code} at ${r.path})`);
        rails.push({ name: usable[i]!.name, watts: r.watts });
      });
      return { id, source, method: 'measured', rails, totalWatts: jetsonTotal(rails).totalWatts, tMs: now() };
    },
  };
  return { meter, diagnostics };
}
