// The demo's report: where answers came from, accuracy, bytes on the wire, latency, throughput.

import { percentile } from '@cleave/bench';
import {
  type Agent,
  ANSWER_SOURCES,
  type Answer,
  type AnswerSource,
  type CacheStats,
} from '@cleave/edge-agent';
import type { DirectionCounts, SocketCounts } from '@cleave/wire';
import type { EnergyReport } from './energy-report.js';

export interface DemoReport {
  bundle: { name: string; version: string };
  samples: number;
  accuracy: number;
  mode: string;
  stages: { cache: boolean; exit: boolean; dual: boolean };
  duplicate: number;
  /** The same pipeline's accuracy as the training recipe measured it (null: no such figure). */
  manifestAccuracy: number | null;
  /** Which manifest figure that is (metrics.accuracy key). */
  manifestAccuracyKey: string | null;
  teacherAccuracy: number;
  answeredBy: Record<AnswerSource, number>;
  accuracyBySource: Record<AnswerSource, number | null>;
  degraded: number;
  bytesPerOffload: { mean: number; p50: number; p95: number; max: number };
  wireBytesPerOffload: { mean: number };
  /** Serialized answer bytes received per offload, with the gRPC prefix. */
  responseBytesPerOffload: { mean: number };
  /**
   * At the socket, per offload (per request message the proxy saw go up), each direction: gRPC
   * messages, HTTP/2's own bytes, TCP payload, segments, and bytes with 40 B IP+TCP per segment.
   */
  socketPerOffload: { offloads: number; up: SocketDirection; down: SocketDirection } | null;
  totalFrameBytes: number;
  rawInputBytes: number;
  latencyMs: { mean: number; p50: number; p95: number; p99: number };
  throughputPerSec: number;
  wallSeconds: number;
  concurrency: number;
  cache: CacheStats | null;
  /** Energy per inference: local-only, full offload and split, each with its method. */
  energy: EnergyReport | null;
}

export interface SocketDirection {
  message: number;
  http2: number;
  tcp: number;
  segments: number | null;
  withIpTcp: number | null;
}

