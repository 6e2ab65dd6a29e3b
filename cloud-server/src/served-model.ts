// One loaded model version: its verified bundle, its own worker pool running the tail, its codec
// and its batcher. Each version owning its pool is what lets a new version load beside the old
// one and the old one retire after its last request, with no restart.
import type { BottleneckCodec } from '@cleave/codec';
import {
  type Bundle,
  bundleCodec,
  bundleSessionModels,
  createSessionPool,
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
  loadedAt: Date;
}

export interface ServedModelOptions {
  workers: number;
  batchesPerWorker: number;
  intraOpThreads: number;
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
  const pool = createSessionPool({
    models: bundleSessionModels(bundle, { roles: ['tail'] }),
    workers: options.workers,
    jobsPerWorker: options.batchesPerWorker,
    intraOpThreads: options.intraOpThreads,
    queueLimit: options.poolQueueLimit,
    executionProviders: [...options.executionProviders],
  });
  try {
    await pool.ready;
  } catch (error) {
    await pool.close().catch(() => {});
    throw error;
  }
  const tail = bundle.files.tail.spec;
  const inputName = tail.inputs[0]!.name;
  const outputName = tail.outputs[0]!.name;
  const attrs = { model: m.name, version: m.version };
  const batcher = createDynamicBatcher<Float32Array, Float32Array>({
    ...options.batching,
    maxConcurrentBatches: options.workers * options.batchesPerWorker,
    onBatch: (size) => recordBatch(attrs, size),
    run: async (items) => {
      const out = await pool.run(
        'tail',
        { [inputName]: stackBatch(items, m.bottleneck.shape) },
        { transfer: true },
      );
      return splitBatch(out[outputName]!);
    },
  });
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
    loadedAt: new Date(),
  };
}

/** Lets every queued and running request finish, then stops the workers. */
export async function retireServedModel(model: ServedModel): Promise<void> {
  await model.batcher.idle();
  await model.pool.close();
}
