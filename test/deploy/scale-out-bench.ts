// Throughput of the tail service with 1 and with 3 `cleave serve` replicas on this machine, the
// offload client balancing over them with round_robin. Writes JSON to bench-results/.
//   npx tsx test/deploy/scale-out-bench.ts [--seconds 8] [--in-flight 256] [--streams 6] [--json FILE]
// All replicas and the client share this machine's cores, so the ratio shows the cost of
// balancing and of more processes on the same CPUs, not the gain of more machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeRealFrames } from '@cleave/bench';
import type { ServeProcess } from '@cleave/cli/serve-process';
import { createOffloadClient } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import { DEFAULT_BUNDLE } from '../support/shipped-bundles.js';
import { ROOT } from './k8s-support.js';
import {
  BUNDLE_DIR,
  driveClient,
  machine,
  servedCount,
  startReplica,
  staticTarget,
} from './scale-out-support.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    'in-flight': { type: 'string', default: '256' },
    streams: { type: 'string', default: '6' },
    json: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const inFlight = Number(values['in-flight']);
const streams = Number(values.streams);
const { frames } = await makeRealFrames(await loadBundle(BUNDLE_DIR), 1024);

async function measure(replicas: ServeProcess[]) {
  const client = createOffloadClient({
    target: replicas.length === 1 ? `127.0.0.1:${replicas[0]!.port}` : staticTarget(replicas),
    model: DEFAULT_BUNDLE,
    streams,
    maxQueuedWrites: 4096,
    keepaliveTimeMs: 30_000,
    keepaliveTimeoutMs: 10_000,
    maxMessageBytes: 4 * 1024 * 1024,
    maxStreamAgeMs: 60_000,
    channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
  });
  try {
    const before = await Promise.all(replicas.map(servedCount));
    const run = await driveClient(client, frames, { inFlight, seconds, warmupSeconds: 2 });
    const served = (await Promise.all(replicas.map(servedCount))).map((n, i) => n - before[i]!);
    const total = served.reduce((a, b) => a + b, 0);
    return { replicas: replicas.length, ...run, sharePerReplica: served.map((n) => n / total) };
  } finally {
    client.close();
  }
}

const replicas = await Promise.all([startReplica(), startReplica(), startReplica()]);
try {
  const one = await measure(replicas.slice(0, 1));
  const three = await measure(replicas);
  const report = {
    benchmark: 'scale-out',
    date: new Date().toISOString(),
    machine: machine(),
    bundle: DEFAULT_BUNDLE,
    setup: {
      serverWorkers: 1,
      inFlight,
      streams,
      seconds,
      balancing: 'round_robin',
      target: 'ipv4: static list',
    },
    one,
    three,
    ratio: three.throughputPerSec / one.throughputPerSec,
  };
  const file =
    values.json ?? join(ROOT, 'bench-results', `scale-out-${report.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `1 replica ${one.throughputPerSec.toFixed(0)}/s, 3 replicas ${three.throughputPerSec.toFixed(0)}/s ` +
      `(ratio ${report.ratio.toFixed(2)}; shares ${three.sharePerReplica.map((s) => (s * 100).toFixed(1)).join('/')} %) → ${file}`,
  );
} finally {
  await Promise.all(replicas.map((r) => r.stop('SIGTERM')));
}
