// Energy per inference for the demo, three ways on the same images: local-only (full.onnx on the
// device), full offload (the raw image over the radio, the teacher in the cloud) and split (what
// the agent just did). Every figure names its method:
//  - compute, `estimated`: the device profile's power with one of its four cores busy,
//    P = P_idle + (P_max − P_idle) / 4, times the on-device compute time measured here scaled by
//    the profile's speed factor (docs/energy.md);
//  - radio, `modeled`: the link's power model (promotion, transfer, tail; Huang et al. 2012) over
//    transfers spaced as this run's requests were, for the bytes each strategy sends and receives.
// The agent's own per-inference figures (meter on this machine) are reported beside them.
import {
  type Agent,
  type Answer,
  compactRequestWireBytes,
  NOMINAL_LINK_MBPS,
  socketBytesOf,
} from '@cleave/edge-agent';
import { type Bundle, bundleSessionModels, createSessionPool, type FileRole } from '@cleave/models';
import { createRadioEnergyModel, DEVICE_PROFILES, type DeviceProfileName } from '@cleave/telemetry';

export interface StrategyEnergy {
  computeMj: number;
  radioMj: number;
  totalMj: number;
  computeMethod: 'estimated' | 'none';
  radioMethod: 'modeled' | 'none';
  /** Bytes sent per inference (mean), counted as the wire carries them. */
  bytesUp: number;
}

export interface EnergyReport {
  device: DeviceProfileName;
  link: string;
  speedFactor: number;
  /** Per-image time of each model here (ms, batch 1, median), before the speed factor. */
  modelMs: Record<string, number>;
  /** Requests per second the radio model spaces transfers at (this run's rate). */
  arrivalsPerSec: number;
  strategies: { 'local-only': StrategyEnergy; 'full-offload': StrategyEnergy; split: StrategyEnergy };
  /** What the agent itself charged per inference with its meter (mean). */
  agent: { computeMj: number; radioMj: number; computeMethod: string; meter: string } | null;
  notes: string[];
}

const SAMPLE = 200;

/**
 * Wall time of one inference of each role at batch 1 on one idle worker, ms: the device's compute
 * alone, without the queueing a loaded run adds to the answers' own timings. The roles run in
 * turn on each image (not one role after another), and the median is taken, so a burst of load
 * from elsewhere on this machine lands on every role alike instead of inflating one of them.
 */
