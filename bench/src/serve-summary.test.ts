import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServedRun } from './serve-load.js';
import type { RawRun } from './serve-raw.js';
import { combineRawRuns, efficiencyOf, type ServeRep, summarizeServed } from './serve-summary.js';

const raw = (rate: number, cpuUs: number): RawRun => ({
  batch: 32,
  seconds: 1,
  inferences: rate,
  throughputPerSec: rate,
  cpuUsPerInference: cpuUs,
});
const served = (rate: number, server: number | null, main: number | null = null): ServedRun => ({
  agents: 1,
  inFlightPerAgent: 1,
  seconds: 1,
  answered: rate,
  errors: 0,
  throughputPerSec: rate,
  latencyMs: { p50: 1, p99: 2 },
  meanBatchSize: 32,
  perMessage: { requests: 1, answers: 1 },
  cpuUsPerRequest: { agents: 10, server, serverMainThread: main },
  systemCpuUsPerRequest: { server: server === null ? null : server / 4, serverMainThread: null },
});
const rep = (
  rawRate: number,
  rawUs: number,
  rate: number,
  serverUs: number | null,
  transportUs?: number,
): ServeRep => ({
  raw: { batch32: raw(rawRate, rawUs), batch1: raw(rawRate / 2, rawUs * 2) },
  batching: served(rate, serverUs),
  noBatching: served(rate / 2, serverUs === null ? null : serverUs * 2),
  ...(transportUs === undefined ? {} : { transport: served(rate * 5, transportUs) }),
});

test('efficiencyOf - the overhead is taken within each repetition, then its median', () => {
  // Raw and served drift together: per rep the server costs 20, 30, 40 µs over raw, median 30.
  // Subtracting the medians instead would give 320 - 300 = 20.
  const e = efficiencyOf([rep(1000, 300, 900, 320), rep(1000, 400, 900, 430), rep(1000, 200, 900, 240)]);
  assert.deepEqual(e.serverCpuOverRawUs, { median: 30, min: 20, max: 40 });
  assert.deepEqual(e.servedOverRaw, { median: 0.9, min: 0.9, max: 0.9 });
  assert.deepEqual(e.batchingSpeedup, { median: 2, min: 2, max: 2 });
});

test('efficiencyOf - the transport alone is taken off too, within each repetition', () => {
  // Over raw 20, 30, 40 µs; the echo server costs 15, 10, 30: Cleave's own 5, 20, 10, median 10.
  const e = efficiencyOf([
    rep(1000, 300, 900, 320, 15),
    rep(1000, 400, 900, 430, 10),
    rep(1000, 200, 900, 240, 30),
  ]);
  assert.deepEqual(e.serverCpuOverRawAndTransportUs, { median: 10, min: 5, max: 20 });
  // A run without the echo measurement has no such figure.
  assert.equal(efficiencyOf([rep(1000, 300, 900, 320)]).serverCpuOverRawAndTransportUs, null);
});

test('efficiencyOf - no server accounting in any rep gives no overhead figure, not a wrong one', () => {
  assert.equal(efficiencyOf([rep(1000, 300, 900, null), rep(1000, 300, 900, 320)]).serverCpuOverRawUs, null);
});

test('summarizeServed - rates per server core, errors and answers summed over the reps', () => {
  const s = summarizeServed([served(1000, 300, 100), { ...served(3000, 500, 120), errors: 2 }], 2);
  assert.deepEqual(s.throughputPerServerCorePerSec, { median: 1000, min: 500, max: 1500 });
  assert.deepEqual(s.serverMainThreadCpuUsPerRequest, { median: 110, min: 100, max: 120 });
  assert.deepEqual(s.serverSystemCpuUsPerRequest, { median: 100, min: 75, max: 125 });
  assert.equal(s.serverMainThreadSystemCpuUsPerRequest, null);
  assert.equal(s.answered, 4000);
  assert.equal(s.errors, 2);
});

test('combineRawRuns - the raw tail before and after the servers: inferences and CPU time summed', () => {
  const before: RawRun = {
    batch: 32,
    seconds: 5,
    inferences: 12_000,
    throughputPerSec: 2400,
    cpuUsPerInference: 400,
  };
  const after: RawRun = {
    batch: 32,
    seconds: 5,
    inferences: 10_000,
    throughputPerSec: 2000,
    cpuUsPerInference: 480,
  };
  const both = combineRawRuns(before, after);
  assert.equal(both.inferences, 22_000);
  assert.equal(both.seconds, 10);
  assert.equal(both.throughputPerSec, 2200);
  // (12,000 × 400 + 10,000 × 480) / 22,000 µs: weighted by inferences, not the mean of 400 and 480.
  assert.ok(Math.abs(both.cpuUsPerInference - 9_600_000 / 22_000) < 1e-9);
});
