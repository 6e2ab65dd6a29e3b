import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BundleError } from './bundle-error.js';
import { bundleSessionModels, loadBundle } from './bundle-loader.js';
import {
  InferenceError,
  PoolClosedError,
  PoolError,
  PoolOverloadedError,
  WorkerCrashedError,
} from './pool-errors.js';
import { createSessionPool } from './session-pool.js';
import { splitBatch } from './tensor-batch.js';
import { writeFixtureBundle } from './testing/bundle-fixture.js';
import { crashPoolWorker } from './testing/pool-crash.js';
import { affineFeeds, createPoolFixture, heavyFeeds, type PoolFixture } from './testing/pool-fixture.js';

const opts = { timeout: 60_000 };
let fx: PoolFixture;
const models = () => fx.models();
const heavy = heavyFeeds;
const withPool: PoolFixture['withPool'] = (options, body) => fx.withPool(options, body);

describe('session pool', () => {
  before(async () => {
    fx = await createPoolFixture();
  });
  after(() => fx.close());

  it('session pool - runs a real ONNX model in a worker', opts, async () => {
    await withPool({}, async (pool) => {
      const out = await pool.run(
        'affine',
        affineFeeds([
          [1, 1],
          [2, 0],
        ]),
      );
      assert.deepEqual(out.y?.dims, [2, 3]);
      assert.deepEqual(
        splitBatch(out.y!).map((row) => [...row]),
        [
          [5.5, 7, 8],
          [2.5, 4, 5],
        ],
      );
      assert.deepEqual(pool.stats(), {
        queued: 0,
        running: 0,
        completed: 1,
        failed: 0,
        rejected: 0,
        aborted: 0,
        workersReady: 1,
      });
    });
  });

  it('session pool - copies feeds by default and moves them with transfer: true', opts, async () => {
    await withPool({}, async (pool) => {
      const kept = affineFeeds([[1, 2]]);
      await pool.run('affine', kept);
      assert.equal(kept.x.data.length, 2);
      const moved = affineFeeds([[1, 2]]);
      const out = await pool.run('affine', moved, { transfer: true });
      assert.equal(moved.x.data.length, 0, 'the buffer should be detached after the transfer');
      assert.deepEqual([...out.y!.data], [9.5, 12, 14]);
    });
  });

  it('session pool - hands work to idle workers first', opts, async () => {
    await withPool({ workers: 2 }, async (pool) => {
      const runs = [pool.run('chain', heavy()), pool.run('chain', heavy())];
      assert.equal(pool.stats().running, 2);
      assert.equal(pool.stats().queued, 0);
      await Promise.all(runs);
    });
  });

  it('session pool - refuses a run at once when the queue is full', opts, async () => {
    await withPool({ workers: 1, queueLimit: 2 }, async (pool) => {
      const accepted = [pool.run('chain', heavy()), pool.run('chain', heavy()), pool.run('chain', heavy())];
      let firstDone = false;
      void accepted[0]!.then(() => {
        firstDone = true;
      });
      // "At once": settled before the event loop's next turn, so before any message from a worker
      // could arrive (a wall-clock bound would also measure how busy the machine's cores are).
      const refused = pool.run('chain', heavy()).then(
        () => 'ran',
        (e: unknown) => e,
      );
      const nextTurn = new Promise((resolve) => setImmediate(() => resolve('still pending')));
      const outcome = await Promise.race([refused, nextTurn]);
      assert.ok(
        outcome instanceof PoolOverloadedError && outcome.code === 'POOL_OVERLOADED',
        `the refusal should not wait for a worker: ${String(outcome)}`,
      );
      assert.equal(firstDone, false);
      assert.deepEqual(
        { ...pool.stats(), completed: 0 },
        { queued: 2, running: 1, completed: 0, failed: 0, rejected: 1, aborted: 0, workersReady: 1 },
      );
      await Promise.all(accepted);
    });
  });

  it('session pool - close() finishes queued and running jobs, then refuses new ones', opts, async () => {
    const pool = createSessionPool({ models: models(), workers: 1 });
    const runs = [1, 2, 3, 4].map(() => pool.run('chain', heavy()));
    const closed = pool.close();
    await assert.rejects(pool.run('affine', affineFeeds([[1, 1]])), PoolClosedError);
    await closed;
    const results = await Promise.all(runs);
    assert.equal(results.length, 4);
    assert.deepEqual(results[3]?.y?.dims, [1024, 512]);
    assert.equal(pool.stats().completed, 4);
    assert.equal(pool.stats().workersReady, 0);
    assert.equal(pool.close(), closed, 'close() is idempotent');
  });

  it('session pool - a crashed worker fails its job and is respawned', opts, async () => {
    await withPool({ workers: 1 }, async (pool) => {
      crashPoolWorker(pool, 0);
      const doomed = pool.run('chain', heavy());
      const queuedBehind = pool.run('affine', affineFeeds([[1, 0]]));
      await assert.rejects(
        doomed,
        (e: unknown) =>
          e instanceof WorkerCrashedError && e.code === 'WORKER_CRASHED' && /crash requested/.test(e.message),
      );
      // The queued job waits for the respawned worker instead of failing with the crashed one.
      assert.deepEqual([...(await queuedBehind).y!.data], [1.5, 2, 2]);
      assert.equal(pool.stats().failed, 1);
      assert.equal(pool.stats().completed, 1);
    });
  });

  it('session pool - aborting a queued run takes it out of the queue', opts, async () => {
    await withPool({ workers: 1 }, async (pool) => {
      const running = pool.run('chain', heavy());
      const controller = new AbortController();
      const queued = pool.run('chain', heavy(), { signal: controller.signal });
      assert.equal(pool.stats().queued, 1);
      controller.abort();
      await assert.rejects(queued, { name: 'AbortError' });
      assert.equal(pool.stats().queued, 0);
      await assert.rejects(pool.run('affine', affineFeeds([[1, 1]]), { signal: AbortSignal.abort() }), {
        name: 'AbortError',
      });
      await running;
      assert.equal(pool.stats().aborted, 2);
    });
  });

  it(
    'session pool - aborting a running run rejects it at once; the worker drops the result',
    opts,
    async () => {
      await withPool({ workers: 1 }, async (pool) => {
        const controller = new AbortController();
        const running = pool.run('chain', heavy(), { signal: controller.signal });
        const next = pool.run('affine', affineFeeds([[1, 1]]));
        controller.abort(new Error('caller gave up'));
        await assert.rejects(running, /caller gave up/);
        assert.equal(pool.stats().running, 1, 'the worker is still busy with it');
        assert.deepEqual([...(await next).y!.data], [5.5, 7, 8]);
        assert.deepEqual(
          { ...pool.stats(), workersReady: 1 },
          {
            queued: 0,
            running: 0,
            completed: 1,
            failed: 0,
            rejected: 0,
            aborted: 1,
            workersReady: 1,
          },
        );
      });
    },
  );

  it('session pool - reports unknown models and ONNX Runtime errors, and keeps serving', opts, async () => {
    await withPool({}, async (pool) => {
      await assert.rejects(
        pool.run('nope', {}),
        (e: unknown) => e instanceof PoolError && e.code === 'UNKNOWN_MODEL',
      );
      const wrongName = { input: { data: new Float32Array(2), dims: [1, 2] } };
      await assert.rejects(
        pool.run('affine', wrongName),
        (e: unknown) => e instanceof InferenceError && /affine/.test(e.message),
      );
      const wrongShape = { x: { data: new Float32Array(3), dims: [1, 3] } };
      await assert.rejects(pool.run('affine', wrongShape), InferenceError);
      assert.deepEqual([...(await pool.run('affine', affineFeeds([[0, 0]]))).y!.data], [0.5, 0, -1]);
    });
  });

  it('session pool - refuses a corrupted ONNX file with ONNX_INVALID naming it', opts, async () => {
    const bundleDir = join(fx.dir, 'corrupt');
    await writeFixtureBundle(bundleDir, { extraRoles: [] });
    const tail = join(bundleDir, 'tail.onnx');
    const garbage = Buffer.from('this is not an ONNX model');
    await writeFile(tail, garbage);
    // The manifest is updated to match the garbage, so every hash check passes.
    const manifestPath = join(bundleDir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    const { createHash } = await import('node:crypto');
    Object.assign(manifest.files[1], {
      sha256: createHash('sha256').update(garbage).digest('hex'),
      bytes: garbage.length,
    });
    await writeFile(manifestPath, JSON.stringify(manifest));

    const bundle = await loadBundle(bundleDir);
    const pool = createSessionPool({ models: bundleSessionModels(bundle), workers: 2 });
    const isOnnxInvalid = (e: unknown) =>
      e instanceof BundleError &&
      e.code === 'ONNX_INVALID' &&
      e.file === tail &&
      e.message.startsWith(`${tail}: `);
    await assert.rejects(pool.ready, isOnnxInvalid);
    await assert.rejects(pool.run('head', {}), isOnnxInvalid);
    await pool.close();
  });

  it('session pool - refuses a missing file and bytes that do not match the given sha256', opts, async () => {
    const missing = createSessionPool({ models: [{ key: 'm', path: join(fx.dir, 'absent.onnx') }] });
    await assert.rejects(
      missing.ready,
      (e: unknown) => e instanceof BundleError && e.code === 'FILE_MISSING',
    );
    await missing.close();
    const wrongHash = createSessionPool({
      models: [{ key: 'm', path: join(fx.dir, 'affine.onnx'), sha256: '0'.repeat(64) }],
    });
    await assert.rejects(
      wrongHash.ready,
      (e: unknown) => e instanceof BundleError && e.code === 'HASH_MISMATCH',
    );
    await wrongHash.close();
  });

  it('session pool - runs with ONNX Runtime spinning off and gives the same answer', opts, async () => {
    const feeds = affineFeeds([[1, 0]]);
    const answer = (intraOpSpinning: boolean) =>
      withPool({ intraOpThreads: 2, intraOpSpinning }, async (pool) => [
        ...(await pool.run('affine', feeds)).y!.data,
      ]);
    assert.deepEqual(await answer(false), [1.5, 2, 2]);
    assert.deepEqual(await answer(true), [1.5, 2, 2]);
  });

  it('session pool - validates its options', opts, () => {
    assert.throws(() => createSessionPool({ models: [] }), RangeError);
    assert.throws(() => createSessionPool({ models: models(), workers: 0 }), RangeError);
    assert.throws(() => createSessionPool({ models: models(), queueLimit: -1 }), RangeError);
    assert.throws(() => createSessionPool({ models: [...models(), ...models()] }), /twice/);
  });
});
