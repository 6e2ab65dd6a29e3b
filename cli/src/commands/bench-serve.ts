// `cleave bench serve` (npm run bench:serve): in one run, the tail's raw ONNX Runtime
// throughput at batch 32 in this process, and the end-to-end throughput through a separate
// `cleave serve` process over one InferStream with 256 requests in flight.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createOffloadClient } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import * as ort from 'onnxruntime-node';
import { percentile } from '../demo-report.js';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR, REPO_ROOT } from '../paths.js';
import { makeRealFrames } from '../real-frames.js';
import { startServeProcess } from '../serve-process.js';

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

export async function benchServe(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      seconds: { type: 'string', default: '8' },
      'in-flight': { type: 'string', default: '256' },
      workers: { type: 'string', default: String(availableParallelism()) },
      json: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const inFlight = Number(values['in-flight']);
  const workers = Number(values.workers);
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
  await tail.release();
  const rawRate = raw.items / raw.seconds;
  process.stderr.write(`raw tail: ${rawRate.toFixed(0)} /s at batch ${BATCH}, ${threads} threads\n`);

  // (2) Served: `cleave serve` in its own process, one agent stream, `inFlight` requests in flight.
  const server = await startServeProcess([
    '--models',
    values.models,
    '--model',
    m.name,
    '--workers',
    String(workers),
  ]);
  const client = createOffloadClient({
    target: `127.0.0.1:${server.port}`,
    model: `${m.name}@${m.version}`,
    maxQueuedWrites: inFlight * 2,
    keepaliveTimeMs: 30_000,
    keepaliveTimeoutMs: 10_000,
    maxMessageBytes: 4 * 1024 * 1024,
  });
  const latencies: number[] = [];
  let errors = 0;
  let served = 0;
  let measuring = false;
  const batchSizes: number[] = [];
  async function lane(k: number, until: number): Promise<void> {
    let i = k;
    while (performance.now() < until) {
      const t = performance.now();
      try {
        const r = await client.infer(frames[i % frames.length]!, 30_000);
        if (measuring) {
          served++;
          latencies.push(performance.now() - t);
          batchSizes.push(r.result.batch_size);
        }
      } catch {
        if (measuring) errors++;
      }
      i += inFlight;
    }
  }
  const warmEnd = performance.now() + 1000;
  await Promise.all(Array.from({ length: inFlight }, (_, k) => lane(k, warmEnd)));
  measuring = true;
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, (_, k) => lane(k, start + seconds * 1000)));
  const servedSeconds = (performance.now() - start) / 1000;
  measuring = false;
  client.close();
  const exitCode = await server.stop();
  latencies.sort((a, b) => a - b);
  const servedRate = served / servedSeconds;
  const result = {
    benchmark: 'serve',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    bundle: `${m.name}@${m.version}`,
    frameBytes: frames[0]!.byteLength,
    raw: { batch: BATCH, intraOpThreads: threads, seconds: raw.seconds, throughputPerSec: rawRate },
    served: {
      inFlight,
      serverWorkers: workers,
      seconds: servedSeconds,
      answered: served,
      errors,
      throughputPerSec: servedRate,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      meanBatchSize: batchSizes.reduce((a, b) => a + b, 0) / Math.max(1, batchSizes.length),
      serverExitCode: exitCode,
    },
    ratio: servedRate / rawRate,
    goal: { ratio: 0.5, met: servedRate / rawRate >= 0.5 },
  };
  const out =
    values.json ?? join(REPO_ROOT, 'bench-results', `serve-${result.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `raw ${rawRate.toFixed(0)}/s  served ${servedRate.toFixed(0)}/s  ratio ${(result.ratio * 100).toFixed(1)}% ` +
      `(goal ≥ 50%)  p50 ${result.served.latencyMs.p50.toFixed(1)} ms  p99 ${result.served.latencyMs.p99.toFixed(1)} ms  ` +
      `errors ${errors}\nwritten to ${out}\n`,
  );
  return 0;
}
