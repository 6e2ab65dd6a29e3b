// A bounded result cache for repeated inputs: exact keys (sha-256 of the normalised input) and,
// optionally, perceptual keys (64-bit dHash within a Hamming radius). Bounded by entry count and
// bytes, LRU eviction, a TTL, and keyed by model version so a rollout never serves stale answers.
import { createHash } from 'node:crypto';

export interface CacheOptions {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
  /** Off by default: a near-duplicate image gets a cached answer, which trades accuracy for hits. */
  perceptual: { enabled: boolean; radius: number };
}

export interface CacheKey {
  /** Model name@version: entries of another version never match. */
  model: string;
  exact: string;
  /** 64-bit dHash of the pixels, when there are pixels. */
  dhash?: bigint;
}

export interface CacheStats {
  hits: number;
  perceptualHits: number;
  misses: number;
  evictions: number;
  expired: number;
  entries: number;
  bytes: number;
}

interface Entry<V> {
  key: CacheKey;
  value: V;
  bytes: number;
  expires: number;
}

export interface ResultCache<V> {
  /** Whether lookups use perceptual keys; callers skip computing dHash when not. */
  readonly perceptual: boolean;
  get(key: CacheKey, now?: number): { value: V; perceptual: boolean } | undefined;
  set(key: CacheKey, value: V, bytes: number, now?: number): void;
  stats(): CacheStats;
  clear(): void;
}

/** sha-256 of a tensor's bytes, hex. */
export function exactKey(tensor: Float32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.byteLength))
    .digest('hex');
}

/**
 * Difference hash of a grayscale image: shrink to 9×8 by box averaging, then one bit per
 * horizontally adjacent pair (left brighter than right). Robust to small noise and re-encoding.
 */
export function dHash(pixels: Uint8Array, width: number, height: number): bigint {
  const cols = 9;
  const rows = 8;
  const small = new Float64Array(cols * rows);
  for (let r = 0; r < rows; r++) {
    const y0 = Math.floor((r * height) / rows);
    const y1 = Math.max(y0 + 1, Math.floor(((r + 1) * height) / rows));
    for (let c = 0; c < cols; c++) {
      const x0 = Math.floor((c * width) / cols);
      const x1 = Math.max(x0 + 1, Math.floor(((c + 1) * width) / cols));
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += pixels[y * width + x]!;
      small[r * cols + c] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  let hash = 0n;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols - 1; c++) {
      hash = (hash << 1n) | (small[r * cols + c]! > small[r * cols + c + 1]! ? 1n : 0n);
    }
  }
  return hash;
}

export function hammingDistance(a: bigint, b: bigint): number {
  let x = a ^ b;
  let n = 0;
  while (x) {
    x &= x - 1n;
    n++;
  }
  return n;
}

const ENTRY_OVERHEAD_BYTES = 160; // map slot, key strings and the entry object, roughly

export function createResultCache<V>(options: CacheOptions): ResultCache<V> {
  // A Map iterates in insertion order: re-inserting on a hit keeps the least recent first.
  const entries = new Map<string, Entry<V>>();
  const counts = { hits: 0, perceptualHits: 0, misses: 0, evictions: 0, expired: 0 };
  let bytes = 0;
  const id = (k: CacheKey) => `${k.model}\u0000${k.exact}`;

  function remove(mapKey: string, entry: Entry<V>): void {
    entries.delete(mapKey);
    bytes -= entry.bytes;
  }

  function touch(mapKey: string, entry: Entry<V>): void {
    entries.delete(mapKey);
    entries.set(mapKey, entry);
  }

  function findPerceptual(key: CacheKey, now: number): [string, Entry<V>] | undefined {
    if (!options.perceptual.enabled || key.dhash === undefined) return undefined;
    for (const [mapKey, e] of entries) {
      if (e.key.model !== key.model || e.key.dhash === undefined) continue;
      if (e.expires <= now) continue;
      if (hammingDistance(e.key.dhash, key.dhash) <= options.perceptual.radius) return [mapKey, e];
    }
    return undefined;
  }

  return {
    perceptual: options.perceptual.enabled,
    get(key, now = Date.now()) {
      const mapKey = id(key);
      const hit = entries.get(mapKey);
      if (hit) {
        if (hit.expires <= now) {
          remove(mapKey, hit);
          counts.expired++;
        } else {
          touch(mapKey, hit);
          counts.hits++;
          return { value: hit.value, perceptual: false };
        }
      }
      const near = findPerceptual(key, now);
      if (near) {
        touch(near[0], near[1]);
        counts.hits++;
        counts.perceptualHits++;
        return { value: near[1].value, perceptual: true };
      }
      counts.misses++;
      return undefined;
    },
    set(key, value, valueBytes, now = Date.now()) {
      const size = valueBytes + ENTRY_OVERHEAD_BYTES + key.exact.length + key.model.length;
      if (size > options.maxBytes || options.maxEntries === 0) return;
      const mapKey = id(key);
      const old = entries.get(mapKey);
      if (old) remove(mapKey, old);
      entries.set(mapKey, { key, value, bytes: size, expires: now + options.ttlMs });
      bytes += size;
      for (const [k, e] of entries) {
        if (entries.size <= options.maxEntries && bytes <= options.maxBytes) break;
        remove(k, e);
        counts.evictions++;
      }
    },
    stats: () => ({ ...counts, entries: entries.size, bytes }),
    clear() {
      entries.clear();
      bytes = 0;
    },
  };
}
