// Cleave's adaptive policy, the running half: an agent on the SLO's bundle with the latency goal
// as its per-request budget, plus the teacher on the device for inputs the gates are unsure of
// when the radio costs more than computing (or the link cannot meet the goal). It re-plans every
// few frames from what it observes: the camera's rate, the gates' shares, the link's round trip
// (the agent's own estimator) and the mean bytes per offload. It is told only the SLO, the board
// it runs on and its radio type; it measures the rest.
import {
  compactRequestWireBytes,
  createAdaptivePlanner,
  createAgent,
  createOffloadClient,
  type OffloadClient,
  offloads,
  type Plan,
  type PlanChange,
  usesDual,
} from '@cleave/edge-agent';
import type { Bundle } from '@cleave/models';
import { costKey, type ModelCosts } from './compute-costs.js';
import { onDeviceMj, onDeviceMs } from './device-model.js';
import {
  agentOutcome,
  createLocalFull,
  type Executor,
  fullModelName,
  localOutcome,
  offloadOptions,
} from './executors.js';
import type { Slo } from './records.js';

export interface PolicyExecutor extends Executor {
  plans: PlanChange[];
}

export async function createPolicyExecutor(o: {
  bundleDir: string;
  teacher: Bundle;
  target: string;
  /** The cloud server's full model, for raw-input offloads. */
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
  const stages = {
    head: here(costKey(name, 'head')),
    dualA: here(costKey(name, 'dual-a')),
    dualB: here(costKey(name, 'dual-b')),
    full: here(teacherKey),
    encode: here(costKey(name, 'encode')),
  };
  const onDevice = (f: (device: string, hereMs: number) => number) => ({
    head: f(o.device, stages.head),
    dualA: f(o.device, stages.dualA),
    dualB: f(o.device, stages.dualB),
    full: f(o.device, stages.full),
    encode: f(o.device, stages.encode),
  });
  const { width, height, channels } = m.input.source;
  // Serialized bytes of a raw-input offload: estimated until one is answered.
  let inputBytesUp = compactRequestWireBytes({ id: 1, frameBytes: width * height * channels });
  const planner = createAdaptivePlanner({
    metrics: m.metrics as { exitCoverage: number; dualCoverage?: number; meanFrameBytes: number },
    mj: onDevice(onDeviceMj),
    ms: onDevice(onDeviceMs),
    radio: o.radio,
    sloMs: o.slo.latencyMs,
    inputBytes: { up: inputBytesUp, down: 60 },
    link: () => agent.stats().policy.link,
    ...(o.fixedPlan ? { fixedPlan: o.fixedPlan } : {}),
  });
  // Raw-input offloads have their own client.
  let inputClient: OffloadClient | undefined;
  let dualOn = true;

  return {
    plans: planner.plans,
    startRun: () => planner.startRun(),
    async infer(pixels, startMs) {
      const plan = planner.next(startMs);
      if (plan === 'local-full') {
        return { ...localOutcome(await local.run(pixels), teacherKey), plan };
      }
      if (plan === 'input-offload') {
        inputClient ??= createOffloadClient(offloadOptions(o.inputTarget, fullModelName(o.teacher)));
        const sent = performance.now();
        try {
          const r = await inputClient.infer(pixels, o.timeoutMs);
          planner.observeInputOffload(performance.now() - sent, r.wireBytes, r.responseBytes);
          inputBytesUp = r.wireBytes;
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
            bytesUp: inputBytesUp,
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
      planner.observeGates({
        exitPass: sure && a.source === 'exit',
        dualRan: dualRuns > 0,
        dualPass: sure && a.source === 'dual',
        bRan: dualRuns === 2,
      });
      if (a.bytesSent.wire > 0) planner.observeOffload(a.bytesSent.wire, a.bytesReceived);
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
