// The figures of `cleave bench serve` from its repetitions: each figure's median and spread, and
// the efficiency figures, computed within each repetition (raw and served ran back to back on the
// same cores) before their median is taken.

import { type Spread, spreadOf } from './serve-cpu.js';
import type { ServedRun } from './serve-load.js';
import type { RawRun } from './serve-raw.js';

export interface ServeRep {
  /** Batch 32: before and after the servers, combined (combineRawRuns); batch 1: before. */
  raw: { batch32: RawRun; batch1: RawRun; batch32Before?: RawRun; batch32After?: RawRun };
  batching: ServedRun;
  noBatching: ServedRun;
  /** The same load against the transport alone (echo-server.ts); absent in runs made before it. */
  transport?: ServedRun;
}

export interface ServedSummary {
  throughputPerSec: Spread;
  throughputPerServerCorePerSec: Spread;
  /** The server process's CPU time (all threads, /proc) per answered request. */
  serverCpuUsPerRequest: Spread | null;
  /** Of which the server's main thread (the serving stack without the inference). */
  serverMainThreadCpuUsPerRequest: Spread | null;
  /** The tail workers' threads and the other threads (GC, compiler, libuv), where measured. */
  serverTailWorkersCpuUsPerRequest: Spread | null;
  serverOtherThreadsCpuUsPerRequest: Spread | null;
  /** The kernel's share of the two above (system time). */
  serverSystemCpuUsPerRequest: Spread | null;
  serverMainThreadSystemCpuUsPerRequest: Spread | null;
  agentsCpuUsPerRequest: Spread;
  latencyMs: { p50: Spread; p99: Spread };
  meanBatchSize: Spread | null;
  /** Requests per message the agents wrote and answers per message they read (bundles). */
  perMessage: { requests: Spread; answers: Spread };
  answered: number;
  errors: number;
}

const spreadOrNull = (values: readonly (number | null)[]): Spread | null =>
  values.every((v): v is number => v !== null) ? spreadOf(values) : null;

export function summarizeServed(runs: readonly ServedRun[], serverCores: number): ServedSummary {
  return {
    throughputPerSec: spreadOf(runs.map((r) => r.throughputPerSec)),
    throughputPerServerCorePerSec: spreadOf(runs.map((r) => r.throughputPerSec / serverCores)),
    serverCpuUsPerRequest: spreadOrNull(runs.map((r) => r.cpuUsPerRequest.server)),
    serverMainThreadCpuUsPerRequest: spreadOrNull(runs.map((r) => r.cpuUsPerRequest.serverMainThread)),
    serverTailWorkersCpuUsPerRequest: spreadOrNull(
      runs.map((r) => r.serverThreadsCpuUsPerRequest?.tailWorkers ?? null),
    ),
    serverOtherThreadsCpuUsPerRequest: spreadOrNull(
      runs.map((r) => r.serverThreadsCpuUsPerRequest?.other ?? null),
    ),
    serverSystemCpuUsPerRequest: spreadOrNull(runs.map((r) => r.systemCpuUsPerRequest.server)),
    serverMainThreadSystemCpuUsPerRequest: spreadOrNull(
      runs.map((r) => r.systemCpuUsPerRequest.serverMainThread),
    ),
    agentsCpuUsPerRequest: spreadOf(runs.map((r) => r.cpuUsPerRequest.agents)),
    latencyMs: {
      p50: spreadOf(runs.map((r) => r.latencyMs.p50)),
      p99: spreadOf(runs.map((r) => r.latencyMs.p99)),
    },
    meanBatchSize: spreadOrNull(runs.map((r) => r.meanBatchSize)),
    perMessage: {
      requests: spreadOf(runs.map((r) => r.perMessage.requests)),
      answers: spreadOf(runs.map((r) => r.perMessage.answers)),
    },
    answered: runs.reduce((n, r) => n + r.answered, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

export function summarizeRaw(runs: readonly RawRun[], cores: number) {
  return {
    batch: runs[0]!.batch,
    throughputPerSec: spreadOf(runs.map((r) => r.throughputPerSec)),
    throughputPerCorePerSec: spreadOf(runs.map((r) => r.throughputPerSec / cores)),
    cpuUsPerInference: spreadOf(runs.map((r) => r.cpuUsPerInference)),
  };
}

/**
 * Per repetition, then median and spread: the server's CPU per answered request minus the raw
 * tail's CPU per inference (µs, batching on), that minus the transport's CPU per request (the
 * echo server's, where measured), and the served rate over the raw batch-32 rate on the
 * same cores (so also per server core).
 */
export function efficiencyOf(reps: readonly ServeRep[]) {
  const overhead = reps.map((r) =>
    r.batching.cpuUsPerRequest.server === null
      ? null
      : r.batching.cpuUsPerRequest.server - r.raw.batch32.cpuUsPerInference,
  );
  // What is left once the transport's own cost per request (the echo server's) is taken away too.
  const cleave = reps.map((r, i) => {
    const floor = r.transport?.cpuUsPerRequest.server;
    return overhead[i] == null || floor == null ? null : overhead[i] - floor;
  });
  // The tail workers' own share of the overhead: their threads' CPU per request against raw.
  const workersOverRaw = reps.map((r) => {
    const workers = r.batching.serverThreadsCpuUsPerRequest?.tailWorkers;
    return workers === undefined ? null : workers - r.raw.batch32.cpuUsPerInference;
  });
  return {
    serverCpuOverRawUs: spreadOrNull(overhead),
    serverCpuOverRawAndTransportUs: spreadOrNull(cleave),
    tailWorkersOverRawUs: spreadOrNull(workersOverRaw),
    servedOverRaw: spreadOf(reps.map((r) => r.batching.throughputPerSec / r.raw.batch32.throughputPerSec)),
    batchingSpeedup: spreadOf(reps.map((r) => r.batching.throughputPerSec / r.noBatching.throughputPerSec)),
  };
}

/**
 * Two measurements of the raw tail as one: the inferences and CPU time of both, summed. A
 * repetition measures it before and after the servers, so a drift of this machine's speed while
 * they ran (this VM's raw figure moves by ±5 % between minutes) weighs on both sides alike.
 */
export function combineRawRuns(a: RawRun, b: RawRun): RawRun {
  const seconds = a.seconds + b.seconds;
  const inferences = a.inferences + b.inferences;
  const cpuUs = a.cpuUsPerInference * a.inferences + b.cpuUsPerInference * b.inferences;
  return {
    batch: a.batch,
    seconds,
    inferences,
    throughputPerSec: inferences / seconds,
    cpuUsPerInference: cpuUs / inferences,
  };
}
