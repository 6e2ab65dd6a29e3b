// `cleave bench serve` (npm run bench:serve): in one run, (1) the tail's raw ONNX Runtime
// throughput at batch 32 in this process, (2) a separate `cleave serve` process fed by 64 agents
// on loopback, each keeping 32 requests in flight, and (3) the same with batching off. With
// --fc-tail W it measures a bundle made on the spot whose tail is a VGG-style fully connected
// classifier (bench/fc-tail-bundle.ts) instead of a shipped bundle.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBundle } from '@cleave/models';
import * as ort from 'onnxruntime-node';
import type { StartServe } from './children.js';
import { type FcTailBundle, makeFcTailBundle } from './fc-tail-bundle.js';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR, REPO_ROOT } from './paths.js';
import { makeRealFrames } from './real-frames.js';
import { driveAgents } from './serve-load.js';

const BATCH = 32;

async function timed(
  seconds: number,
  step: () => Promise<number>,
): Promise<{ items: number; seconds: number }> {
  const start = performance.now();
  let items = 0;
  while (performance.now() - start < seconds * 1000) items += await step();
  return { items, seconds: (performance.now() - start) / 1000 };
}

/** `cleave bench serve`; `startServe` starts `cleave serve` (the CLI's own process). */
export async function benchServe(argv: string[], startServe: StartServe): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      seconds: { type: 'string', default: '8' },
      agents: { type: 'string', default: '64' },
      'in-flight': { type: 'string', default: '32' },
      workers: { type: 'string', default: String(availableParallelism()) },
      'batches-per-worker': { type: 'string', default: '2' },
      'fc-tail': { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (values['fc-tail'] === undefined) return measure(values, undefined, startServe);
  const width = Number(values['fc-tail']);
  if (!Number.isInteger(width) || width < 16) throw new Error('--fc-tail needs a width (an integer >= 16)');
  const dir = mkdtempSync(join(tmpdir(), 'cleave-fc-tail-'));
  try {
    process.stderr.write(`making a bundle with a ${width}-wide fully connected tail in ${dir}\n`);
    const fc = await makeFcTailBundle(dir, width);
    return await measure({ ...values, models: dir, bundle: fc.name }, fc, startServe);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(
  values: {
    bundle: string;
    models: string;
    seconds: string;
    agents: string;
    'in-flight': string;
    workers: string;
    'batches-per-worker': string;
    json?: string | undefined;
  },
  fc: FcTailBundle | undefined,
  startServe: StartServe,
): Promise<number> {
  const seconds = Number(values.seconds);
  const inFlight = Number(values['in-flight']);
  const agents = Number(values.agents);
  const workers = Number(values.workers);
  const batchesPerWorker = Number(values['batches-per-worker']);
  const bundle = await loadBundle(join(values.models, values.bundle));
  const m = bundle.manifest;
  const threads = availableParallelism();

  const { codec, frames } = await makeRealFrames(bundle, 1024);
  const per = codec.elementCount;

  // (1) Raw: the tail alone, batch 32, all cores, no serving stack.
  const tail = await ort.InferenceSession.create(bundle.files.tail.path, { intraOpNumThreads: threads });
  const batch = new Float32Array(BATCH * per);
  for (let i = 0; i < BATCH; i++) batch.set(codec.decode(frames[i]!).features, i * per);
  const feeds = {
    [bundle.files.tail.spec.inputs[0]!.name]: new ort.Tensor('float32', batch, [
      BATCH,
      ...m.bottleneck.shape,
    ]),
  };
  const runBatch = async () => {
    await tail.run(feeds);
    return BATCH;
  };
  await timed(1, runBatch);
  const raw = await timed(seconds, runBatch);
  const rawRate = raw.items / raw.seconds;
  process.stderr.write(`raw tail: ${rawRate.toFixed(0)} /s at batch ${BATCH}, ${threads} threads\n`);
  // (1b) The same session at batch 1: how much batching can gain on the compute alone.
  const single = {
    [bundle.files.tail.spec.inputs[0]!.name]: new ort.Tensor('float32', batch.slice(0, per), [
      1,
      ...m.bottleneck.shape,
    ]),
  };
  const runSingle = async () => {
    await tail.run(single);
    return 1;
  };
  await timed(1, runSingle);
  const raw1 = await timed(Math.min(seconds, 4), runSingle);
  const raw1Rate = raw1.items / raw1.seconds;
  await tail.release();

  // (2) and (3): `cleave serve` in its own process, fed by `agents` agents on loopback, each
  // keeping `inFlight` requests in flight; once with dynamic batching, once without.
  const served = async (batching: boolean) => {
    const server = await startServe([
      '--models',
      values.models,
      '--model',
      m.name,
      '--workers',
      String(workers),
      '--batches-per-worker',
      String(batchesPerWorker),
      ...(batching ? [] : ['--no-batching']),
    ]);
    try {
      return await driveAgents({
        port: server.port,
        model: `${m.name}@${m.version}`,
        frames,
        agents,
        inFlightPerAgent: inFlight,
        seconds,
        ...(server.child.pid ? { serverPid: server.child.pid } : {}),
        ...(server.httpPort ? { metricsUrl: `http://127.0.0.1:${server.httpPort}/metrics` } : {}),
      });
    } finally {
      await server.stop();
    }
  };
  const batched = await served(true);
  process.stderr.write(`batching on: ${batched.throughputPerSec.toFixed(0)} /s\n`);
  const unbatched = await served(false);
  process.stderr.write(`batching off: ${unbatched.throughputPerSec.toFixed(0)} /s\n`);
  const ratio = batched.throughputPerSec / rawRate;
  const speedup = batched.throughputPerSec / unbatched.throughputPerSec;
  const result = {
    benchmark: 'serve',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    note: 'agents, server and raw run share this machine; ratios compare runs of the same invocation',
    bundle: `${m.name}@${m.version}`,
    ...(fc ? { tail: fc.description } : {}),
    frameBytes: frames[0]!.byteLength,
    serverWorkers: workers,
    serverBatchesPerWorker: batchesPerWorker,
    raw: { batch: BATCH, intraOpThreads: threads, seconds: raw.seconds, throughputPerSec: rawRate },
    rawBatch1: {
      intraOpThreads: threads,
      seconds: raw1.seconds,
      throughputPerSec: raw1Rate,
      note: 'raw batch 32 over raw batch 1 bounds what batching can gain on compute; the rest is per-run overhead',
    },
    batching: batched,
    noBatching: unbatched,
    ratios: { servedOverRaw: ratio, batchingSpeedup: speedup },
    goals: {
      servedOverRaw: { goal: 0.8, met: ratio >= 0.8 },
      batchingSpeedup: { goal: 3, met: speedup >= 3 },
    },
  };
  const out =
    values.json ?? join(REPO_ROOT, 'bench-results', `serve-${result.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const line = (r: typeof batched) =>
    `${r.throughputPerSec.toFixed(0)}/s  p50 ${r.latencyMs.p50.toFixed(1)} ms  p99 ${r.latencyMs.p99.toFixed(1)} ms  errors ${r.errors}  mean batch ${r.meanBatchSize?.toFixed(1) ?? '?'}  CPU/request: agents ${r.cpuUsPerRequest.agents.toFixed(0)} us, server ${r.cpuUsPerRequest.server?.toFixed(0) ?? '?'} us`;
  process.stdout.write(
    `raw tail (batch ${BATCH}): ${rawRate.toFixed(0)}/s   raw tail (batch 1): ${raw1Rate.toFixed(0)}/s\n` +
      `served, batching on:  ${line(batched)}\n` +
      `served, batching off: ${line(unbatched)}\n` +
      `served/raw ${(ratio * 100).toFixed(1)}% (goal >= 80%)  batching speed-up ${speedup.toFixed(2)}x (goal >= 3x)\n` +
      `written to ${out}\n`,
  );
  return 0;
}
