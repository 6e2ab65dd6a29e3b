// `cleave bench stream`: camera and video sources on this machine. On a clip that ffmpeg makes of
// 200 Fashion-MNIST test images (10 frames each at 30 fps), with an agent in this process:
//  1. the raw head rate (agent.infer one image at a time, cache off);
//  2. sustained frames per second with 1, 4 and 8 file sources played as fast as the cascade takes
//     them, skipping and cache off, against that rate measured just before, in --rounds rounds
//     (the median round is reported; goal: one source ≥ 80 % of the raw rate);
//  3. the same counts of live sources at 30 fps with skipping and cache on: frame age p50/p90/p99,
//     skipped, dropped, share answered on the device;
//  4. the skip threshold's effect on accuracy, on a copy of the clip with temporal noise;
//  5. with --overload-minutes N: one 30 fps source into a deliberately slow head for N minutes
//     (RSS fitted over time, frame age against 3 intervals + one inference, counts).
// Writes JSON (--json, default bench-results/stream-<date>.json) and prints a summary.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type AgentOptions, createAgent } from '@cleave/edge-agent';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR, REPO_ROOT } from './paths.js';
import { makeSlowHeadBundleFor } from './slow-head-bundle.js';
import { overloadRun, rawHeadRate, skipRun, streamRun } from './stream-bench-runs.js';
import { makeClip } from './stream-clip.js';

export const STREAM_GOALS = { oneSourceShareOfRaw: 0.8 } as const;

async function withAgent<T>(
  options: AgentOptions,
  run: (agent: Awaited<ReturnType<typeof createAgent>>) => Promise<T>,
) {
  const agent = await createAgent({ energy: { enabled: false }, ...options });
  try {
    return await run(agent);
  } finally {
    await agent.close();
  }
}

