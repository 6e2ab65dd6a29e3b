// `cleave bench serve` (npm run bench:serve): `cleave serve` against the raw tail on the same cores.
// The server runs pinned to its cores (taskset) and the load generator (N agents on loopback, each
// keeping K requests in flight, in this process) to the others. Each of --reps repetitions measures
// the server with dynamic batching, with the raw tail on the server's cores (this process moved there
// for the while, intra-op threads = server cores) right before and right after its measured window,
// then the server without batching, then the transport alone (an echo server). The primary figure is
// the server's CPU time per answered request against the raw tail's CPU time per inference, both
// from the OS's accounting (/proc), which other load on the machine disturbs far less than rates.
// With --fc-tail W it measures a bundle made on the spot whose tail is a VGG-style fully connected
// classifier (bench/fc-tail-bundle.ts) instead of a shipped bundle.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBundle } from '@cleave/models';
import type { StartServe } from './children.js';
import { type FcTailBundle, makeFcTailBundle } from './fc-tail-bundle.js';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR, REPO_ROOT } from './paths.js';
import { makeRealFrames } from './real-frames.js';
import { cpuSplit, pinProcess, type Spread } from './serve-cpu.js';
import { startEchoServer } from './serve-echo.js';
import { driveAgents } from './serve-load.js';
import { measureRawTail, RAW_BATCH } from './serve-raw.js';
import {
  combineRawRuns,
  efficiencyOf,
  type ServeRep,
  summarizeRaw,
  summarizeServed,
} from './serve-summary.js';