async function modelMs(
  bundle: Bundle,
  roles: FileRole[],
  images: Float32Array[],
): Promise<Record<string, number>> {
  const present = roles.filter((r) => bundle.files[r]);
  const pool = createSessionPool({ models: bundleSessionModels(bundle, { roles: present }), workers: 1 });
  try {
    await pool.ready;
    const dims = [1, ...bundle.manifest.input.shape];
    const run = (role: FileRole, x: Float32Array) =>
      pool.run(role, { [bundle.files[role]!.spec.inputs[0]!.name]: { data: x, dims } });
    for (const x of images.slice(0, 10)) for (const role of present) await run(role, x);
    const times: Record<string, number[]> = Object.fromEntries(present.map((r) => [r, []]));
    for (const x of images) {
      for (const role of present) {
        const t = performance.now();
        await run(role, x);
        times[role]!.push(performance.now() - t);
      }
    }
    return Object.fromEntries(Object.entries(times).map(([role, ms]) => [role, median(ms)]));
  } finally {
    await pool.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Radio energy per inference (mJ) for transfers of these sizes, spaced `gapMs` apart. */
function radioPerInference(
  link: string,
  transfers: readonly { up: number; down: number }[],
  count: number,
  gapMs: number,
): number {
  if (transfers.length === 0) return 0;
  const rates = NOMINAL_LINK_MBPS[link] ?? { up: 10, down: 10 };
  let joules = 0;
  const model = createRadioEnergyModel(link, { onSettled: (e) => (joules += e.joules) });
  // Offloads spread over the run as they happened: every (count / transfers)-th request.
  const every = count / transfers.length;
  for (const [i, t] of transfers.entries()) {
    model.transfer({
      bytesUp: t.up,
      bytesDown: t.down,
      uplinkMbps: rates.up,
      downlinkMbps: rates.down,
      startMs: i * every * gapMs,
    });
  }

  model.settle();
  return (joules * 1000) / count;
}

export async function buildEnergyReport(
  agent: Agent,
  bundle: Bundle,
  answers: readonly Answer[],
  run: { device: DeviceProfileName; link: string; wallSeconds: number; images: Float32Array[] },
): Promise<EnergyReport> {
  const profile = DEVICE_PROFILES[run.device];
  const busyWatts = profile.idleWatts + (profile.maxWatts - profile.idleWatts) / 4;
  const computeMj = (hereMs: number) => hereMs * profile.speedFactor * busyWatts; // W × ms = mJ
  const n = answers.length;
  const gapMs = (run.wallSeconds * 1000) / n;
  const responseBytes = answers.find((a) => a.bytesReceived)?.bytesReceived ?? 0;
  const strategy = (c: number, r: number, bytesUp: number, sends: boolean): StrategyEnergy => ({
    computeMj: c,
    radioMj: r,
    totalMj: c + r,
    computeMethod: c > 0 ? 'estimated' : 'none',
    radioMethod: sends ? 'modeled' : 'none',
    bytesUp,
  });

  const t = await modelMs(bundle, ['full', 'head', 'dual-a', 'dual-b'], run.images.slice(0, SAMPLE));
  const fullMs = t.full!;
  const local = strategy(computeMj(fullMs), 0, 0, false);

  // Full offload: the raw pixels in a compact InferRequest each time (the radio charged its
  // socket bytes, as every offload).
  const pixels = bundle.manifest.input.shape.reduce((a, b) => a * b, 1);
  const rawUp = compactRequestWireBytes({ id: n, frameBytes: pixels });
  const offloadAll = Array.from({ length: n }, () => ({
    up: socketBytesOf(rawUp),
    down: socketBytesOf(responseBytes),
  }));
  const full = strategy(0, radioPerInference(run.link, offloadAll, n, gapMs), rawUp, true);

  // Split: the models each answer ran on the device, and the frames that really went out. Cache
  // hits ran nothing; the codec's encoding is timed on the answer itself.
  const deviceMs = answers.map((a) => {
    if (a.source === 'cache') return 0;
    const dual = a.timings.dualRuns ?? 0;
    return (
      t.head! +
      (dual >= 1 ? (t['dual-a'] ?? 0) : 0) +
      (dual >= 2 ? (t['dual-b'] ?? 0) : 0) +
      (a.timings.encodeMs ?? 0)
    );
  });
  const sent = answers.filter((a) => a.bytesSent.wire > 0);
  const split = strategy(
    computeMj(deviceMs.reduce((a, b) => a + b, 0) / n),
    radioPerInference(
      run.link,
      sent.map((a) => ({
        up: a.bytesSent.socket ?? a.bytesSent.wire,
        down: a.socketBytesReceived ?? a.bytesReceived ?? 0,
      })),
      n,
      gapMs,
    ),
    sent.reduce((s, a) => s + a.bytesSent.wire, 0) / n,
    sent.length > 0,
  );

  const charged = answers.filter((a) => a.energy);
  const stats = agent.stats().energy;
  return {
    device: run.device,
    link: run.link,
    speedFactor: profile.speedFactor,
    modelMs: t,
    arrivalsPerSec: n / run.wallSeconds,
    strategies: { 'local-only': local, 'full-offload': full, split },
    agent:
      charged.length && stats
        ? {
            computeMj: charged.reduce((s, a) => s + a.energy!.computeMj, 0) / charged.length,
            radioMj: stats.radioMj / charged.length,
            computeMethod: charged[0]!.energy!.computeMethod,
            meter: charged[0]!.energy!.meter,
          }
        : null,
    notes: [
      `compute (estimated): ${run.device} profile, ${busyWatts.toFixed(2)} W with one of four cores busy, times the time measured here × ${profile.speedFactor} (speed factor, an estimate)`,
      `per image here at batch 1 on an idle worker, roles in turn (median of ${Math.min(SAMPLE, run.images.length)}): ${Object.entries(
        t,
      )
        .map(([k, v]) => `${k} ${v.toFixed(3)} ms`)
        .join(', ')}`,
      `radio (modeled): ${run.link} power model, nominal ${JSON.stringify(NOMINAL_LINK_MBPS[run.link] ?? {})} Mbit/s, transfers spaced as this run's ${(n / run.wallSeconds).toFixed(0)} requests/s`,
      'full offload sends the raw 8-bit pixels; image capture and the cloud side are not charged to the device',
      "agent meter: what the agent charged with its own meter; in the demo the tail server shares the agent's process, so a process-utilisation meter also counts the cloud's work",
    ],
  };
}
