// Two real ONNX models for the session-pool tests, in a temporary folder: "affine",
// y = x · [[1, 2, 3], [4, 5, 6]] + [0.5, 0, -1] (answers known by hand), and "chain", eight
// 512×512 MatMuls (a run of about 50-100 ms on one core: long enough to see jobs queue behind it).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSessionPool, type SessionPool } from '../session-pool.js';
import type { SessionModel, SessionPoolOptions } from '../session-pool-options.js';
import { stackBatch } from '../tensor-batch.js';
import { affineModel, matMulChainModel } from './onnx-fixture.js';

export interface PoolFixture {
  /** The temporary folder (removed by close()); tests may write more files into it. */
  readonly dir: string;
  models(): SessionModel[];
  /** A pool of both models with these options, ready, closed after `body`. */
  withPool<T>(options: Partial<SessionPoolOptions>, body: (pool: SessionPool) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function createPoolFixture(): Promise<PoolFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cleave-pool-'));
  const weight = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const bias = Float32Array.from([0.5, 0, -1]);
  await writeFile(join(dir, 'affine.onnx'), affineModel({ weight, bias, inFeatures: 2, outFeatures: 3 }));
  await writeFile(join(dir, 'chain.onnx'), matMulChainModel({ size: 512, depth: 8 }));
  const models = () => [
    { key: 'affine', path: join(dir, 'affine.onnx') },
    { key: 'chain', path: join(dir, 'chain.onnx') },
  ];
  return {
    dir,
    models,
    async withPool(options, body) {
      const pool = createSessionPool({ models: models(), ...options });
      try {
        await pool.ready;
        return await body(pool);
      } finally {
        await pool.close();
      }
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Feeds for "chain": one run of about 50-100 ms. */
export const heavyFeeds = () => ({ x: { data: new Float32Array(1024 * 512).fill(0.01), dims: [1024, 512] } });

/** Feeds for "affine": one row of two values per sample. */
export const affineFeeds = (rows: number[][]) => ({
  x: stackBatch(
    rows.map((r) => Float32Array.from(r)),
    [2],
  ),
});
