// From one camera run's records to one regime's figures for one device:
//  - latency (measured here over the emulated link, device compute scaled): each request's
//    capture-to-answer time, with its on-device work taken out and put back at device speed;
//  - compute energy (estimated): the models and codecs (feature encoder, WebP) that ran, at their
//    batch-1 times measured here, × speed factor × the profile's busy power;
//  - radio energy (modeled): the link's radio model over the offloads as they left, charged the
//    bytes at the socket (the message counted on the wire, plus its HTTP/2 DATA frame header and
//    one segment's IP+TCP headers: socketBytesOf) and transfer times at the link's rate. The run is charged as one
//    period of a camera that keeps going: three copies of its transfers go through the model and
//    the middle one is charged, so the first transfer pays a promotion only if the radio had
//    time to demote since the previous period's last one, and the last tail ends at the next.
import { socketBytesOf } from '@cleave/edge-agent';
import { createRadioEnergyModel } from '@cleave/telemetry';
import type { ModelCosts } from './compute-costs.js';
import { onDeviceMj, onDeviceMs } from './device-model.js';
import type { LinkProfile } from './link-profiles.js';
import { percentile } from './percentile.js';
import type { CameraRun, RequestRecord } from './records.js';

export const CDF_POINTS = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 100];

export interface RunFigures {
  requests: number;
  accuracy: number;
  latencyMs: { mean: number; p50: number; p95: number; p99: number; max: number };
  /** Latency (ms) at each of CDF_POINTS percent. */
  cdf: number[];
  energyMj: { compute: number; radio: number; total: number };
  bytesUpPerInference: number;
  bytesDownPerInference: number;
  offloadShare: number;
  degraded: number;
  sources: Record<string, number>;
  /** Policy runs: the share of requests answered under each plan. */
  plans?: Record<string, number>;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The request's device work as charged: its models and codec runs at their timed cost, ms here. */
export function chargedMs(r: RequestRecord, costs: ModelCosts): number {
  let hereMs = 0;
  for (const key of r.models) {
    const ms = costs[key];
    if (ms === undefined) throw new Error(`no measured cost for ${key}`);
    hereMs += ms;
  }
  return hereMs;
}

export const computeMj = (r: RequestRecord, device: string, costs: ModelCosts) =>
  onDeviceMj(device, chargedMs(r, costs));

/**
 * Latency on the device: as measured here, with the request's own device work (as measured in
 * it) replaced by that work on the device (charged time × speed factor). A hiccup of this shared
 * machine stays in the figure once; it is not multiplied by the speed factor.
 */
export const deviceLatencyMs = (r: RequestRecord, device: string, costs: ModelCosts) =>
  Math.max(0, r.latencyMs - r.deviceMs) + onDeviceMs(device, chargedMs(r, costs));

/** Radio energy of the run's offloads per request, mJ, in the periodic steady state. */
export function radioMjPerRequest(
  requests: readonly RequestRecord[],
  link: LinkProfile,
  periodMs: number,
): number {
  const sent = requests.filter((r) => r.sentMs !== null).sort((a, b) => a.sentMs! - b.sentMs!);
  if (sent.length === 0 || requests.length === 0) return 0;
  let joules = 0;
  let settled = 0;
  const model = createRadioEnergyModel(link.radio, {
    onSettled: (e) => {
      if (settled >= sent.length && settled < 2 * sent.length) joules += e.joules;
      settled++;
    },
  });
  for (let copy = 0; copy < 3; copy++) {
    for (const r of sent) {
      model.transfer({
        bytesUp: r.bytesUp > 0 ? socketBytesOf(r.bytesUp) : 0,
        bytesDown: r.bytesDown > 0 ? socketBytesOf(r.bytesDown) : 0,
        uplinkMbps: link.rateMbit,
        downlinkMbps: link.rateMbit,
        startMs: copy * periodMs + r.sentMs!,
      });
    }
  }
  model.settle();
  return (joules * 1000) / requests.length;
}

export function runFigures(run: CameraRun, device: string, link: LinkProfile, costs: ModelCosts): RunFigures {
  const rs = run.requests;
  const latencies = rs.map((r) => deviceLatencyMs(r, device, costs)).sort((a, b) => a - b);
  const compute = mean(rs.map((r) => computeMj(r, device, costs)));
  const radio = radioMjPerRequest(rs, link, (rs.length * 1000) / run.fps);
  const sources: Record<string, number> = {};
  for (const r of rs) sources[r.source] = (sources[r.source] ?? 0) + 1;
  let plans: Record<string, number> | undefined;
  if (rs.some((r) => r.plan)) {
    const counts: Record<string, number> = {};
    for (const r of rs) if (r.plan) counts[r.plan] = (counts[r.plan] ?? 0) + 1;
    plans = Object.fromEntries(Object.entries(counts).map(([p, n]) => [p, n / rs.length]));
  }
  return {
    requests: rs.length,
    accuracy: rs.filter((r) => r.label === r.truth).length / Math.max(1, rs.length),
    latencyMs: {
      mean: mean(latencies),
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
    },
    cdf: CDF_POINTS.map((p) => percentile(latencies, p)),
    energyMj: { compute, radio, total: compute + radio },
    bytesUpPerInference: mean(rs.map((r) => r.bytesUp)),
    bytesDownPerInference: mean(rs.map((r) => r.bytesDown)),
    offloadShare: rs.filter((r) => r.sentMs !== null).length / Math.max(1, rs.length),
    degraded: rs.filter((r) => r.degraded).length,
    sources,
    ...(plans ? { plans } : {}),
  };
}
