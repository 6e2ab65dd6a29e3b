// One loaded model version: its verified bundle, its own worker pool running the tail (and, with
// serveFull, the bundle's full model for clients that send the input itself), its codec and its
// batchers. Each version owning its pool is what lets a new version load beside the old
// one and the old one retire after its last request, with no restart.
import type { BottleneckCodec, FeatureFrame } from '@cleave/codec';
import {
  type Bundle,
  bundleCodec,
  bundleSessionModels,
  createInputPreparer,
  createSessionPool,
  type FloatTensor,
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
  /**
   * Takes frames already checked against this model (header and pairing); each is entropy-decoded
   * straight into its row of the batch tensor. A payload that fails to decode is answered with its
   * FrameError as its output, and the rest of its batch is served.
   */
  batcher: DynamicBatcher<FeatureFrame, Float32Array | Error>;
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
  const batcherFor = <I, O extends Float32Array | Error>(
    role: 'tail' | 'full',
    modelName: string,
    toBatch: (items: I[]) => DecodedBatch,
  ) => {
    const spec = bundle.files[role]!.spec;
    const inputName = spec.inputs[0]!.name;
    const outputName = spec.outputs[0]!.name;
    const attrs = { model: modelName, version: m.version };
    return createDynamicBatcher<I, O>({
      ...options.batching,
      maxConcurrentBatches: options.workers * options.batchesPerWorker,
      onBatch: (size) => recordBatch(attrs, size),
      run: async (items) => {
        const { feed, failures } = toBatch(items);
        // The batch tensor is new and whole, so its buffer moves to the worker without a copy.
        const out = await pool.run(role, { [inputName]: feed }, { transfer: true });
        const rows: (Float32Array | Error)[] = splitBatch(out[outputName]!);
        if (failures) for (const [i, error] of failures) rows[i] = error;
        // Only the tail's batches carry failures, and its outputs admit errors.
        return rows as O[];
      },
    });
  };
  const batcher = batcherFor<FeatureFrame, Float32Array | Error>('tail', m.name, (frames) =>
    decodeBatch(codec, frames),
  );
  const full: FullModel | undefined = withFull
    ? {
        inputName: bundle.files.full!.spec.inputs[0]!.name,
        sampleShape: m.input.shape,
        input: createInputPreparer(m, { exactSize: true }),
        batcher: batcherFor<Float32Array, Float32Array>(
          'full',
          `${m.name}${FULL_MODEL_SUFFIX}`,
          (samples) => ({ feed: stackBatch(samples, m.input.shape) }),
        ),
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

/** One batch's input tensor, and the rows whose input could not be made (their answer is the error). */
export interface DecodedBatch {
  feed: FloatTensor;
  failures?: Map<number, Error> | undefined;
}

/**
 * Decodes each frame into its row of one new batch tensor: no array per request, and no copy to
 * stack them. A row whose payload does not decode stays zero and is listed in `failures`.
 * (No closures made here: under tsx every named one costs an Object.defineProperty per batch.)
 */
export function decodeBatch(codec: BottleneckCodec, frames: readonly FeatureFrame[]): DecodedBatch {
  const per = codec.elementCount;
  const data = new Float32Array(frames.length * per);
  let failures: Map<number, Error> | undefined;
  for (let i = 0; i < frames.length; i++) {
    try {
      codec.decodeFeatures(frames[i]!, data.subarray(i * per, (i + 1) * per));
    } catch (error) {
      failures ??= new Map();
      failures.set(i, error instanceof Error ? error : new Error(String(error)));
    }
  }
  return { feed: { data, dims: [frames.length, ...codec.shape] }, failures };
}

/** Lets every queued and running request finish, then stops the workers. */
export async function retireServedModel(model: ServedModel): Promise<void> {
  await Promise.all([model.batcher.idle(), model.full?.batcher.idle()]);
  await model.pool.close();
}
