// `cleave bench soak` (npm run soak): a `cleave serve` process and an agent in this process, fed
// the test set round and round in two segments: --fault-free-minutes with nothing injected, then
// --kill-minutes in which every --fault-every-s seconds the server is SIGKILLed and started again
// on the same port. Samples the server's and the agent's RSS every 5 s and this process's
// event-loop delay; counts every request sent and every answer. RSS growth is fitted over the
// fault-free segment after warm-up (soak-growth.ts), peaks under kills are read against it, no
// request may be lost, and the event-loop delay p99 stays low.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { createAgent } from '@cleave/edge-agent';
import type { StartServe } from './children.js';
import { DEFAULT_BUNDLE, DEFAULT_MODELS_DIR, REPO_ROOT } from './paths.js';
import { judgeSoak, type SoakSample } from './soak-growth.js';

const rssMb = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
};

/** `cleave bench soak`; `startServe` starts `cleave serve` (the CLI's own process). */
export async function benchSoak(argv: string[], startServe: StartServe): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string', default: DEFAULT_BUNDLE },
      models: { type: 'string', default: DEFAULT_MODELS_DIR },
      'fault-free-minutes': { type: 'string', default: '10' },
      'kill-minutes': { type: 'string', default: '5' },
      'warmup-minutes': { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '16' },
      'fault-every-s': { type: 'string', default: '60' },
      json: { type: 'string' },
    },
  });
  const faultFreeMs = Number(values['fault-free-minutes']) * 60_000;
  const totalMs = faultFreeMs + Number(values['kill-minutes']) * 60_000;
  const warmupMs = Number(values['warmup-minutes']) * 60_000;
  const concurrency = Number(values.concurrency);
  const serveArgs = ['--models', values.models, '--model', values.bundle, '--no-http'];
  let server = await startServe(serveArgs);
  const port = server.port;
  const faultEveryMs = Number(values['fault-every-s']) * 1000;
  const faults: { t: number; kind: string; downMs: number }[] = [];
  const agent = await createAgent({
    bundleDir: join(values.models, values.bundle),
    cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 5000 },
    // A soak must not be answered from the cache: every request goes through the pipeline.
    stages: { cache: false },
  });
  const data = await loadFashionMnist({ split: 'test' });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  const samples: SoakSample[] = [];
  let sent = 0;
  let answered = 0;
  let degraded = 0;
  let failed = 0;
  const start = performance.now();
  let measuringDelay = false;
  const sampler = setInterval(() => {
    const pid = server.child.pid!;
    let serverRssMb = Number.NaN;
    try {
      serverRssMb = rssMb(pid);
    } catch {
      // Between a kill and the restart there is no server to measure.
    }
    const t = (performance.now() - start) / 1000;
    samples.push({
      t,
      segment: t * 1000 < faultFreeMs ? 'fault-free' : 'kills',
      serverPid: pid,
      serverRssMb,
      agentRssMb: process.memoryUsage().rss / 2 ** 20,
      answered,
    });
    if (!measuringDelay && performance.now() - start >= warmupMs) {
      measuringDelay = delay.enable();
    }
  }, 5000);
  // Faults, after the fault-free segment: kill the server, wait, start it again on the same port
  // (agents reconnect).
  let stopFaults = false;
  const faulting = (async () => {
    if (!(faultEveryMs > 0)) return;
    for (
      let next = faultFreeMs + faultEveryMs;
      !stopFaults && performance.now() - start + 5000 < totalMs;
      next += faultEveryMs
    ) {
      while (!stopFaults && performance.now() - start < next) await new Promise((r) => setTimeout(r, 200));
      if (stopFaults) return;
      const down = performance.now();
      await server.stop('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      server = await startServe([...serveArgs, '--port', String(port)]);
      faults.push({
        t: (down - start) / 1000,
        kind: 'server SIGKILL + restart',
        downMs: performance.now() - down,
      });
    }
  })();
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
    stopFaults = true;
    await faulting;
    clearInterval(sampler);
    delay.disable();
    await agent.close();
    await server.stop();
  }
  const memory = judgeSoak(samples, warmupMs / 1000, 20);
  const result = {
    benchmark: 'soak',
    date: new Date().toISOString(),
    bundle: values.bundle,
    faultFreeMinutes: Number(values['fault-free-minutes']),
    killMinutes: Number(values['kill-minutes']),
    faultEveryS: faultEveryMs / 1000,
    warmupMinutes: Number(values['warmup-minutes']),
    concurrency,
    sent,
    answered,
    lost: sent - answered - failed,
    failed,
    degraded,
    faults,
    throughputPerSec: answered / (totalMs / 1000),
    memory,
    maxRssMb: {
      server: Math.max(...samples.map((x) => x.serverRssMb).filter(Number.isFinite)),
      agent: Math.max(...samples.map((x) => x.agentRssMb)),
    },
    // The load on the machine while it ran: other work on the cores shows here.
    loadAverage: loadavg(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    eventLoopDelayMs: {
      p50: delay.percentile(50) / 1e6,
      p99: delay.percentile(99) / 1e6,
      max: delay.max / 1e6,
    },
    goals: { lost: 0, eventLoopP99Ms: 50 },
    samples,
  };
  const out =
    values.json ?? join(REPO_ROOT, 'bench-results', `soak-${result.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  process.stdout.write(
    `soak ${result.faultFreeMinutes} min fault-free + ${result.killMinutes} min with kills: sent ${sent}, answered ${answered}, lost ${result.lost}, failed ${failed}, degraded ${degraded}, ${faults.length} server kills\n` +
      `fault-free RSS growth (fitted): server ${pct(memory.faultFree.server.fitted)}, agent ${pct(memory.faultFree.agent.fitted)} (goal < ${pct(memory.goals.faultFreeGrowth)}); ` +
      `peaks under kills over the fault-free start: server ≤ ${pct(memory.kills.worstServerPeakOverFaultFreeStart)}, agent ${pct(memory.kills.agentPeakOverFaultFreeStart)} (goal < ${pct(memory.goals.peakUnderKills)})\n` +
      `event-loop delay p99 ${result.eventLoopDelayMs.p99.toFixed(1)} ms (goal < 50 ms)\nwritten to ${out}\n`,
  );
  return 0;
}
