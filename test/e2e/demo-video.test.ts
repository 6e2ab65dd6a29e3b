// cleave-test: light (a clip played at its frame rate; no timing asserted)
// `cleave demo --video`: ffmpeg makes a clip of 100 test images and it streams through the whole
// path (ffmpeg decoding, latest-wins queue, skipping, cascade, tail server) in one command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { VideoReport } from '@cleave/cli/demo-video';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'bin', 'cleave.js');

describe('demo - cleave demo --video', { timeout: 120_000 }, () => {
  it('demo - a clip of 100 images streams through, counted and mostly skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-demo-video-'));
    try {
      const json = join(dir, 'report.json');
      const r = spawnSync(process.execPath, [CLI, 'demo', '--video', '--limit', '100', '--json', json], {
        encoding: 'utf8',
        timeout: 100_000,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Video stream: 100 test images/);
      const { video } = JSON.parse(readFileSync(json, 'utf8')) as { video: VideoReport };
      const c = video.counts;
      assert.equal(video.frames, 1000);
      assert.equal(c.in, 1000);
      assert.equal(c.in, c.answered + c.skipped + c.dropped + c.failed);
      assert.equal(c.failed, 0);
      assert.ok(video.imagesAnswered >= 95, `images answered: ${video.imagesAnswered}`);
      assert.ok(video.skipOrCacheShare >= 0.8, `skip or cache: ${video.skipOrCacheShare}`);
      assert.ok(video.frameAccuracy > 0.8, `frame accuracy: ${video.frameAccuracy}`);
      assert.ok(video.frameAgeMs.p50 >= 0 && video.frameAgeMs.p99 >= video.frameAgeMs.p50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