export async function benchStream(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      sources: { type: 'string', default: '1,4,8' },
      seconds: { type: 'string', default: '15' },
      rounds: { type: 'string', default: '3' },
      'skip-distances': { type: 'string', default: 'off,0,2,4,8,12,16' },
      noise: { type: 'string', default: '15' },
      'overload-minutes': { type: 'string', default: '0' },
      json: { type: 'string' },
    },
  });
  const counts = values.sources.split(',').map(Number);
  const seconds = Number(values.seconds);
  const bundleDir = join(values.models, values.bundle);
  const dir = mkdtempSync(join(tmpdir(), 'cleave-bench-stream-'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const data = await loadFashionMnist({ split: 'test', limit: 200 });
    const images = Array.from({ length: data.count }, (_, i) => imageAt(data, i));
    const clip = await makeClip(dir, images);
    const noisy = await makeClip(dir, images, { noise: Number(values.noise), name: 'noisy.mkv' });
    const edge = { bundleDir, mode: 'edge-only' as const };

    // The raw rate and each stream run alternate in rounds, and each run is read against the raw
    // rate measured just before it: other work on the machine moves both alike.
    const rounds = Number(values.rounds);
    const part = seconds / rounds;
    const noCache = { ...edge, stages: { cache: false } };
    const throughput = [];
    let raw = { inferences: 0, perSecond: 0 };
    for (const n of counts) {
      log(`${n} source(s), as fast as the cascade takes them, skipping off (${rounds} rounds)…`);
      const runs = [];
      for (let r = 0; r < rounds; r++) {
        const rawNow = await withAgent(noCache, (a) => rawHeadRate(a, images, part));
        const run = await withAgent(noCache, (a) =>
          streamRun(a, clip, {
            sources: n,
            seconds: part,
            spec: { rate: 'max', loop: true },
            skipDistance: null,
          }),
        );
        runs.push({
          rawPerSecond: rawNow.perSecond,
          ...run,
          shareOfRaw: run.framesPerSecondTotal / rawNow.perSecond,
        });
        if (n === counts[0] && r === 0) raw = rawNow;
      }
      const median = <T>(xs: T[], key: (x: T) => number) =>
        [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
      const mid = median(runs, (x) => x.shareOfRaw);
      throughput.push({
        ...mid,
        rounds: runs.map((x) => ({
          rawPerSecond: x.rawPerSecond,
          framesPerSecondTotal: x.framesPerSecondTotal,
          shareOfRaw: x.shareOfRaw,
        })),
      });
    }
    const live = [];
    for (const n of counts) {
      log(`${n} live source(s) at ${clip.fps} fps, skipping and cache on…`);
      live.push(
        await withAgent(edge, (a) =>
          streamRun(a, clip, { sources: n, seconds, spec: { rate: 1, loop: true }, skipDistance: 2 }),
        ),
      );
    }
    log('skip distance against accuracy (noisy clip)…');
    const distances = values['skip-distances'].split(',').map((d) => (d === 'off' ? null : Number(d)));
    const sweep = await withAgent({ ...edge, stages: { cache: false } }, async (a) => {
      const rows = [];
      for (const d of distances) rows.push(await skipRun(a, noisy, data.labels, d));
      const off = rows.find((r) => r.skipDistance === null) ?? rows[0]!;
      return rows.map(({ labels, ...r }) => ({
        ...r,
        agreementWithSkippingOff: labels.filter((l, i) => l === off.labels[i]).length / labels.length,
        accuracyChange: r.accuracy - off.accuracy,
      }));
    });
    const overloadMinutes = Number(values['overload-minutes']);
    let overload = null;
    if (overloadMinutes > 0) {
      log(`overload: ${overloadMinutes} min into a slowed head…`);
      const slow = await makeSlowHeadBundleFor(bundleDir, dir, (3 * 1000) / clip.fps);
      overload = await withAgent({ bundleDir: slow, mode: 'edge-only', stages: { cache: false } }, (a) =>
        overloadRun(a, clip, overloadMinutes),
      );
    }
    const one = throughput.find((t) => t.sources === 1);
    const result = {
      kind: 'stream',
      date: new Date().toISOString(),
      bundle: values.bundle,
      clip: {
        images: clip.images,
        framesPerImage: clip.framesPerImage,
        fps: clip.fps,
        noise: Number(values.noise),
      },
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
      // The load on the machine while it ran: other work on the cores shows here.
      loadAverage: loadavg(),
      seconds,
      // The first round's raw rate; each throughput row holds the raw rate of its own rounds.
      rawHead: raw,
      throughput,
      live,
      skipSweep: sweep,
      overload,
      goals: STREAM_GOALS,
      verdicts: {
        oneSourceShareOfRaw: one?.shareOfRaw ?? null,
        oneSourceMeetsGoal: one ? one.shareOfRaw >= STREAM_GOALS.oneSourceShareOfRaw : null,
      },
    };
    const out =
      values.json ?? join(REPO_ROOT, 'bench-results', `stream-${result.date.replace(/[:.]/g, '-')}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    const f = (x: number) => x.toFixed(1);
    const lines = [
      `raw head rate: ${f(raw.perSecond)} inferences/s`,
      ...throughput.map(
        (t) =>
          `${t.sources} source(s), skipping off: ${f(t.framesPerSecondPerSource)} frames/s each, ${f(t.framesPerSecondTotal)} in all = ${f(t.shareOfRaw * 100)}% of raw (${f(t.rawPerSecond)}/s; median of ${t.rounds.length} rounds)`,
      ),
      ...live.map(
        (l) =>
          `${l.sources} live source(s) at ${clip.fps} fps: age p50 ${l.frameAgeMs.p50} ms, p99 ${l.frameAgeMs.p99} ms; device share ${f((l.deviceShare ?? 0) * 100)}%; dropped ${l.counts.dropped}/${l.counts.in}`,
      ),
      ...sweep.map(
        (r) =>
          `skip ${r.skipDistance ?? 'off'}: skipped ${f(r.skippedShare * 100)}%, accuracy ${f(r.accuracy * 100)}% (${f(r.accuracyChange * 100)} pt)`,
      ),
      ...(overload
        ? [
            `overload ${overloadMinutes} min: age p99 ${overload.frameAgeMs.p99} ms (bound ${f(overload.boundMs)} ms), dropped ${f(overload.droppedShare * 100)}%, RSS growth ${f(overload.rss.growth.fitted * 100)}%, counts add up: ${overload.countsAddUp}`,
          ]
        : []),
      `written to ${out}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
