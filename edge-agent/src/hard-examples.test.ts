import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { createHardExampleStore } from './hard-examples.js';

const example = (i: number) => ({
  model: 'm@1',
  cloudLabel: i % 10,
  localLabel: (i + 1) % 10,
  localStage: 'exit',
  localScore: 0.5,
  pixels: { data: new Uint8Array(28 * 28).fill(i), width: 28, height: 28, channels: 1 },
  tensor: new Float32Array(784),
});

describe('agent - hard examples', () => {
  it('agent - keeps PNGs and a manifest, bounded by count, oldest evicted first', {
    timeout: 10_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cleave-hard-'));
    try {
      const store = await createHardExampleStore({ dir, maxItems: 3, maxBytes: 1 << 20 });
      for (let i = 0; i < 5; i++) store.add(example(i));
      await store.flush();
      const files = (await readdir(dir)).filter((f) => f.endsWith('.png')).sort();
      assert.equal(files.length, 3);
      const lines = (await readFile(join(dir, 'manifest.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.map((l) => l.file),
        files,
      );
      assert.deepEqual(
        lines.map((l) => l.cloudLabel),
        [2, 3, 4],
      );
      const png = await sharp(join(dir, files[0]!)).raw().toBuffer({ resolveWithObject: true });
      assert.equal(png.info.width, 28);
      assert.equal(png.data[0], 2);
      assert.equal(store.stats().kept, 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('agent - the byte bound holds too', { timeout: 10_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cleave-hard-'));
    try {
      const store = await createHardExampleStore({ dir, maxItems: 100, maxBytes: 1 });
      store.add({ ...example(1), pixels: undefined } as never);
      await store.flush();
      assert.equal(store.stats().kept, 0);
      assert.equal(store.stats().bytes, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
