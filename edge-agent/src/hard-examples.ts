// Hard examples for retraining (as KubeEdge Sedna keeps them): offloaded inputs whose cloud
// answer disagrees with the device's best guess. A bounded folder of images (PNG when the input
// had pixels, raw float32 otherwise) plus `manifest.jsonl`, one line per kept example. Writes
// happen off the request path; when a bound is passed the oldest examples are deleted.
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HardExample } from '@cleave/models';
import sharp from 'sharp';

export type { HardExample };

export interface HardExampleOptions {
  dir: string;
  maxItems: number;
  maxBytes: number;
}

export interface HardExampleStore {
  add(example: HardExample): void;
  /** Resolves when every accepted example is on disk. */
  flush(): Promise<void>;
  stats(): { kept: number; bytes: number; dropped: number; failed: number };
}

const MANIFEST = 'manifest.jsonl';
const MAX_PENDING = 64; // examples waiting to be written; more are dropped and counted

export async function createHardExampleStore(options: HardExampleOptions): Promise<HardExampleStore> {
  await mkdir(options.dir, { recursive: true });
  // Start from what a previous run left, oldest first (file names start with the time).
  const kept: Array<{ file: string; bytes: number }> = [];
  for (const name of (await readdir(options.dir)).sort()) {
    if (name === MANIFEST) continue;
    kept.push({ file: name, bytes: 0 });
  }
  let bytes = 0;
  let pending = 0;
  let dropped = 0;
  let failed = 0;
  let seq = 0;
  let chain: Promise<void> = Promise.resolve();

  async function write(ex: HardExample): Promise<void> {
    const stamp = `${Date.now().toString().padStart(14, '0')}-${String(seq++).padStart(6, '0')}`;
    let file: string;
    let data: Uint8Array;
    if (ex.pixels) {
      const { width, height, channels } = ex.pixels;
      file = `${stamp}.png`;
      data = await sharp(Buffer.from(ex.pixels.data), { raw: { width, height, channels: channels as 1 | 3 } })
        .png()
        .toBuffer();
    } else {
      file = `${stamp}.f32`;
      data = new Uint8Array(ex.tensor.buffer, ex.tensor.byteOffset, ex.tensor.byteLength);
    }
    await writeFile(join(options.dir, file), data);
    const line = {
      file,
      time: new Date().toISOString(),
      model: ex.model,
      cloudLabel: ex.cloudLabel,
      localLabel: ex.localLabel,
      localStage: ex.localStage,
      localScore: ex.localScore,
    };
    await appendFile(join(options.dir, MANIFEST), `${JSON.stringify(line)}\n`);
    kept.push({ file, bytes: data.byteLength });
    bytes += data.byteLength;
    const evicted: string[] = [];
    while (kept.length > options.maxItems || bytes > options.maxBytes) {
      const old = kept.shift()!;
      bytes -= old.bytes;
      evicted.push(old.file);
      await rm(join(options.dir, old.file), { force: true });
    }
    if (evicted.length > 0) {
      // Rewrite the manifest without the evicted files (rare: once per eviction).
      const keep = new Set(kept.map((k) => k.file));
      const lines = (await readFile(join(options.dir, MANIFEST), 'utf8')).split('\n').filter((l) => {
        if (!l) return false;
        try {
          return keep.has((JSON.parse(l) as { file: string }).file);
        } catch {
          return false;
        }
      });
      await writeFile(join(options.dir, MANIFEST), lines.length ? `${lines.join('\n')}\n` : '');
    }
  }

  return {
    add(example) {
      if (pending >= MAX_PENDING) {
        dropped++;
        return;
      }
      pending++;
      // The tensor may be reused by the caller; keep a copy.
      const ex = { ...example, tensor: example.tensor.slice() };
      chain = chain
        .then(() => write(ex))
        .catch(() => {
          failed++;
        })
        .finally(() => {
          pending--;
        });
    },
    flush: () => chain,
    stats: () => ({ kept: kept.length, bytes, dropped, failed }),
  };
}
