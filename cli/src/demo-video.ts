// `cleave demo --video`: ffmpeg makes a short clip of test images (each held 10 frames at 30 fps),
// and the clip runs through the agent as a stream source: ffmpeg decoding, the latest-wins queue,
// temporal skipping, the cascade and the tail server. The report says how each frame was answered,
// the frame age, and the accuracy against the images' labels.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClip, percentile } from '@cleave/bench';
import type { ImageSet } from '@cleave/dataset';
import { imageAt } from '@cleave/dataset';
import { type Agent, createStreamHub, type StreamEvent } from '@cleave/edge-agent';

export interface VideoReport {
  images: number;
  frames: number;
  fps: number;
  rate: number;
  wallSeconds: number;
  counts: { in: number; answered: number; skipped: number; dropped: number; failed: number };
  answeredBy: Record<string, number>;
  /** Share of the answered frames answered without running the head (skip or cache). */
  skipOrCacheShare: number;
  /** Frames whose label is the label of the image they show. */
  frameAccuracy: number;
  /** Images with at least one answered frame. */
  imagesAnswered: number;
  frameAgeMs: { p50: number; p90: number; p99: number };
}

export async function runVideoDemo(
  agent: Agent,
  data: ImageSet,
  options: { images: number; rate: number; skipDistance: number | null },
): Promise<VideoReport> {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-demo-video-'));
  try {
    const n = Math.min(options.images, data.count);
    const clip = await makeClip(
      dir,
      Array.from({ length: n }, (_, i) => imageAt(data, i)),
    );
    const hub = createStreamHub(agent, [{ id: 'video', url: clip.path, rate: options.rate }], {
      skipDistance: options.skipDistance,
    });
    const events: StreamEvent[] = [];
    hub.onEvent((e) => events.push(e));
    const started = performance.now();
    await hub.settled();
    const wallSeconds = (performance.now() - started) / 1000;
    await hub.close();
    const s = hub.stats()[0]!;
    if (s.state === 'failed') throw new Error(`the video source failed: ${s.lastError?.message}`);
    const answeredBy: Record<string, number> = {};
    for (const e of events) answeredBy[e.answeredBy] = (answeredBy[e.answeredBy] ?? 0) + 1;
    const image = (e: StreamEvent) => Math.floor(e.frame / clip.framesPerImage);
    const ages = events.map((e) => e.frameAgeMs).sort((a, b) => a - b);
    return {
      images: n,
      frames: clip.frames,
      fps: clip.fps,
      rate: options.rate,
      wallSeconds,
      counts: { in: s.in, answered: s.answered, skipped: s.skipped, dropped: s.dropped, failed: s.failed },
      answeredBy,
      skipOrCacheShare: ((answeredBy.skip ?? 0) + (answeredBy.cache ?? 0)) / Math.max(1, events.length),
      frameAccuracy:
        events.filter((e) => e.label === data.labels[image(e)]).length / Math.max(1, events.length),
      imagesAnswered: new Set(events.map(image)).size,
      frameAgeMs: { p50: percentile(ages, 50), p90: percentile(ages, 90), p99: percentile(ages, 99) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatVideoReport(r: VideoReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const by = Object.entries(r.answeredBy)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    '',
    `Video stream: ${r.images} test images × 10 frames at ${r.fps} fps (${r.frames} frames), made by ffmpeg, played at ${r.rate}× in ${r.wallSeconds.toFixed(1)} s`,
    `  frames in ${r.counts.in}: answered by the cascade ${r.counts.answered}, skipped (unchanged) ${r.counts.skipped}, dropped (latest wins) ${r.counts.dropped}, failed ${r.counts.failed}`,
    `  answered by: ${by}; by skip or cache: ${pct(r.skipOrCacheShare)}`,
    `  images answered: ${r.imagesAnswered}/${r.images}; frame accuracy: ${pct(r.frameAccuracy)}`,
    `  frame age (capture → answer): p50 ${r.frameAgeMs.p50} ms, p90 ${r.frameAgeMs.p90} ms, p99 ${r.frameAgeMs.p99} ms`,
    '',
  ].join('\n');
}
