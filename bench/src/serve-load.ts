// Load for `cleave bench serve`: N agents, each an offload client on its own connection, each
// keeping K requests in flight on its InferStream, sending real frames for a fixed time.
import { createOffloadClient, type OffloadClient } from '@cleave/edge-agent';
import { percentile } from './percentile.js';
import { type CpuTime, processCpuTime, threadCpuTimes, threadSplit } from './serve-cpu.js';

export interface ServedRun {
  agents: number;
  inFlightPerAgent: number;
  seconds: number;
  answered: number;
  errors: number;
  throughputPerSec: number;
  latencyMs: { p50: number; p99: number };
  /** From the server's cleave_server_batch_size histogram over the measured window. */
  meanBatchSize: number | null;
  /** Requests per gRPC message the agents wrote, and answers per message they read (bundles). */
  perMessage: { requests: number; answers: number };
  /**
   * CPU time per answered request while measuring (/proc): this process (the agents), the server
   * (all threads), and the server's main thread alone (gRPC, frame decoding, batching, answers; the
   * rest is the session workers' inference, GC and libuv threads).
   */
  cpuUsPerRequest: { agents: number; server: number | null; serverMainThread: number | null };
  /**
   * The server's threads besides the main one, per answered request (threadSplit): the tail
   * workers (the `tailWorkers` busiest threads), and the rest (V8's GC and compiler threads,
   * libuv). Absent in runs made before 2026-12-07 and without a server pid.
   */
  serverThreadsCpuUsPerRequest?: { tailWorkers: number; other: number };
  /** Of cpuUsPerRequest, the kernel's share (system time: syscalls, loopback TCP). */
  systemCpuUsPerRequest: { server: number | null; serverMainThread: number | null };
}

/** Sum and count of the server's batch-size histogram, summed over its series. */
export async function scrapeBatchSizes(url: string): Promise<{ sum: number; count: number } | null> {
  try {
    const text = await (await fetch(url)).text();
    const total = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    return { sum: total('cleave_server_batch_size_sum'), count: total('cleave_server_batch_size_count') };
  } catch {
    return null;
  }
}

/** The agents' gRPC messages and the requests and answers in them, summed. */
function messageCounts(clients: readonly OffloadClient[]) {
  const n = { sent: 0, requests: 0, received: 0, answers: 0 };
  for (const c of clients) {
    const { sent, received } = c.stats();
    n.sent += sent.messages;
    n.requests += sent.requests;
    n.received += received.messages;
    n.answers += received.answers;
  }
  return n;
}

/** CPU time between two readings per request: user + system, or system alone. */
function perRequest(
  a: CpuTime | null,
  b: CpuTime | null,
  n: number,
  part: 'total' | 'system',
): number | null {
  if (a === null || b === null) return null;
  const system = b.systemUs - a.systemUs;
  return (part === 'system' ? system : b.userUs - a.userUs + system) / n;
}

