// jobsPerWorker > 1: a worker holds its next job in its message port while it runs the current one.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkerCrashedError } from './pool-errors.js';
import { createSessionPool, poolSlotsForTesting, type SessionPool } from './session-pool.js';
import { affineModel, matMulChainModel } from './testing/onnx-fixture.js';
import { crashPoolWorker } from './testing/pool-crash.js';

const opts = { timeout: 60_000 };
let dir: string;
const models = () => [
  { key: 'affine', path: join(dir, 'affine.onnx') },
  { key: 'chain', path: join(dir, 'chain.onnx') },
];
const heavy = () => ({ x: { data: new Float32Array(1024 * 512).fill(0.01), dims: [1024, 512] } });
const affine = (a: number, b: number) => ({ x: { data: Float32Array.from([a, b]), dims: [1, 2] } });

async function withPool<T>(
  options: Partial<Parameters<typeof createSessionPool>[0]>,
  body: (pool: SessionPool) => Promise<T>,
) {
  const pool = createSessionPool({ models: models(), ...options });
  try {
    await pool.ready;
    return await body(pool);
  } finally {
    await pool.close();
  }
}

describe('session pool - jobs per worker', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cleave-pool-pipe-'));
    const weight = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const bias = Float32Array.from([0.5, 0, -1]);
    await writeFile(join(dir, 'affine.onnx'), affineModel({ weight, bias, inFeatures: 2, outFeatures: 3 }));
    await writeFile(join(dir, 'chain.onnx'), matMulChainModel({ size: 512, depth: 8 }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'session pool - a worker holds two jobs and runs them in order; the third waits in the pool',
    opts,
    async () => {
      await withPool({ workers: 1, jobsPerWorker: 2 }, async (pool) => {
        const order: string[] = [];
        const runs = [
          pool.run('chain', heavy()).then(() => order.push('chain')),
          pool.run('affine', affine(1, 0)).then((out) => {
            order.push('affine');
            return [...out.y!.data];
          }),
          pool.run('affine', affine(0, 1)).then(() => order.push('third')),
        ];
        assert.equal(pool.stats().running, 2);
        assert.equal(pool.stats().queued, 1);
        const [, y] = await Promise.all(runs);
        assert.deepEqual(y, [1.5, 2, 2]);
        assert.deepEqual(order, ['chain', 'affine', 'third']);
        assert.equal(pool.stats().completed, 3);
      });
    },
  );

  it('session pool - jobs go to the worker holding the fewest', opts, async () => {
    await withPool({ workers: 2, jobsPerWorker: 2 }, async (pool) => {
      const runs = [1, 2, 3, 4, 5].map(() => pool.run('chain', heavy()));
      const held = poolSlotsForTesting.get(pool)!.map((s) => s.jobs.length);
      assert.deepEqual(held, [2, 2]);
      assert.equal(pool.stats().queued, 1);
      await Promise.all(runs);
    });
  });

  it(
    'session pool - a crash fails every job the worker held; the pool queue waits for the respawn',
    opts,
    async () => {
      await withPool({ workers: 1, jobsPerWorker: 2 }, async (pool) => {
        crashPoolWorker(pool, 0);
        const held = [pool.run('chain', heavy()), pool.run('affine', affine(1, 0))];
        const queued = pool.run('affine', affine(1, 0));
        for (const run of held) await assert.rejects(run, WorkerCrashedError);
        assert.deepEqual([...(await queued).y!.data], [1.5, 2, 2]);
        assert.equal(pool.stats().failed, 2);
        assert.equal(pool.stats().completed, 1);
      });
    },
  );

  it('session pool - jobsPerWorker must be an integer >= 1', opts, () => {
    assert.throws(() => createSessionPool({ models: models(), jobsPerWorker: 0 }), RangeError);
    assert.throws(() => createSessionPool({ models: models(), jobsPerWorker: 1.5 }), RangeError);
  });
});
