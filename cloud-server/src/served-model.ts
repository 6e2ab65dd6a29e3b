// One loaded model version: its verified bundle, its own worker pool running the tail (and, with
// serveFull, the bundle's full model for clients that send the input itself), its codec and its
// batchers. Each version owning its pool is what lets a new version load beside the old
// one and the old one retire after its last request, with no restart.
import type { BottleneckCodec } from '@cleave/codec';
import {
  type Bundle,
  bundleCodec,
  bundleSessionModels,
  createInputPreparer,
  createSessionPool,
  type InputPreparer,
  loadBundle,
  type SessionPool,
  splitBatch,
  stackBatch,
} from '@cleave/models';
import { type BatcherOptions, createDynamicBatcher, type DynamicBatcher } from './dynamic-batcher.js';
import { recordBatch } from './server-metrics.js';

export interface ServedModel {
  name: string;
  version: string;
  /** Bundle folder and the scan signature it was loaded from. */
  dir: string;
  signature: string;
  bundle: Bundle;
  codec: BottleneckCodec;
  labels: readonly string[];
  pool: SessionPool;
  batcher: DynamicBatcher<Float32Array, Float32Array>;
  /** The bundle's `full.onnx` (input to logits), when the server serves full models and it has one. */
  full?: FullModel;
  loadedAt: Date;
}

/** A bundle's full model: one normalised input tensor in, logits out, batched like the tail. */
export interface FullModel {
  /** Its ONNX input name, and one sample's shape (the manifest's input shape). */
  inputName: string;
  sampleShape: readonly number[];
  /** Raw pixels or an encoded image (gRPC requests) → the normalised input tensor. */
  input: InputPreparer;
  batcher: DynamicBatcher<Float32Array, Float32Array>;
}

/** The name a bundle's full model is served under (HTTP and gRPC): `<bundle>:full`. */
export const FULL_MODEL_SUFFIX = ':full';

export interface ServedModelOptions {
  workers: number;
  batchesPerWorker: number;
  /** Also serve each bundle's full.onnx (same workers, its own batcher), as `<name>:full`. */
  serveFull: boolean;
  intraOpThreads: number;
  intraOpSpinning: boolean;
  poolQueueLimit: number;
  executionProviders: readonly string[];
  batching: Omit<BatcherOptions<Float32Array, Float32Array>, 'run' | 'maxConcurrentBatches' | 'onBatch'>;
}

/** Verifies the bundle (every sha256), starts its workers and waits until they hold the tail. */
export async function loadServedModel(
  dir: string,
  signature: string,
  options: ServedModelOptions,
): Promise<ServedModel> {
  const bundle = await loadBundle(dir);
  const m = bundle.manifest;
  const codec = bundleCodec(bundle);
  const withFull = options.serveFull && bundle.files.full !== undefined;
  const pool = createSessionPool({
    models: bundleSessionModels(bundle, { roles: withFull ? ['tail', 'full'] : ['tail'] }),
    workers: options.workers,
    jobsPerWorker: options.batchesPerWorker,
    intraOpThreads: options.intraOpThreads,
    intraOpSpinning: options.intraOpSpinning,
    queueLimit: options.poolQueueLimit,
    executionProviders: [...options.executionProviders],
  });
  try {
    await pool.ready;
  } catch (error) {
    await pool.close().catch(() => {});
    throw error;
  }
  const batcherFor = (role: 'tail' | 'full', modelName: string, sampleShape: readonly number[]) => {
    const spec = bundle.files[role]!.spec;
    const inputName = spec.inputs[0]!.name;
    const outputName = spec.outputs[0]!.name;
    const attrs = { model: modelName, version: m.version };
    return createDynamicBatcher<Float32Array, Float32Array>({
      ...options.batching,
      maxConcurrentBatches: options.workers * options.batchesPerWorker,
      onBatch: (size) => recordBatch(attrs, size),
      run: async (items) => {
        const out = await pool.run(role, { [inputName]: stackBatch(items, sampleShape) }, { transfer: true });
        return splitBatch(out[outputName]!);
      },
    });
  };
  const batcher = batcherFor('tail', m.name, m.bottleneck.shape);
  const full: FullModel | undefined = withFull
    ? {
        inputName: bundle.files.full!.spec.inputs[0]!.name,
        sampleShape: m.input.shape,
        input: createInputPreparer(m, { exactSize: true }),
        batcher: batcherFor('full', `${m.name}${FULL_MODEL_SUFFIX}`, m.input.shape),
      }
    : undefined;
  return {
    name: m.name,
    version: m.version,
    dir,
    signature,
    bundle,
    codec,
    labels: m.labels,
    pool,
    batcher,
    ...(full ? { full } : {}),
    loadedAt: new Date(),
  };
}

/** Lets every queued and running request finish, then stops the workers. */
export async function retireServedModel(model: ServedModel): Promise<void> {
  await Promise.all([model.batcher.idle(), model.full?.batcher.idle()]);
  await model.pool.close();
}
