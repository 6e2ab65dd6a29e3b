import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResultCache, dHash, exactKey, hammingDistance } from './result-cache.js';

const opts = { maxEntries: 3, maxBytes: 1 << 20, ttlMs: 1000, perceptual: { enabled: false, radius: 0 } };
const key = (exact: string, model = 'm@1', dhash?: bigint) => ({
  model,
  exact,
  ...(dhash === undefined ? {} : { dhash }),
});

describe('cache - result cache', () => {
  it('cache - exact hits, misses and LRU eviction by entry count', { timeout: 1000 }, () => {
    const c = createResultCache<number>(opts);
    c.set(key('a'), 1, 10, 0);
    c.set(key('b'), 2, 10, 0);
    c.set(key('c'), 3, 10, 0);
    assert.equal(c.get(key('a'), 1)?.value, 1); // a is now the most recent
    c.set(key('d'), 4, 10, 1); // evicts b, the least recent
    assert.equal(c.get(key('b'), 1), undefined);
    assert.equal(c.get(key('a'), 1)?.value, 1);
    assert.deepEqual(
      {
        hits: c.stats().hits,
        misses: c.stats().misses,
        evictions: c.stats().evictions,
        entries: c.stats().entries,
      },
      { hits: 2, misses: 1, evictions: 1, entries: 3 },
    );
  });
  it('cache - the byte bound evicts too, and an entry larger than the bound is not kept', {
    timeout: 1000,
  }, () => {
    const c = createResultCache<number>({ ...opts, maxEntries: 100, maxBytes: 700 });
    for (let i = 0; i < 5; i++) c.set(key(`k${i}`), i, 100, 0);
    assert.ok(c.stats().bytes <= 700);
    assert.ok(c.stats().evictions >= 1);
    c.set(key('huge'), 9, 10_000, 0);
    assert.equal(c.get(key('huge'), 0), undefined);
  });
  it('cache - entries expire after the TTL', { timeout: 1000 }, () => {
    const c = createResultCache<number>(opts);
    c.set(key('a'), 1, 10, 0);
    assert.equal(c.get(key('a'), 999)?.value, 1);
    assert.equal(c.get(key('a'), 2000), undefined);
    assert.equal(c.stats().expired, 1);
    assert.equal(c.stats().entries, 0);
  });
  it('cache - another model version never matches', { timeout: 1000 }, () => {
    const c = createResultCache<number>(opts);
    c.set(key('a', 'm@1'), 1, 10, 0);
    assert.equal(c.get(key('a', 'm@2'), 0), undefined);
  });
  it('cache - perceptual keys match within the Hamming radius only when enabled', { timeout: 1000 }, () => {
    const img = new Uint8Array(28 * 28).map((_, i) => (i % 28) * 9);
    const noisy = img.map((v, i) => (i === 100 ? v + 3 : v));
    const h1 = dHash(img, 28, 28);
    const h2 = dHash(noisy, 28, 28);
    assert.ok(hammingDistance(h1, h2) <= 2);
    const off = createResultCache<number>(opts);
    off.set(key('x', 'm@1', h1), 1, 10, 0);
    assert.equal(off.get(key('y', 'm@1', h2), 0), undefined);
    const on = createResultCache<number>({ ...opts, perceptual: { enabled: true, radius: 2 } });
    on.set(key('x', 'm@1', h1), 1, 10, 0);
    assert.deepEqual(on.get(key('y', 'm@1', h2), 0), { value: 1, perceptual: true });
    assert.equal(on.stats().perceptualHits, 1);
  });
  it('cache - exact keys are sha-256 of the tensor bytes', { timeout: 1000 }, () => {
    const a = new Float32Array([1, 2, 3]);
    assert.equal(exactKey(a), exactKey(Float32Array.from(a)));
    assert.notEqual(exactKey(a), exactKey(new Float32Array([1, 2, 4])));
    assert.equal(exactKey(a).length, 64);
  });
});