const OPTIONS = {
  bundle: { type: 'string', default: DEFAULT_BUNDLE },
  models: { type: 'string', default: DEFAULT_MODELS_DIR },
  seconds: { type: 'string', default: '8' },
  /**
   * Load before each measured window, not counted: the server's JIT and queues settle first. A
   * server's CPU per request still falls for about 30 s of load (V8 optimizes the per-batch code
   * late: it runs some 70 times a second), then holds.
   */
  warmup: { type: 'string', default: '30' },
  reps: { type: 'string', default: '5' },
  agents: { type: 'string', default: '64' },
  'in-flight': { type: 'string', default: '32' },
  /** Default: one per server core. */
  workers: { type: 'string' },
  'batches-per-worker': { type: 'string', default: '2' },
  'server-cpus': { type: 'string' },
  'load-cpus': { type: 'string' },
  'no-pin': { type: 'boolean', default: false },
  /** The agents send one request per message (no bundles, docs/wire-format.md). */
  'no-bundle': { type: 'boolean', default: false },
  /** Also run the batching-on server once more, not counted, under node --cpu-prof (sampled every 100 µs) into DIR. */
  'server-profile': { type: 'string' },
  /** Node's own flags for the server process, space-separated (e.g. "--max-semi-space-size=64"). */
  'server-node-options': { type: 'string' },
  /** What else ran on the machine, recorded in the JSON. */
  note: { type: 'string' },
  'fc-tail': { type: 'string' },
  json: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** `cleave bench serve`; `startServe` starts `cleave serve` (the CLI's own process). */
export async function benchServe(argv: string[], startServe: StartServe): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  const command = `cleave bench serve ${argv.join(' ')}`.trim();
  if (values['fc-tail'] === undefined) return measure(values, command, undefined, startServe);
  const width = Number(values['fc-tail']);
  if (!Number.isInteger(width) || width < 16) throw new Error('--fc-tail needs a width (an integer >= 16)');
  const dir = mkdtempSync(join(tmpdir(), 'cleave-fc-tail-'));
  try {
    process.stderr.write(`making a bundle with a ${width}-wide fully connected tail in ${dir}\n`);
    const fc = await makeFcTailBundle(dir, width);
    return await measure({ ...values, models: dir, bundle: fc.name }, command, fc, startServe);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} needs a positive integer, not "${value}"`);
  return n;
}

async function measure(
  values: Values,
  command: string,
  fc: FcTailBundle | undefined,
  startServe: StartServe,
): Promise<number> {
  const seconds = Number(values.seconds);
  const warmupSeconds = Number(values.warmup);
  if (!(warmupSeconds >= 0)) throw new Error(`--warmup needs seconds (>= 0), not "${values.warmup}"`);
  const reps = positiveInt('reps', values.reps);
  const agents = positiveInt('agents', values.agents);
  const inFlight = positiveInt('in-flight', values['in-flight']);
  const batchesPerWorker = positiveInt('batches-per-worker', values['batches-per-worker']);
  const cpuCount = cpus().length;
  const all = Array.from({ length: cpuCount }, (_, i) => i);
  const pinned = !values['no-pin'];
  const { serverCpus, loadCpus } = pinned
    ? cpuSplit(cpuCount, values['server-cpus'], values['load-cpus'])
    : { serverCpus: all, loadCpus: all };
  const serverCores = serverCpus.length;
  const workers = values.workers === undefined ? serverCores : positiveInt('workers', values.workers);
  const bundle = await loadBundle(join(values.models, values.bundle));
  const m = bundle.manifest;
  const { codec, frames } = await makeRealFrames(bundle, 1024);

  /** Around the measured window of a server: after its warm-up, and after the window. */
  interface Around {
    afterWarmup?: () => Promise<void>;
    afterMeasure?: () => Promise<void>;
  }
  /**
   * The load against a server on `port` (process `pid`, `tailWorkers` of whose threads run the
   * tail), the same for every server measured.
   */
  const load = (
    port: number,
    pid: number | undefined,
    tailWorkers: number,
    metricsUrl?: string,
    afterWarmup?: () => Promise<void>,
  ) =>
    driveAgents({
      port,
      model: `${m.name}@${m.version}`,
      frames,
      agents,
      inFlightPerAgent: inFlight,
      bundle: !values['no-bundle'],
      seconds,
      warmupSeconds,
      ...(pid ? { serverPid: pid, tailWorkers } : {}),
      ...(metricsUrl ? { metricsUrl } : {}),
      ...(afterWarmup ? { afterWarmup } : {}),
    });

  const nodeOptions = values['server-node-options']?.split(' ').filter((a) => a !== '') ?? [];
  /** Node's flags the servers ran with, as started (recorded in the JSON). */
  let serverNodeArgs: readonly string[] = [];
  const served = async (batching: boolean, profile: readonly string[] = [], around: Around = {}) => {
    const nodeArgs = [...nodeOptions, ...profile];
    const serveArgs = ['--models', values.models, '--model', m.name, '--workers', String(workers)];
    serveArgs.push('--batches-per-worker', String(batchesPerWorker), ...(batching ? [] : ['--no-batching']));
    const server = await startServe(serveArgs, { nodeArgs, ...(pinned ? { cpus: serverCpus } : {}) });
    serverNodeArgs = server.nodeArgs;
    try {
      const metrics = server.httpPort ? `http://127.0.0.1:${server.httpPort}/metrics` : undefined;
      const run = await load(server.port, server.child.pid, workers, metrics, around.afterWarmup);
      await around.afterMeasure?.();
      return run;
    } finally {
      await server.stop();
    }
  };

  /** The same load against the transport alone: grpc-js answering each request at once. */
  const echoed = async () => {
    const echo = await startEchoServer(pinned ? serverCpus : undefined);
    try {
      return await load(echo.port, echo.child.pid, 0);
    } finally {
      await echo.stop();
    }
  };

  /** The raw tail on the server's cores (this process moved there for the while), then back. */
  const rawTail = async (batch1: boolean) => {
    if (pinned) pinProcess(process.pid, serverCpus);
    try {
      return await measureRawTail(bundle, codec, frames, serverCores, seconds, { batch1 });
    } finally {
      if (pinned) pinProcess(process.pid, loadCpus);
    }
  };

  const runs: ServeRep[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    // The raw tail right around the batching server's measured window, with that server idle:
    // after its warm-up and after the window. This VM's speed drifts by several per cent from one
    // minute to the next, and the two figures compared should see the same machine.
    let before: Awaited<ReturnType<typeof rawTail>> | undefined;
    let after: Awaited<ReturnType<typeof rawTail>> | undefined;
    const batching = await served(true, [], {
      afterWarmup: async () => {
        before = await rawTail(true);
      },
      afterMeasure: async () => {
        after = await rawTail(false);
      },
    });
    if (before === undefined || after === undefined) throw new Error('the raw tail was not measured');
    const noBatching = await served(false);
    const transport = await echoed();
    const raw = {
      batch32: combineRawRuns(before.batch32, after.batch32),
      batch1: before.batch1!,
      batch32Before: before.batch32,
      batch32After: after.batch32,
    };
    runs.push({ raw, batching, noBatching, transport });
    const us = (v: number | null) => (v === null ? '?' : v.toFixed(0));
    process.stderr.write(
      `rep ${rep}/${reps}: raw ${raw.batch32.throughputPerSec.toFixed(0)}/s ${us(raw.batch32.cpuUsPerInference)} us CPU/inf; ` +
        `served ${batching.throughputPerSec.toFixed(0)}/s ${us(batching.cpuUsPerRequest.server)} us CPU/req, main ${us(batching.cpuUsPerRequest.serverMainThread)} (kernel ${us(batching.systemCpuUsPerRequest.serverMainThread)}) ` +
        `(batch ${batching.meanBatchSize?.toFixed(1) ?? '?'}, ${batching.errors} errors); ` +
        `unbatched ${noBatching.throughputPerSec.toFixed(0)}/s ${us(noBatching.cpuUsPerRequest.server)} us CPU/req; ` +
        `transport alone ${us(transport.cpuUsPerRequest.server)} us CPU/req\n`,
    );
  }
  let profiled: string | undefined;
  if (values['server-profile']) {
    const dir = values['server-profile'];
    mkdirSync(dir, { recursive: true });
    await served(true, ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${dir}`]);
    profiled = dir;
  }

  const efficiency = efficiencyOf(runs);
  const transport = summarizeServed(
    runs.map((r) => r.transport!),
    serverCores,
  );
  const raw = summarizeRaw(
    runs.map((r) => r.raw.batch32),
    serverCores,
  );
  const batching = summarizeServed(
    runs.map((r) => r.batching),
    serverCores,
  );
  const noBatching = summarizeServed(
    runs.map((r) => r.noBatching),
    serverCores,
  );
  const overheadGoal = 30;
  const result = {
    benchmark: 'serve',
    layout: 2,
    date: new Date().toISOString(),
    command,
    machine: { cpus: cpuCount, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    pinning: pinned
      ? { tool: 'taskset', serverCpus, loadCpus, rawCpus: serverCpus }
      : { tool: 'none', note: 'server, load and raw share every core' },
    note: values.note ?? null,
    serverNodeArgs,
    bundle: `${m.name}@${m.version}`,
    ...(fc ? { tail: fc.description } : {}),
    frameBytes: frames[0]!.byteLength,
    reps,
    secondsPerRun: seconds,
    warmupSeconds,
    agents,
    inFlightPerAgent: inFlight,
    serverWorkers: workers,
    serverBatchesPerWorker: batchesPerWorker,
    raw: { ...raw, intraOpThreads: serverCores },
    rawBatch1: summarizeRaw(
      runs.map((r) => r.raw.batch1),
      serverCores,
    ),
    batching,
    noBatching,
    transport,
    efficiency,
    goals: {
      serverCpuOverRawUs: {
        goal: overheadGoal,
        met: efficiency.serverCpuOverRawUs !== null && efficiency.serverCpuOverRawUs.median <= overheadGoal,
      },
      servedOverRaw: { goal: 0.9, met: efficiency.servedOverRaw.median >= 0.9 },
    },
    ...(profiled ? { serverProfile: profiled } : {}),
    runs,
  };
  const out =
    values.json ?? join(REPO_ROOT, 'bench-results', `serve-${result.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const fmt = (s: Spread | null, digits = 0) =>
    s === null ? '?' : `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}..${s.max.toFixed(digits)}]`;
  process.stdout.write(
    `${reps} reps, median [min..max]; server on CPU ${serverCpus.join(',')}, load on CPU ${loadCpus.join(',')}\n` +
      `raw tail (batch ${RAW_BATCH}, ${serverCores} thread(s)): ${fmt(raw.throughputPerSec)} /s, ${fmt(raw.cpuUsPerInference)} us CPU/inference\n` +
      `served, batching on:  ${fmt(batching.throughputPerSec)} /s, ${fmt(batching.serverCpuUsPerRequest)} us server CPU/request (main thread ${fmt(batching.serverMainThreadCpuUsPerRequest)}, of which kernel ${fmt(batching.serverMainThreadSystemCpuUsPerRequest)}), errors ${batching.errors}\n` +
      `served, batching off: ${fmt(noBatching.throughputPerSec)} /s, ${fmt(noBatching.serverCpuUsPerRequest)} us server CPU/request, errors ${noBatching.errors}\n` +
      `transport alone (echo): ${fmt(transport.serverCpuUsPerRequest)} us server CPU/request (main thread ${fmt(transport.serverMainThreadCpuUsPerRequest)}), errors ${transport.errors}\n` +
      `server CPU over raw: ${fmt(efficiency.serverCpuOverRawUs)} us/request (goal <= ${overheadGoal})  ` +
      `served/raw per core: ${fmt(efficiency.servedOverRaw, 3)} (goal >= 0.9)\n` +
      `server CPU over raw and transport: ${fmt(efficiency.serverCpuOverRawAndTransportUs)} us/request\n` +
      `server threads per request: main ${fmt(batching.serverMainThreadCpuUsPerRequest)}, tail workers ${fmt(batching.serverTailWorkersCpuUsPerRequest)} ` +
      `(over raw ${fmt(efficiency.tailWorkersOverRawUs)}), other ${fmt(batching.serverOtherThreadsCpuUsPerRequest)} us\n` +
      `written to ${out}\n`,
  );
  return 0;
}