function socketPerOffload(s: SocketCounts | null): DemoReport['socketPerOffload'] {
  const n = s?.up.messages ?? 0;
  if (!s || n === 0) return null;
  const per = (x: number | null) => (x === null ? null : x / n);
  const dir = (d: DirectionCounts): SocketDirection => ({
    message: d.messageBytes / n,
    http2: d.http2Bytes / n,
    tcp: d.bytes / n,
    segments: per(d.segments),
    withIpTcp: per(d.ipBytes),
  });
  return { offloads: n, up: dir(s.up), down: dir(s.down) };
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The manifest figure that describes the agent's pipeline, if the recipe measured one. */
function manifestKey(agent: Agent): string | null {
  const { mode, stages } = agent.options;
  if (mode === 'cloud-only') return 'split';
  if (mode === 'edge-only' || !stages.exit) return null;
  return agent.dual ? 'cascade' : 'exit-cascade';
}

export function buildReport(
  agent: Agent,
  answers: readonly Answer[],
  labels: Uint8Array,
  run: {
    wallSeconds: number;
    concurrency: number;
    duplicate: number;
    energy: EnergyReport | null;
    socket: SocketCounts | null;
  },
): DemoReport {
  const manifest = agent.bundle.manifest;
  const { wallSeconds, concurrency, duplicate } = run;
  const counts = Object.fromEntries(ANSWER_SOURCES.map((s) => [s, 0])) as Record<AnswerSource, number>;
  const correctBy = Object.fromEntries(ANSWER_SOURCES.map((s) => [s, 0])) as Record<AnswerSource, number>;
  let correct = 0;
  let degraded = 0;
  const frames: number[] = [];
  const wires: number[] = [];
  const responses: number[] = [];
  const latencies: number[] = [];
  answers.forEach((a, i) => {
    counts[a.source]++;
    if (a.label === labels[i]) {
      correct++;
      correctBy[a.source]++;
    }
    if (a.degraded) degraded++;
    if (a.bytesSent.frame > 0) {
      frames.push(a.bytesSent.frame);
      wires.push(a.bytesSent.wire);
      if (a.bytesReceived) responses.push(a.bytesReceived);
    }
    latencies.push(a.timings.totalMs);
  });
  frames.sort((x, y) => x - y);
  latencies.sort((x, y) => x - y);
  const acc = manifest.metrics.accuracy as Record<string, number | undefined>;
  const key = manifestKey(agent);
  const { width, height, channels } = manifest.input.source;
  return {
    bundle: { name: manifest.name, version: manifest.version },
    samples: answers.length,
    accuracy: answers.length ? correct / answers.length : 0,
    mode: agent.options.mode,
    stages: agent.options.stages,
    duplicate,
    manifestAccuracy: key === null ? null : (acc[key] ?? null),
    manifestAccuracyKey: key,
    teacherAccuracy: manifest.metrics.teacherAccuracy,
    answeredBy: counts,
    accuracyBySource: Object.fromEntries(
      ANSWER_SOURCES.map((s) => [s, counts[s] ? correctBy[s] / counts[s] : null]),
    ) as Record<AnswerSource, number | null>,
    degraded,
    bytesPerOffload: {
      mean: mean(frames),
      p50: percentile(frames, 50),
      p95: percentile(frames, 95),
      max: frames.at(-1) ?? 0,
    },
    wireBytesPerOffload: { mean: mean(wires) },
    responseBytesPerOffload: { mean: mean(responses) },
    socketPerOffload: socketPerOffload(run.socket),
    totalFrameBytes: frames.reduce((a, b) => a + b, 0),
    rawInputBytes: width * height * channels,
    latencyMs: {
      mean: mean(latencies),
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
    throughputPerSec: answers.length / wallSeconds,
    wallSeconds,
    concurrency,
    cache: agent.stats().cache,
    energy: run.energy,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function formatReport(r: DemoReport): string {
  const lines: string[] = [];
  const stages = Object.entries(r.stages)
    .filter(([, on]) => on)
    .map(([name]) => name)
    .join('+');
  const dup = r.duplicate > 1 ? ` (each image ×${r.duplicate}, shuffled)` : '';
  lines.push(
    `Cleave demo: ${r.bundle.name}@${r.bundle.version}, ${r.samples} requests${dup}, mode ${r.mode} (${stages}), concurrency ${r.concurrency}`,
  );
  lines.push('');
  lines.push('  answered by      count    share   accuracy');
  for (const s of ANSWER_SOURCES) {
    const n = r.answeredBy[s];
    const a = r.accuracyBySource[s];
    lines.push(
      `  ${s.padEnd(12)} ${String(n).padStart(8)} ${pct(n / Math.max(1, r.samples)).padStart(8)} ${(a === null ? '-' : pct(a)).padStart(10)}`,
    );
  }
  lines.push('');
  const delta =
    r.manifestAccuracy === null
      ? ''
      : ` (manifest ${pct(r.manifestAccuracy)}, Δ ${((r.accuracy - r.manifestAccuracy) * 100).toFixed(2)} pt)`;
  lines.push(`  accuracy         ${pct(r.accuracy)}${delta}`);
  lines.push(`  teacher          ${pct(r.teacherAccuracy)}`);
  lines.push(`  degraded         ${r.degraded}`);
  if (r.cache) {
    lines.push(
      `  cache            ${r.cache.hits} hits, ${r.cache.misses} misses, ${r.cache.evictions} evictions, ${r.cache.entries} entries`,
    );
  }
  lines.push(
    `  bytes/offload    ${r.bytesPerOffload.mean.toFixed(1)} B frame (p95 ${r.bytesPerOffload.p95}), ${r.wireBytesPerOffload.mean.toFixed(1)} B gRPC message up, ${r.responseBytesPerOffload.mean.toFixed(1)} B down; raw input ${r.rawInputBytes} B`,
  );
  const sp = r.socketPerOffload;
  if (sp) {
    const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(1));
    const side = (d: SocketDirection) =>
      `${d.message.toFixed(1)} B message, ${d.tcp.toFixed(1)} B TCP (${d.http2.toFixed(1)} HTTP/2), ${f(d.segments)} segments, ${f(d.withIpTcp)} B with IP+TCP`;
    lines.push(`  socket/offload   up ${side(sp.up)}`);
    lines.push(
      `                   down ${side(sp.down)}   (${sp.offloads} offloads through the counting proxy)`,
    );
  }
  lines.push(
    `  latency          p50 ${r.latencyMs.p50.toFixed(2)} ms  p95 ${r.latencyMs.p95.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms`,
  );
  lines.push(`  throughput       ${r.throughputPerSec.toFixed(0)} images/s (${r.wallSeconds.toFixed(1)} s)`);
  lines.push(...formatEnergy(r.energy));
  return `${lines.join('\n')}\n`;
}

function formatEnergy(e: EnergyReport | null): string[] {
  if (!e) return ['  energy           not reported (the bundle has no full.onnx to compare with)'];
  const mj = (x: number) => `${x.toFixed(2)} mJ`;
  const lines = [
    `  energy / inference on ${e.device} over ${e.link}    compute         radio           total`,
  ];
  for (const [name, s] of Object.entries(e.strategies)) {
    lines.push(
      `    ${name.padEnd(14)} ${`${mj(s.computeMj)} (${s.computeMethod})`.padEnd(24)} ${`${mj(s.radioMj)} (${s.radioMethod})`.padEnd(24)} ${mj(s.totalMj)}`,
    );
  }
  if (e.agent) {
    lines.push(
      `    agent meter    ${mj(e.agent.computeMj)} compute (${e.agent.computeMethod}, ${e.agent.meter}), ${mj(e.agent.radioMj)} radio charged by the agent`,
    );
  }
  return lines;
}
