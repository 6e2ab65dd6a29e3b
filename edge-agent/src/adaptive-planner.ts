// The adaptive policy's running half: the planner's state between frames. It re-plans every few
// frames from what it observes: the camera's rate, the gates' shares, the link's round trip (the
// agent's own estimator), the mean bytes per feature-frame offload, and the round trip of raw-input
// offloads. It is told only the SLO, the device's stage costs and its radio type; it measures the
// rest. Running the chosen plan (agent, teacher on the device, raw-input offload) is the caller's.
import {
  choosePlan,
  createCoverageTracker,
  estimatePlans,
  type Plan,
  type PlanEstimate,
  radioPerOffloadMj,
  type StageCosts,
} from './adaptive-plans.js';
import { NOMINAL_LINK_MBPS } from './energy-accounting.js';
import type { LinkEstimate } from './link-estimator.js';

const REPLAN_EVERY = 10;
/** Arrivals it takes to estimate the camera's rate; before that, offloads are taken as isolated. */
const RATE_SAMPLES = 5;

/** A change of plan at frame `at`, with every plan's expected energy (mJ) then. */
export interface PlanChange {
  at: number;
  plan: Plan;
  estimates: Record<string, number>;
}

/** What the gates did with one input through the head. */
export interface GateObservation {
  exitPass: boolean;
  /** Whether the dual stage ran at all. */
  dualRan: boolean;
  dualPass: boolean;
  bRan: boolean;
}

export interface AdaptivePlannerOptions {
  /** The bundle's own figures: gate coverage on its test images and mean feature-frame bytes. */
  metrics: { exitCoverage: number; dualCoverage?: number; meanFrameBytes: number };
  /** Device energy (mJ) and time (ms) per run of each stage. */
  mj: StageCosts;
  ms: StageCosts;
  /** The radio's power model (telemetry's radio profiles). */
  radio: string;
  sloMs: number;
  /** Serialized bytes of one raw-input offload, up and down, before any is measured. */
  inputBytes: { up: number; down: number };
  /** The agent's link estimate for feature-frame offloads. */
  link: () => Pick<LinkEstimate, 'samples' | 'srttMs' | 'serverMs' | 'uplinkBps'>;
  /** Hold one plan (to measure each plan on its own). */
  fixedPlan?: Plan;
}

export interface AdaptivePlanner {
  /** Plan changes since the run started. */
  readonly plans: PlanChange[];
  /** The camera starts now: what came before (a warm-up) says nothing about its rate. */
  startRun(): void;
  /** A frame arrived at `startMs` (performance.now()): the plan that answers it. */
  next(startMs: number): Plan;
  observeGates(o: GateObservation): void;
  /** A feature-frame offload of these serialized sizes (`bytesDown` undefined: not known). */
  observeOffload(bytesUp: number, bytesDown: number | undefined): void;
  /** A raw-input offload that took `rttMs` with these serialized sizes. */
  observeInputOffload(rttMs: number, bytesUp: number, bytesDown: number): void;
}

export function createAdaptivePlanner(o: AdaptivePlannerOptions): AdaptivePlanner {
  const prior = {
    exit: o.metrics.exitCoverage,
    dual: o.metrics.dualCoverage ?? 0,
    // Not in the manifest: assume B runs whenever A is unsure of an input the exit left.
    bRuns: 1 - o.metrics.exitCoverage - (o.metrics.dualCoverage ?? 0),
  };
  // The bundle's figures come from 10,000 test images: a few frames should not overturn them.
  const coverage = createCoverageTracker(prior, 200);
  const nominal = NOMINAL_LINK_MBPS[o.radio] ?? { up: 10, down: 10 };
  let bytesUp = o.metrics.meanFrameBytes + 20;
  let bytesDown = 60;
  let offloadsSeen = 0;
  // Raw-input offloads: round-trip estimate (EWMA, as the agent's SRTT) and sizes.
  let inputRttMs: number | undefined;
  const input = { ...o.inputBytes };
  const arrivals: number[] = [];
  const plans: PlanChange[] = [];
  let current: PlanEstimate | undefined;
  let sinceStart = 0;

  function replan(k: number): void {
    const link = o.link();
    const transferMs = Number.isFinite(link.uplinkBps) ? ((bytesUp * 8) / link.uplinkBps) * 1000 : 0;
    const recent = arrivals.slice(-REPLAN_EVERY);
    const span = (recent.at(-1)! - recent[0]!) / 1000;
    const estimates = estimatePlans({
      mj: o.mj,
      ms: o.ms,
      coverage: coverage.current(),
      radioMj: (rate) => radioPerOffloadMj(o.radio, { up: bytesUp, down: bytesDown }, nominal, rate),
      inputRadioMj: (rate) => radioPerOffloadMj(o.radio, input, nominal, rate),
      offloadMs: link.samples > 0 ? link.srttMs + link.serverMs + transferMs : undefined,
      inputOffloadMs: inputRttMs,
      arrivalsPerSec: recent.length >= RATE_SAMPLES && span > 0 ? (recent.length - 1) / span : undefined,
      sloMs: o.sloMs,
    });
    const chosen = o.fixedPlan ? estimates.find((e) => e.plan === o.fixedPlan)! : choosePlan(estimates);
    if (chosen.plan !== current?.plan)
      plans.push({
        at: k,
        plan: chosen.plan,
        estimates: Object.fromEntries(estimates.map((e) => [e.plan, e.energyMj])),
      });
    current = chosen;
  }

  return {
    plans,
    startRun() {
      arrivals.length = 0;
      sinceStart = 0;
      // Plan changes are reported from the run's first frame.
      plans.length = 0;
      current = undefined;
    },
    next(startMs) {
      arrivals.push(startMs);
      if (sinceStart % REPLAN_EVERY === 0 || sinceStart === RATE_SAMPLES) replan(sinceStart);
      sinceStart++;
      return current!.plan;
    },
    observeGates: (g) => coverage.observe(g),
    observeOffload(up, down) {
      offloadsSeen++;
      const w = offloadsSeen === 1 ? 1 : 0.1;
      bytesUp = (1 - w) * bytesUp + w * up;
      bytesDown = (1 - w) * bytesDown + w * (down ?? bytesDown);
    },
    observeInputOffload(rttMs, up, down) {
      inputRttMs = inputRttMs === undefined ? rttMs : 0.875 * inputRttMs + 0.125 * rttMs;
      input.up = up;
      input.down = down;
    },
  };
}
