// jobsPerWorker > 1: a worker holds its next job in its message port while it runs the current one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkerCrashedError } from './pool-errors.js';
import { createSessionPool, poolSlotsForTesting } from './session-pool.js';
import { crashPoolWorker } from './testing/pool-crash.js';
import { affineFeeds, createPoolFixture, heavyFeeds, type PoolFixture } from './testing/pool-fixture.js';

const opts = { timeout: 60_000 };
let fx: PoolFixture;
const models = () => fx.models();
const heavy = heavyFeeds;
const affine = (a: number, b: number) => affineFeeds([[a, b]]);
const withPool: PoolFixture['withPool'] = (options, body) => fx.withPool(options, body);

describe('session pool - jobs per worker', () => {
  before(async () => {
    fx = await createPoolFixture();
  });
  after(() => fx.close());

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