export async function driveAgents(options: {
  port: number;
  model: string;
  frames: readonly Uint8Array[];
  agents: number;
  inFlightPerAgent: number;
  /** The agents bundle a turn's requests once the server takes bundles (default true). */
  bundle?: boolean;
  seconds: number;
  warmupSeconds?: number;
  /**
   * Runs once the warm-up's requests are all answered, before the measured window: with the
   * server idle (serve-bench.ts measures the raw tail here, on the server's cores).
   */
  afterWarmup?: () => Promise<void>;
  /** The server's process id, to report its CPU time per request. */
  serverPid?: number;
  /** How many of the server's threads run the tail (its workers), for serverThreadsCpuUsPerRequest. */
  tailWorkers?: number;
  /**
   * The server's Prometheus endpoint, for the mean batch size while measuring (the compact
   * answer carries no batch size); without it meanBatchSize is null.
   */
  metricsUrl?: string;
}): Promise<ServedRun> {
  const { frames, agents, inFlightPerAgent } = options;
  const clients = Array.from({ length: agents }, () =>
    createOffloadClient({
      target: `127.0.0.1:${options.port}`,
      model: options.model,
      maxQueuedWrites: inFlightPerAgent * 2,
      bundle: options.bundle ?? true,
      keepaliveTimeMs: 30_000,
      keepaliveTimeoutMs: 10_000,
      maxMessageBytes: 4 * 1024 * 1024,
      // grpc-js shares one connection between clients of the same target and options; real
      // agents are separate devices, so each gets its own.
      channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  async function lane(client: (typeof clients)[number], k: number, until: number): Promise<void> {
    let i = k;
    while (performance.now() < until) {
      const t = performance.now();
      try {
        await client.infer(frames[i % frames.length]!, 30_000);
        if (measuring) latencies.push(performance.now() - t);
      } catch {
        if (measuring) errors++;
      }
      i += agents * inFlightPerAgent;
    }
  }
  const lanes = (until: number) =>
    clients.flatMap((c, a) =>
      Array.from({ length: inFlightPerAgent }, (_, j) => lane(c, a * inFlightPerAgent + j, until)),
    );
  await Promise.all(lanes(performance.now() + (options.warmupSeconds ?? 1) * 1000));
  await options.afterWarmup?.();
  // The server's batch sizes are scraped outside the CPU readings: a scrape costs the server's main
  // thread about 2 ms (7 ms the first time), which is the benchmark's cost, not the requests'.
  const batch0 = options.metricsUrl ? await scrapeBatchSizes(options.metricsUrl) : null;
  measuring = true;
  const cpu0 = process.cpuUsage();
  const pid = options.serverPid;
  const server0 = pid ? processCpuTime(pid) : null;
  const main0 = pid ? processCpuTime(pid, pid) : null;
  const threads0 = pid ? threadCpuTimes(pid) : null;
  const messages0 = messageCounts(clients);
  const start = performance.now();
  await Promise.all(lanes(start + options.seconds * 1000));
  const seconds = (performance.now() - start) / 1000;
  measuring = false;
  const messages1 = messageCounts(clients);
  const cpu = process.cpuUsage(cpu0);
  const server1 = pid ? processCpuTime(pid) : null;
  const main1 = pid ? processCpuTime(pid, pid) : null;
  const threads1 = pid ? threadCpuTimes(pid) : null;
  const batch1 = options.metricsUrl ? await scrapeBatchSizes(options.metricsUrl) : null;
  const n = Math.max(1, latencies.length);
  const split =
    pid && threads0 && threads1 && options.tailWorkers !== undefined
      ? threadSplit(pid, threads0, threads1, options.tailWorkers)
      : null;
  for (const c of clients) c.close();
  latencies.sort((a, b) => a - b);
  return {
    agents,
    inFlightPerAgent,
    seconds,
    answered: latencies.length,
    errors,
    throughputPerSec: latencies.length / seconds,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    meanBatchSize:
      batch0 && batch1 ? (batch1.sum - batch0.sum) / Math.max(1, batch1.count - batch0.count) : null,
    perMessage: {
      requests: (messages1.requests - messages0.requests) / Math.max(1, messages1.sent - messages0.sent),
      answers: (messages1.answers - messages0.answers) / Math.max(1, messages1.received - messages0.received),
    },
    cpuUsPerRequest: {
      agents: (cpu.user + cpu.system) / n,
      server: perRequest(server0, server1, n, 'total'),
      serverMainThread: perRequest(main0, main1, n, 'total'),
    },
    systemCpuUsPerRequest: {
      server: perRequest(server0, server1, n, 'system'),
      serverMainThread: perRequest(main0, main1, n, 'system'),
    },
    ...(split
      ? { serverThreadsCpuUsPerRequest: { tailWorkers: split.busiestUs / n, other: split.restUs / n } }
      : {}),
  };
}
