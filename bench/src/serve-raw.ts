// The raw tail for `cleave bench serve`: ONNX Runtime alone in this process, no serving stack, at
// batch 32 and at batch 1, with its CPU time from the OS's accounting. The caller pins this process
// to the server's cores first, so the raw figures and the served ones come from the same cores.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BottleneckCodec } from '@cleave/codec';
import type { Bundle } from '@cleave/models';
import * as ort from 'onnxruntime-node';
import { processCpuUs } from './serve-cpu.js';

/**
 * A full collection of this process's heap now. The raw tail runs in the benchmark's process,
 * right after the load generator has answered some hundred thousand requests; without this, V8's
 * threads collect that garbage while the raw tail is timed, on its account (the raw figure read
 * 5–10 µs per inference higher after the servers than before them).
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export const RAW_BATCH = 32;

export interface RawRun {
  batch: number;
  seconds: number;
  inferences: number;
  throughputPerSec: number;
  /** This process's CPU time (all threads, /proc) per inference while measuring. */
  cpuUsPerInference: number;
}

async function timed(seconds: number, batch: number, step: () => Promise<unknown>): Promise<RawRun> {
  const cpu0 = processCpuUs(process.pid);
  const start = performance.now();
  let inferences = 0;
  while (performance.now() - start < seconds * 1000) {
    await step();
    inferences += batch;
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu1 = processCpuUs(process.pid);
  if (cpu0 === null || cpu1 === null) throw new Error('no /proc/self/stat: CPU accounting needs Linux');
  return {
    batch,
    seconds: elapsed,
    inferences,
    throughputPerSec: inferences / elapsed,
    cpuUsPerInference: (cpu1 - cpu0) / inferences,
  };
}

/**
 * One measurement: a fresh session with `threads` intra-op threads, batch 32 for `seconds`, then
 * batch 1 (unless `batch1: false`).
 */
export async function measureRawTail(
  bundle: Bundle,
  codec: BottleneckCodec,
  frames: readonly Uint8Array[],
  threads: number,
  seconds: number,
  options: { batch1?: boolean } = {},
): Promise<{ batch32: RawRun; batch1: RawRun | undefined }> {
  const per = codec.elementCount;
  const shape = bundle.manifest.bottleneck.shape;
  const inputName = bundle.files.tail.spec.inputs[0]!.name;
  const tail = await ort.InferenceSession.create(bundle.files.tail.path, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  try {
    const data = new Float32Array(RAW_BATCH * per);
    for (let i = 0; i < RAW_BATCH; i++) data.set(codec.decode(frames[i]!).features, i * per);
    const b32 = { [inputName]: new ort.Tensor('float32', data, [RAW_BATCH, ...shape]) };
    const b1 = { [inputName]: new ort.Tensor('float32', data.slice(0, per), [1, ...shape]) };
    collectGarbage();
    await timed(1, RAW_BATCH, () => tail.run(b32));
    const batch32 = await timed(seconds, RAW_BATCH, () => tail.run(b32));
    if (options.batch1 === false) return { batch32, batch1: undefined };
    await timed(0.5, 1, () => tail.run(b1));
    const batch1 = await timed(Math.min(seconds, 4), 1, () => tail.run(b1));
    return { batch32, batch1 };
  } finally {
    await tail.release();
  }
}
