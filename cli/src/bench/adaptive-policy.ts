// Cleave's adaptive policy, the running half: an agent on the SLO's bundle with the latency goal
// as its per-request budget, plus the teacher on the device for inputs the gates are unsure of
// when the radio costs more than computing (or the link cannot meet the goal). It re-plans every
// few frames from what it observes: the camera's rate, the gates' shares, the link's round trip
// (the agent's own estimator) and the mean bytes per offload. It is told only the SLO, the board
// it runs on and its radio type; it measures the rest.
import {
  createAgent,
  createOffloadClient,
  inferRequestWireBytes,
  NOMINAL_LINK_MBPS,
  type OffloadClient,
} from '@cleave/edge-agent';
import type { Bundle } from '@cleave/models';
import {
  choosePlan,
  createCoverageTracker,
  estimatePlans,
  offloads,
  type Plan,
  type PlanEstimate,
  radioPerOffloadMj,
  usesDual,
} from './adaptive-plans.js';
import { costKey, type ModelCosts } from './compute-costs.js';
import { onDeviceMj, onDeviceMs } from './device-model.js';
import { agentOutcome, createLocalFull, type Executor, offloadOptions } from './executors.js';
import type { Slo } from './records.js';

const REPLAN_EVERY = 10;
/** Arrivals it takes to estimate the camera's rate; before that, offloads are taken as isolated. */
const RATE_SAMPLES = 5;

export interface PolicyExecutor extends Executor {
  plans: { at: number; plan: string; estimates: Record<string, number> }[];
}

