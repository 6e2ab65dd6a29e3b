// The tails this server holds: one bundle per name@version, each with its codec and batcher,
// all running in one shared worker pool.
import type { BottleneckCodec, FeatureFrame } from '@cleave/codec';
import {
  type Bundle,
  bundleCodec,
  bundleSessionModels,
  createSessionPool,
  listBundles,
  loadBundle,
  type SessionPool,
  splitBatch,
  stackBatch,
} from '@cleave/models';
import { type BatcherOptions, createDynamicBatcher, type DynamicBatcher } from './dynamic-batcher.js';
import { ServingError, ServingErrorCode } from './serving-errors.js';

export interface ServedModel {
  name: string;
  version: string;
  bundle: Bundle;
  codec: BottleneckCodec;
  labels: readonly string[];
  batcher: DynamicBatcher<Float32Array, Float32Array>;
}

export interface RegistryOptions {
  modelsDir: string;
  /** Serve only these bundle names; all when empty. */
  only: readonly string[];
  workers: number;
  intraOpThreads: number;
  poolQueueLimit: number;
  executionProviders: readonly string[];
  batching: Omit<BatcherOptions<Float32Array, Float32Array>, 'run' | 'maxConcurrentBatches'>;
}

export interface ModelRegistry {
  readonly models: readonly ServedModel[];
  readonly pool: SessionPool;
  /**
   * The model that serves a frame. With `declared` (the stream's `cleave-model` metadata) the
   * model is looked up by name (NOT_FOUND if absent) and the frame must come from its head
   * (FrameMismatchError → FAILED_PRECONDITION). Without it, the frame's head fingerprint picks
   * the newest version whose head made it (NOT_FOUND if none).
   */
  forFrame(frame: FeatureFrame, declared?: { name: string; version?: string }): ServedModel;
  find(name: string, version?: string): ServedModel | undefined;
  /** Resolves when every queued and running batch has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const keyOf = (name: string, version: string) => `${name}@${version}`;

export async function createModelRegistry(options: RegistryOptions): Promise<ModelRegistry> {
  const dirs = await listBundles(options.modelsDir);
  const bundles = await Promise.all(dirs.map((dir) => loadBundle(dir)));
  const wanted = new Set(options.only);
  const chosen = bundles.filter((b) => wanted.size === 0 || wanted.has(b.manifest.name));
  if (chosen.length === 0) {
    throw new Error(
      `no bundles to serve in ${options.modelsDir}${wanted.size ? ` named ${[...wanted].join(', ')}` : ''}`,
    );
  }
  const pool = createSessionPool({
    models: chosen.flatMap((b) =>
      bundleSessionModels(b, {
        roles: ['tail'],
        keyPrefix: `${keyOf(b.manifest.name, b.manifest.version)}:`,
      }),
    ),
    workers: options.workers,
    intraOpThreads: options.intraOpThreads,
    queueLimit: options.poolQueueLimit,
    executionProviders: options.executionProviders,
  });
  await pool.ready;

  const byKey = new Map<string, ServedModel>();
  const latest = new Map<string, ServedModel>();
  const byFingerprint = new Map<string, ServedModel>();
  for (const bundle of chosen) {
    const m = bundle.manifest;
    const key = keyOf(m.name, m.version);
    const tail = bundle.files.tail;
    const inputName = tail.spec.inputs[0]!.name;
    const outputName = tail.spec.outputs[0]!.name;
    const shape = m.bottleneck.shape;
    const batcher = createDynamicBatcher<Float32Array, Float32Array>({
      ...options.batching,
      maxConcurrentBatches: options.workers,
      run: async (items) => {
        const out = await pool.run(
          `${key}:tail`,
          { [inputName]: stackBatch(items, shape) },
          { transfer: true },
        );
        return splitBatch(out[outputName]!);
      },
    });
    const model: ServedModel = {
      name: m.name,
      version: m.version,
      bundle,
      labels: m.labels,
      batcher,
      codec: bundleCodec(bundle),
    };
    byKey.set(key, model);
    const prev = latest.get(m.name);
    if (!prev || compareVersions(m.version, prev.version) > 0) latest.set(m.name, model);
    const fp = model.codec.headFingerprint;
    const same = byFingerprint.get(fp);
    // Frames that do not name their model are routed by head; two bundles sharing a head must
    // then decode its frames the same way, or a frame could be decoded with the wrong tables.
    if (same && JSON.stringify(same.bundle.manifest.bottleneck) !== JSON.stringify(m.bottleneck)) {
      throw new Error(
        `${same.name}@${same.version} and ${key} share head ${fp} but differ in their bottleneck; serve one of them`,
      );
    }
    if (!same || compareVersions(m.version, same.version) > 0) byFingerprint.set(fp, model);
  }

  const models = [...byKey.values()];
  return {
    models,
    pool,
    find: (name, version) => (version ? byKey.get(keyOf(name, version)) : latest.get(name)),
    forFrame(frame, declared) {
      if (declared) {
        const model = declared.version
          ? byKey.get(keyOf(declared.name, declared.version))
          : latest.get(declared.name);
        if (!model) {
          const what = declared.version ? keyOf(declared.name, declared.version) : declared.name;
          throw new ServingError(ServingErrorCode.MODEL_NOT_FOUND, `model ${what} is not served here`);
        }
        model.codec.assertPairs(frame);
        return model;
      }
      const model = byFingerprint.get(frame.headFingerprint);
      if (!model) {
        throw new ServingError(
          ServingErrorCode.MODEL_NOT_FOUND,
          `no served model pairs with head fingerprint ${frame.headFingerprint}`,
        );
      }
      return model;
    },
    idle: async () => {
      await Promise.all(models.map((m) => m.batcher.idle()));
    },
    close: () => pool.close(),
  };
}

/** Orders dotted numeric versions ("1.10.0" > "1.9.2"); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}
