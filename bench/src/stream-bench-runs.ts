// The runs of `cleave bench stream`, each on an agent in this process fed by real ffmpeg sources:
// the raw head rate, sustained frames per second with N sources (skipping off), live sources at
// their own frame rate (frame age), the skip threshold's effect on accuracy, and the overload soak.
import { readFileSync } from 'node:fs';
import { type Agent, createStreamHub, type SourceSpecInput, type StreamEvent } from '@cleave/edge-agent';
import { percentile } from './percentile.js';
import { fitGrowth } from './soak-growth.js';
import type { Clip } from './stream-clip.js';

export interface AgePercentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function agePercentiles(values: number[]): AgePercentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** agent.infer on the clip's images, one at a time, for `seconds`: what one source could reach. */
export async function rawHeadRate(agent: Agent, images: Uint8Array[], seconds: number) {
  // The same first second of warm-up as a stream run gets (JIT, the session's first runs).
  const warm = performance.now();
  for (let i = 0; performance.now() - warm < 1000; i++) {
    await agent.infer({ kind: 'pixels', data: images[i % images.length]! });
  }
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await agent.infer({ kind: 'pixels', data: images[n % images.length]! });
    n++;
  }
  return { inferences: n, perSecond: n / ((performance.now() - start) / 1000) };
}

interface RunOptions {
  sources: number;
  seconds: number;
  /** Per-source spec fields (rate, loop…). */
  spec: Omit<SourceSpecInput, 'id' | 'url'>;
  skipDistance: number | null;
}

/** N sources on the clip for `seconds`: per-source counts and rates, frame age, device share. */
export async function streamRun(agent: Agent, clip: Clip, options: RunOptions) {
  const specs = Array.from({ length: options.sources }, (_, i) => ({
    id: `s${i + 1}`,
    url: clip.path,
    ...options.spec,
  }));
  const hub = createStreamHub(agent, specs, { skipDistance: options.skipDistance });
  const events: StreamEvent[] = [];
  hub.onEvent((e) => events.push(e));
  // The first second warms the sessions and fills the pipes; it is not counted.
  await sleep(1000);
  const at0 = hub.stats();
  const t0 = performance.now();
  const from = events.length;
  await sleep(options.seconds * 1000);
  const at1 = hub.stats();
  const elapsed = (performance.now() - t0) / 1000;
  await hub.close();
  const counted = events.slice(from);
  const perSource = at1.map((s, i) => {
    const b = at0[i]!;
    const ages = counted.filter((e) => e.source === s.id).map((e) => e.frameAgeMs);
    return {
      id: s.id,
      inPerSecond: (s.in - b.in) / elapsed,
      answeredPerSecond: (s.answered - b.answered) / elapsed,
      skippedPerSecond: (s.skipped - b.skipped) / elapsed,
      droppedPerSecond: (s.dropped - b.dropped) / elapsed,
      framesPerSecond: (s.answered + s.skipped - b.answered - b.skipped) / elapsed,
      frameAgeMs: agePercentiles(ages),
    };
  });
  const final = hub.stats();
  const sum = (f: (s: (typeof final)[number]) => number) => final.reduce((a, s) => a + f(s), 0);
  const byAnswer: Record<string, number> = {};
  for (const e of counted) byAnswer[e.answeredBy] = (byAnswer[e.answeredBy] ?? 0) + 1;
  const device = counted.filter((e) => ['skip', 'cache', 'exit', 'dual'].includes(e.answeredBy)).length;
  return {
    sources: options.sources,
    seconds: elapsed,
    framesPerSecondTotal: perSource.reduce((a, s) => a + s.framesPerSecond, 0),
    framesPerSecondPerSource: perSource.reduce((a, s) => a + s.framesPerSecond, 0) / options.sources,
    frameAgeMs: agePercentiles(counted.map((e) => e.frameAgeMs)),
    answeredBy: byAnswer,
    deviceShare: counted.length > 0 ? device / counted.length : null,
    // Over the whole run (after close: nothing left waiting), the books balance.
    counts: {
      in: sum((s) => s.in),
      answered: sum((s) => s.answered),
      skipped: sum((s) => s.skipped),
      dropped: sum((s) => s.dropped),
      failed: sum((s) => s.failed),
    },
    perSource,
  };
}

/**
 * One source played as fast as the cascade takes it (nothing dropped) with skip distance `d`:
 * the share skipped, the accuracy against the images' labels, and agreement with skipping off.
 */
export async function skipRun(agent: Agent, clip: Clip, labels: Uint8Array, d: number | null) {
  const hub = createStreamHub(agent, [{ id: 'sweep', url: clip.path, rate: 'max' }], { skipDistance: d });
  const events: StreamEvent[] = [];
  hub.onEvent((e) => events.push(e));
  await hub.settled();
  await hub.close();
  const s = hub.stats()[0]!;
  const truth = (e: StreamEvent) => labels[Math.floor(e.frame / clip.framesPerImage)]!;
  const correct = events.filter((e) => e.label === truth(e)).length;
  return {
    skipDistance: d,
    frames: events.length,
    skipped: s.skipped,
    skippedShare: s.skipped / events.length,
    accuracy: correct / events.length,
    labels: events.map((e) => e.label),
  };
}

function rssMb(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

/**
 * The overload soak: one live source at its own rate into a head slower than its frame interval,
 * skipping off, for `minutes`; RSS every 5 s (fitted growth after a minute of warm-up), frame age
 * against 3 intervals plus one inference, and the counts.
 */
export async function overloadRun(agent: Agent, clip: Clip, minutes: number) {
  const hub = createStreamHub(agent, [{ id: 'cam', url: clip.path, rate: 1, loop: true }], {
    skipDistance: null,
  });
  const ages: number[] = [];
  const waits: number[] = [];
  const inference: number[] = [];
  const start = performance.now();
  hub.onEvent((e) => {
    if (performance.now() - start < 5000) return;
    ages.push(e.frameAgeMs);
    waits.push(e.frameAgeMs - e.inferenceMs);
    inference.push(e.inferenceMs);
  });
  const samples: Array<{ t: number; mb: number }> = [];
  const sampler = setInterval(
    () => samples.push({ t: (performance.now() - start) / 1000, mb: rssMb() }),
    5000,
  );
  await sleep(minutes * 60_000);
  clearInterval(sampler);
  await hub.close();
  const s = hub.stats()[0]!;
  const interval = 1000 / clip.fps;
  const inf = agePercentiles(inference);
  const age = agePercentiles(ages);
  const warm = samples.filter((x) => x.t >= 60);
  return {
    minutes,
    frameIntervalMs: interval,
    inferenceMs: inf,
    frameAgeMs: age,
    waitMs: agePercentiles(waits),
    boundMs: 3 * interval + inf.p99,
    ageP99UnderBound: age.p99 < 3 * interval + inf.p99,
    counts: { in: s.in, answered: s.answered, skipped: s.skipped, dropped: s.dropped, failed: s.failed },
    countsAddUp: s.in === s.answered + s.skipped + s.dropped + s.failed,
    droppedShare: s.dropped / s.in,
    rss: { growth: fitGrowth(warm), samples },
  };
}