export async function createPolicyExecutor(o: {
  bundleDir: string;
  teacher: Bundle;
  target: string;
  /** The full-model server, for raw-input offloads. */
  inputTarget: string;
  timeoutMs: number;
  slo: Slo;
  device: string;
  radio: string;
  costs: ModelCosts;
  runStart: () => number;
  /** Hold one plan (the accuracy pass measures each plan on its own). */
  fixedPlan?: Plan;
}): Promise<PolicyExecutor> {
  const agent = await createAgent({
    bundleDir: o.bundleDir,
    id: 'cleave-bench-policy',
    cloud: { target: o.target, timeoutMs: o.timeoutMs },
    mode: 'cascade',
    stages: { cache: false, exit: true, dual: true },
    policy: { latencyBudgetMs: o.slo.latencyMs },
    energy: { enabled: false },
  });
  const local = createLocalFull(o.teacher);
  await local.ready;
  const m = agent.bundle.manifest;
  const name = m.name;
  const teacherKey = costKey(o.teacher.manifest.name, 'full');
  const here = (key: string) => {
    const v = o.costs[key];
    if (v === undefined) throw new Error(`no measured cost for ${key}`);
    return v;
  };
  const metrics = m.metrics as { exitCoverage: number; dualCoverage?: number; meanFrameBytes: number };
  const prior = {
    exit: metrics.exitCoverage,
    dual: metrics.dualCoverage ?? 0,
    // Not in the manifest: assume B runs whenever A is unsure of an input the exit left.
    bRuns: 1 - metrics.exitCoverage - (metrics.dualCoverage ?? 0),
  };
  // The bundle's figures come from 10,000 test images: a few frames should not overturn them.
  const coverage = createCoverageTracker(prior, 200);
  const nominal = NOMINAL_LINK_MBPS[o.radio] ?? { up: 10, down: 10 };
  let bytesUp = metrics.meanFrameBytes + 20;
  let bytesDown = 60;
  let offloadsSeen = 0;
  // Raw-input offloads: their own client, round-trip estimate (EWMA, as the agent's SRTT) and sizes.
  let inputClient: OffloadClient | undefined;
  let inputRttMs: number | undefined;
  const { width, height, channels } = m.input.source;
  const input = { up: inferRequestWireBytes('1', width * height * channels, o.timeoutMs), down: 60 };
  const arrivals: number[] = [];
  const plans: PolicyExecutor['plans'] = [];
  let current: PlanEstimate | undefined;
  let dualOn = true;

  function replan(k: number): void {
    const stage = (hereMs: number) => ({
      mj: onDeviceMj(o.device, hereMs),
      ms: onDeviceMs(o.device, hereMs),
    });
    const s = {
      head: stage(here(costKey(name, 'head'))),
      dualA: stage(here(costKey(name, 'dual-a'))),
      dualB: stage(here(costKey(name, 'dual-b'))),
      full: stage(here(teacherKey)),
      encode: stage(here(costKey(name, 'encode'))),
    };
    const pick = (f: 'mj' | 'ms') => ({
      head: s.head[f],
      dualA: s.dualA[f],
      dualB: s.dualB[f],
      full: s.full[f],
      encode: s.encode[f],
    });
    const link = agent.stats().policy.link;
    const transferMs = Number.isFinite(link.uplinkBps) ? ((bytesUp * 8) / link.uplinkBps) * 1000 : 0;
    const recent = arrivals.slice(-REPLAN_EVERY);
    const span = (recent.at(-1)! - recent[0]!) / 1000;
    const estimates = estimatePlans({
      mj: pick('mj'),
      ms: pick('ms'),
      coverage: coverage.current(),
      radioMj: (rate) => radioPerOffloadMj(o.radio, { up: bytesUp, down: bytesDown }, nominal, rate),
      inputRadioMj: (rate) => radioPerOffloadMj(o.radio, input, nominal, rate),
      offloadMs: link.samples > 0 ? link.srttMs + link.serverMs + transferMs : undefined,
      inputOffloadMs: inputRttMs,
      arrivalsPerSec: recent.length >= RATE_SAMPLES && span > 0 ? (recent.length - 1) / span : undefined,
      sloMs: o.slo.latencyMs,
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

  let sinceStart = 0;
  return {
    plans,
    startRun() {
      // The warm-up's back-to-back requests say nothing about the camera's rate.
      arrivals.length = 0;
      sinceStart = 0;
      // Plan changes are reported from the run's first frame.
      plans.length = 0;
      current = undefined;
    },
    async infer(pixels, startMs) {
      arrivals.push(startMs);
      if (sinceStart % REPLAN_EVERY === 0 || sinceStart === RATE_SAMPLES) replan(sinceStart);
      sinceStart++;
      const plan = current!.plan;
      if (plan === 'local-full') {
        const r = await local.run(pixels);
        return {
          label: r.label,
          source: 'local',
          degraded: false,
          deviceMs: r.ms,
          models: [teacherKey],
          codecMs: 0,
          bytesUp: 0,
          bytesDown: 0,
          sentMs: null,
          plan,
        };
      }
      if (plan === 'input-offload') {
        inputClient ??= createOffloadClient(offloadOptions(o.inputTarget));
        const sent = performance.now();
        try {
          const r = await inputClient.infer(pixels, o.timeoutMs);
          const rtt = performance.now() - sent;
          inputRttMs = inputRttMs === undefined ? rtt : 0.875 * inputRttMs + 0.125 * rtt;
          input.up = r.wireBytes;
          input.down = r.responseBytes;
          return {
            label: r.result.label,
            source: 'cloud',
            degraded: false,
            deviceMs: 0,
            models: [],
            codecMs: 0,
            bytesUp: r.wireBytes,
            bytesDown: r.responseBytes,
            sentMs: sent - o.runStart(),
            plan,
          };
        } catch {
          // The cloud could not answer: the teacher answers here.
          const l = await local.run(pixels);
          return {
            label: l.label,
            source: 'local',
            degraded: false,
            deviceMs: l.ms,
            models: [teacherKey],
            codecMs: 0,
            bytesUp: input.up,
            bytesDown: 0,
            sentMs: sent - o.runStart(),
            plan,
          };
        }
      }
      if (usesDual(plan) !== dualOn) {
        dualOn = usesDual(plan);
        agent.reconfigure({ stages: { dual: dualOn } });
      }
      const a = await agent.infer(
        { kind: 'pixels', data: pixels },
        { mode: offloads(plan) ? 'cascade' : 'edge-only' },
      );
      const sure = a.gate.score >= a.gate.threshold && (a.source === 'exit' || a.source === 'dual');
      const dualRuns = a.timings.dualRuns ?? 0;
      coverage.observe({
        exitPass: sure && a.source === 'exit',
        dualRan: dualRuns > 0,
        dualPass: sure && a.source === 'dual',
        bRan: dualRuns === 2,
      });
      if (a.bytesSent.wire > 0) {
        offloadsSeen++;
        const w = offloadsSeen === 1 ? 1 : 0.1;
        bytesUp = (1 - w) * bytesUp + w * a.bytesSent.wire;
        bytesDown = (1 - w) * bytesDown + w * (a.bytesReceived ?? bytesDown);
      }
      const out = { ...agentOutcome(name, a, startMs, o.runStart()), plan };
      // Unsure on the device and not answered by the cloud (local plan, or the link could not
      // make the goal): the teacher answers here.
      if (!sure && (a.source !== 'cloud' || a.degraded)) {
        const r = await local.run(pixels);
        return {
          ...out,
          label: r.label,
          source: 'local',
          degraded: false,
          deviceMs: out.deviceMs + r.ms,
          models: [...out.models, teacherKey],
        };
      }
      return out;
    },
    async close() {
      inputClient?.close();
      await agent.close();
      await local.close();
    },
  };
}
