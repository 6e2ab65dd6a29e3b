// `cleave bench soak` (npm run bench:soak): a `cleave serve` process and an agent in this process,
// fed the test set round and round for a fixed time. Samples the server's and the agent's RSS and
// this process's event-loop delay; counts every request sent and every answer. After a warm-up,
// RSS should grow less than 10%, no request may be lost, and the event-loop delay p99 stays low.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { createAgent } from '@cleave/edge-agent';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR, REPO_ROOT } from '../paths.js';
import { startServeProcess } from '../serve-process.js';

const rssMb = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
};

export async function benchSoak(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      minutes: { type: 'string', default: '10' },
      'warmup-minutes': { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '16' },
      json: { type: 'string' },
    },
  });
  const totalMs = Number(values.minutes) * 60_000;
  const warmupMs = Number(values['warmup-minutes']) * 60_000;
  const concurrency = Number(values.concurrency);
  const server = await startServeProcess(['--models', values.models, '--model', values.bundle, '--no-http']);
  const agent = await createAgent({
    bundleDir: join(values.models, values.bundle),
    cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 5000 },
    // A soak must not be answered from the cache: every request goes through the pipeline.
    stages: { cache: false },
  });
  const data = await loadFashionMnist({ split: 'test' });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const samples: { t: number; serverRssMb: number; agentRssMb: number; answered: number }[] = [];
  let sent = 0;
  let answered = 0;
  let degraded = 0;
  let failed = 0;
  const start = performance.now();
  let measuringDelay = false;
  const sampler = setInterval(() => {
    samples.push({
      t: (performance.now() - start) / 1000,
      serverRssMb: rssMb(server.child.pid!),
      agentRssMb: process.memoryUsage().rss / 2 ** 20,
      answered,
    });
    if (!measuringDelay && performance.now() - start >= warmupMs) {
      measuringDelay = delay.enable();
    }
  }, 5000);
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, lane) => {
        for (let i = lane; performance.now() - start < totalMs; i += concurrency) {
          sent++;
          try {
            const a = await agent.infer({ kind: 'pixels', data: imageAt(data, i % data.count) });
            answered++;
            if (a.degraded) degraded++;
          } catch {
            failed++;
          }
        }
      }),
    );
  } finally {
    clearInterval(sampler);
    delay.disable();
    await agent.close();
    await server.stop();
  }
  const afterWarmup = samples.filter((s) => s.t * 1000 >= warmupMs);
  const growth = (key: 'serverRssMb' | 'agentRssMb') => {
    const first = afterWarmup[0]?.[key] ?? Number.NaN;
    const last = afterWarmup.at(-1)?.[key] ?? Number.NaN;
    return (last - first) / first;
  };
  const result = {
    benchmark: 'soak',
    date: new Date().toISOString(),
    bundle: values.bundle,
    minutes: Number(values.minutes),
    warmupMinutes: Number(values['warmup-minutes']),
    concurrency,
    sent,
    answered,
    lost: sent - answered - failed,
    failed,
    degraded,
    throughputPerSec: answered / (totalMs / 1000),
    rssGrowthAfterWarmup: { server: growth('serverRssMb'), agent: growth('agentRssMb') },
    eventLoopDelayMs: {
      p50: delay.percentile(50) / 1e6,
      p99: delay.percentile(99) / 1e6,
      max: delay.max / 1e6,
    },
    goals: { rssGrowth: 0.1, lost: 0, eventLoopP99Ms: 50 },
    samples,
  };
  const out =
    values.json ?? join(REPO_ROOT, 'bench-results', `soak-${result.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  process.stdout.write(
    `soak ${result.minutes} min: sent ${sent}, answered ${answered}, lost ${result.lost}, failed ${failed}, degraded ${degraded}\n` +
      `RSS growth after warm-up: server ${pct(result.rssGrowthAfterWarmup.server)}, agent ${pct(result.rssGrowthAfterWarmup.agent)} (goal < 10%)\n` +
      `event-loop delay p99 ${result.eventLoopDelayMs.p99.toFixed(1)} ms (goal < 50 ms)\nwritten to ${out}\n`,
  );
  return 0;
}
