// Runs in-memory ONNX models through @cleave/models' worker-thread session pool (inference never
// runs on the event loop): each model is written to a private temporary folder, since the pool
// loads files (and reloads them when it respawns a crashed worker); the folder goes on close.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSessionPool, type SessionPool, type TensorMap } from '@cleave/models';
import { encodeOnnxModel, type ModelMsg } from './onnx-proto.js';

export interface ModelRunner {
  run(key: string, feeds: TensorMap): Promise<TensorMap>;
  /** Mean wall time of `repeats` batch-1 runs after `warmup` runs, ms (one idle worker). */
  time(key: string, feeds: TensorMap, repeats: number, warmup?: number): Promise<number>;
  close(): Promise<void>;
}

export interface RunnerOptions {
  workers?: number;
  /** ONNX Runtime intra-op threads per worker; default 1. */
  intraOpThreads?: number;
}

/** Loads `models` (key → model or ONNX bytes) into a pool; resolves once every worker has them. */
export async function openModels(
  models: Record<string, ModelMsg | Uint8Array>,
  options: RunnerOptions = {},
): Promise<ModelRunner> {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-graph-'));
  let pool: SessionPool | undefined;
  try {
    const entries = Object.entries(models).map(([key, model]) => {
      const path = join(dir, `${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.onnx`);
      writeFileSync(path, model instanceof Uint8Array ? model : encodeOnnxModel(model));
      return { key, path };
    });
    pool = createSessionPool({
      models: entries,
      workers: options.workers ?? 1,
      intraOpThreads: options.intraOpThreads ?? 1,
    });
    await pool.ready;
  } catch (error) {
    await pool?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const ready = pool;
  return {
    run: (key, feeds) => ready.run(key, feeds),
    async time(key, feeds, repeats, warmup = 2) {
      for (let i = 0; i < warmup; i++) await ready.run(key, feeds);
      const t = performance.now();
      for (let i = 0; i < repeats; i++) await ready.run(key, feeds);
      return (performance.now() - t) / repeats;
    },
    async close() {
      try {
        await ready.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
