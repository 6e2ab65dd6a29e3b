// Cleave's adaptive policy, the planning half (pure, unit-tested): given only an SLO, pick how
// to answer. The bundle is the one with the fewest bytes per offload whose cascade keeps the
// SLO's accuracy; then, per regime and as conditions change, the plan with the least expected
// device energy whose worst path meets the latency goal:
//  - local-full       the teacher on the device;
//  - input-offload    the raw input to the cloud's teacher (the cut at the input: nothing on the device);
//  - exit-offload     head and exit gate; unsure inputs go to the cloud;
//  - cascade-offload  head, exit gate, dual CNNs; unsure inputs go to the cloud (the agent's cascade);
//  - exit-local       head and exit gate; unsure inputs run the teacher on the device;
//  - cascade-local    head, exit gate, dual CNNs; unsure inputs run the teacher on the device.
// Radio energy per offload comes from the link's power model at the rate offloads would leave
// (promotion and tail shared as the radio model shares them), so a link whose tail costs more
// than the device's compute is left alone, and a cheap one is used.
import { createRadioEnergyModel, radioEnergy } from '@cleave/telemetry';

export const PLANS = [
  'local-full',
  'input-offload',
  'exit-offload',
  'cascade-offload',
  'exit-local',
  'cascade-local',
] as const;
export type Plan = (typeof PLANS)[number];

/** Plans that send feature frames through the agent. */
export const offloads = (p: Plan) => p === 'exit-offload' || p === 'cascade-offload';
export const usesDual = (p: Plan) => p === 'cascade-offload' || p === 'cascade-local';

export interface StageCosts {
  head: number;
  dualA: number;
  dualB: number;
  full: number;
  /** Feature encoding of one frame. */
  encode: number;
}

export interface PlanInputs {
  /** Device energy per run of each stage, mJ. */
  mj: StageCosts;
  /** Device time per run of each stage, ms. */
  ms: StageCosts;
  /** Shares of all inputs: answered by the exit gate, answered by the dual CNNs, for which B ran. */
  coverage: { exit: number; dual: number; bRuns: number };
  /** Device radio energy of one feature-frame offload when offloads leave at this rate (per second), mJ. */
  radioMj: (offloadsPerSec: number) => number;
  /** The same for an offload of the raw input. */
  inputRadioMj: (offloadsPerSec: number) => number;
  /** Predicted round trip of one feature-frame offload, ms; undefined while the link is not measured yet. */
  offloadMs: number | undefined;
  /** Predicted round trip of one raw-input offload, ms; undefined while not measured yet. */
  inputOffloadMs: number | undefined;
  /** Camera frames per second as observed; undefined before two frames have come. */
  arrivalsPerSec: number | undefined;
  sloMs: number;
}

export interface PlanEstimate {
  plan: Plan;
  energyMj: number;
  /** Worst path (an input nothing on the device is sure of), ms; undefined when not known yet. */
  latencyMs: number | undefined;
  feasible: boolean;
}

export function estimatePlans(x: PlanInputs): PlanEstimate[] {
  const { mj, ms, coverage: c } = x;
  const unsureAfterExit = 1 - c.exit;
  const unsureAfterDual = Math.max(0, 1 - c.exit - c.dual);
  const rate = x.arrivalsPerSec;
  const radio = (share: number) => x.radioMj(rate === undefined ? 0 : rate * share);
  const dualMj = unsureAfterExit * mj.dualA + c.bRuns * mj.dualB;
  const dualMs = ms.dualA + ms.dualB;
  const offloadPath = (deviceMs: number) => (x.offloadMs === undefined ? undefined : deviceMs + x.offloadMs);
  const rows: Array<[Plan, number, number | undefined]> = [
    ['local-full', mj.full, ms.full],
    ['input-offload', x.inputRadioMj(rate ?? 0), x.inputOffloadMs],
    [
      'exit-offload',
      mj.head + unsureAfterExit * (mj.encode + radio(unsureAfterExit)),
      offloadPath(ms.head + ms.encode),
    ],
    [
      'cascade-offload',
      mj.head + dualMj + unsureAfterDual * (mj.encode + radio(unsureAfterDual)),
      offloadPath(ms.head + dualMs + ms.encode),
    ],
    ['exit-local', mj.head + unsureAfterExit * mj.full, ms.head + ms.full],
    ['cascade-local', mj.head + dualMj + unsureAfterDual * mj.full, ms.head + dualMs + ms.full],
  ];
  return rows.map(([plan, energyMj, latencyMs]) => ({
    plan,
    energyMj,
    latencyMs,
    // An offload plan whose link is not measured yet may be tried: that is how it gets measured.
    feasible: latencyMs === undefined || latencyMs <= x.sloMs,
  }));
}

/** The feasible plan with the least energy; local-full when nothing is feasible (it needs no link). */
export function choosePlan(estimates: readonly PlanEstimate[]): PlanEstimate {
  const feasible = estimates.filter((e) => e.feasible);
  const pool = feasible.length > 0 ? feasible : estimates.filter((e) => e.plan === 'local-full');
  return pool.reduce((best, e) => (e.energyMj < best.energyMj ? e : best));
}

/**
 * Radio energy per offload (mJ) when offloads of these sizes leave every 1/rate seconds, in the
 * steady state: three periods of transfers go through the radio model and the middle one is
 * charged (its promotion if the gap lets the radio demote, its tails up to the next transfer).
 * Rate 0 means isolated offloads: promotion, transfer and the full tail each time.
 */
export function radioPerOffloadMj(
  profile: string,
  bytes: { up: number; down: number },
  mbps: { up: number; down: number },
  offloadsPerSec: number,
): number {
  const input = { bytesUp: bytes.up, bytesDown: bytes.down, uplinkMbps: mbps.up, downlinkMbps: mbps.down };
  if (!(offloadsPerSec > 0)) return radioEnergy(profile, input).joules * 1000;
  const gapMs = 1000 / offloadsPerSec;
  const per = 20;
  let middle = 0;
  let settled = 0;
  const model = createRadioEnergyModel(profile, {
    onSettled: (e) => {
      if (settled >= per && settled < 2 * per) middle += e.joules;
      settled++;
    },
  });
  for (let i = 0; i < 3 * per; i++) model.transfer({ ...input, startMs: i * gapMs });
  model.settle();
  return (middle * 1000) / per;
}

/** Running shares of what the gates answered, starting from the bundle's own figures. */
export function createCoverageTracker(prior: { exit: number; dual: number; bRuns: number }, weight = 20) {
  let n = 0;
  let exit = 0;
  let dual = 0;
  let bRuns = 0;
  let dualSeen = 0;
  return {
    /** One input through the head (`dualRan`: whether the dual stage ran at all). */
    observe(o: { exitPass: boolean; dualRan: boolean; dualPass: boolean; bRan: boolean }) {
      n++;
      if (o.exitPass) exit++;
      if (o.dualRan) {
        dualSeen++;
        if (o.dualPass) dual++;
        if (o.bRan) bRuns++;
      }
    },
    current() {
      const share = (count: number, seen: number, p: number) => (count + p * weight) / (seen + weight);
      const e = share(exit, n, prior.exit);
      // Dual shares are of the inputs the exit gate left, then scaled back to all inputs.
      const left = Math.max(1e-9, 1 - prior.exit);
      const d = share(dual, dualSeen, prior.dual / left) * (1 - e);
      const b = share(bRuns, dualSeen, prior.bRuns / left) * (1 - e);
      return { exit: e, dual: d, bRuns: b };
    },
  };
}
