// One executor per fixed strategy: it answers test image k and says what that cost the device.
//  - local: the teacher (full.onnx) in a worker pool on the device;
//  - offload: the raw pixels, or a lossless WebP of them, over one InferStream (the agent's own
//    offload client) to the teacher's full model on `cleave serve --serve-full`;
//  - agent: createAgent on a bundle, in cloud-only mode (the split: head, frame, tail) or in
//    cascade mode (exit gate, dual CNNs, then the cloud), with or without the result cache.
import { type Answer, createAgent, createOffloadClient } from '@cleave/edge-agent';
import { type Bundle, createSessionPool } from '@cleave/models';
import { costKey, encodeWebp, WEBP_KEY } from './compute-costs.js';
import type { RequestRecord } from './records.js';

/** What an executor reports; the runner adds the image, the truth, capture time and latency. */
export type Outcome = Omit<RequestRecord, 'image' | 'truth' | 'captureMs' | 'latencyMs'>;

export interface Executor {
  /** `startMs`: performance.now() when the request began (to place the offload in time). */
  infer(pixels: Uint8Array, startMs: number): Promise<Outcome>;
  /** The camera starts now: what came before (the warm-up) was not its frames. */
  startRun?(): void;
  close(): Promise<void>;
}

export function normalise(bundle: Bundle, pixels: Uint8Array): Float32Array {
  const { scale, mean, std } = bundle.manifest.input.normalization;
  return Float32Array.from(pixels, (p) => (p * scale - mean[0]!) / std[0]!);
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
  return best;
}

/** The name the cloud serves a bundle's full model under, for raw-input offloads. */
export const fullModelName = (bundle: Bundle) => `${bundle.manifest.name}:full`;

/** The teacher on the device. Also the policy's local answer for inputs its gates are unsure of. */
export function createLocalFull(teacher: Bundle) {
  const full = teacher.files.full!;
  const pool = createSessionPool({ models: [{ key: 'full', path: full.path }], workers: 1 });
  const name = full.spec.inputs[0]!.name;
  const out = full.spec.outputs[0]!.name;
  const dims = [1, ...teacher.manifest.input.shape];
  return {
    ready: pool.ready,
    async run(pixels: Uint8Array): Promise<{ label: number; ms: number }> {
      const t = performance.now();
      const r = await pool.run('full', { [name]: { data: normalise(teacher, pixels), dims } });
      return { label: argmax(r[out]!.data), ms: performance.now() - t };
    },
    close: () => pool.close(),
  };
}

/** An answer of the full model run on the device: nothing sent, only the device's time. */
export function localOutcome(r: { label: number; ms: number }, modelKey: string): Outcome {
  return {
    label: r.label,
    source: 'local',
    degraded: false,
    deviceMs: r.ms,
    models: [modelKey],
    codecMs: 0,
    bytesUp: 0,
    bytesDown: 0,
    sentMs: null,
  };
}

export async function createLocalExecutor(teacher: Bundle): Promise<Executor> {
  const local = createLocalFull(teacher);
  await local.ready;
  const key = costKey(teacher.manifest.name, 'full');
  return {
    async infer(pixels) {
      return localOutcome(await local.run(pixels), key);
    },
    close: () => local.close(),
  };
}

export const offloadOptions = (target: string, model?: string) => ({
  target,
  ...(model ? { model } : {}),
  maxQueuedWrites: 4096,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  maxMessageBytes: 4 * 1024 * 1024,
  channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
});

export function createOffloadExecutor(
  teacher: Bundle,
  target: string,
  format: 'raw' | 'webp',
  timeoutMs: number,
  runStart: () => number,
): Executor {
  const client = createOffloadClient(offloadOptions(target, fullModelName(teacher)));
  const { width, height, channels } = teacher.manifest.input.source;
  return {
    async infer(pixels) {
      const t = performance.now();
      const frame =
        format === 'raw' ? pixels : await encodeWebp(pixels, width, height, channels as 1 | 2 | 3 | 4);
      const codecMs = format === 'raw' ? 0 : performance.now() - t;
      const sent = performance.now();
      const base = {
        source: 'cloud',
        deviceMs: codecMs,
        models: format === 'webp' ? [WEBP_KEY] : [],
        codecMs,
        sentMs: sent - runStart(),
      };
      try {
        const r = await client.infer(frame, timeoutMs);
        return {
          ...base,
          label: r.result.label,
          degraded: false,
          bytesUp: r.wireBytes,
          bytesDown: r.responseBytes,
        };
      } catch {
        // No local model in this strategy: a failed offload has no answer (counted wrong).
        return {
          ...base,
          label: -1,
          source: 'fallback',
          degraded: true,
          bytesUp: frame.byteLength,
          bytesDown: 0,
        };
      }
    },
    close: async () => client.close(),
  };
}

/** The record of an agent answer: which models ran on the device and what went over the wire. */
export function agentOutcome(bundle: string, a: Answer, requestStartMs: number, runStartMs: number): Outcome {
  const models: string[] = [];
  if (a.source !== 'cache') models.push(costKey(bundle, 'head'));
  const dual = a.timings.dualRuns ?? 0;
  if (dual >= 1) models.push(costKey(bundle, 'dual-a'));
  if (dual >= 2) models.push(costKey(bundle, 'dual-b'));
  if (a.timings.encodeMs !== undefined) models.push(costKey(bundle, 'encode'));
  const t = a.timings;
  const sent = a.bytesSent.wire > 0;
  return {
    label: a.label,
    source: a.source,
    degraded: a.degraded,
    deviceMs: t.prepareMs + t.headMs + (t.dualMs ?? 0) + (t.encodeMs ?? 0),
    models,
    codecMs: t.encodeMs ?? 0,
    bytesUp: a.bytesSent.wire,
    bytesDown: a.bytesReceived ?? 0,
    // The offload left once the device's own work was done.
    sentMs: sent ? requestStartMs - runStartMs + t.totalMs - (t.offloadMs ?? 0) : null,
  };
}

export async function createAgentExecutor(
  spec: { bundleDir: string; mode: 'cascade' | 'cloud-only'; dual: boolean; cache: boolean },
  target: string,
  timeoutMs: number,
  runStart: () => number,
): Promise<Executor> {
  const agent = await createAgent({
    bundleDir: spec.bundleDir,
    id: 'cleave-bench-edge',
    cloud: { target, timeoutMs },
    mode: spec.mode,
    stages: { cache: spec.cache, exit: true, dual: spec.dual },
    energy: { enabled: false },
  });
  const name = agent.bundle.manifest.name;
  return {
    async infer(pixels, startMs) {
      const a = await agent.infer({ kind: 'pixels', data: pixels });
      return agentOutcome(name, a, startMs, runStart());
    },
    close: () => agent.close(),
  };
}
