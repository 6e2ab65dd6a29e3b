// Tail replicas on loopback for the scale-out test and benchmark: real `cleave serve` processes,
// their request counters read from /metrics, and a load driver for the offload client.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type ServeProcess, startServeProcess } from '@cleave/cli/serve-process';
import type { OffloadClient } from '@cleave/edge-agent';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

export const BUNDLE_DIR = join(MODELS_DIR, DEFAULT_BUNDLE);

/** One tail worker each: three replicas already oversubscribe two cores. */
export function startReplica(extra: string[] = []): Promise<ServeProcess> {
  return startServeProcess(['--models', MODELS_DIR, '--model', DEFAULT_BUNDLE, '--workers', '1', ...extra]);
}

/** A static resolver list, which grpc-js balances like the addresses of one DNS name. */
export const staticTarget = (replicas: readonly ServeProcess[]) =>
  `ipv4:${replicas.map((r) => `127.0.0.1:${r.port}`).join(',')}`;

/** Σ cleave_server_requests_total{outcome="success"} from a replica's /metrics. */
export async function servedCount(replica: ServeProcess): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${replica.httpPort}/metrics`, {
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cleave_server_requests_total{') && line.includes('outcome="success"')) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

export interface LoadRun {
  seconds: number;
  answered: number;
  errors: number;
  throughputPerSec: number;
}

/** `inFlight` loops send real frames for `seconds` after a warm-up; answers per second. */
export async function driveClient(
  client: OffloadClient,
  frames: readonly Uint8Array[],
  options: { inFlight: number; seconds: number; warmupSeconds: number },
): Promise<LoadRun> {
  let answered = 0;
  let errors = 0;
  let measuring = false;
  const loop = async (k: number, until: number) => {
    for (let i = k; performance.now() < until; i += options.inFlight) {
      try {
        await client.infer(frames[i % frames.length]!, 10_000);
        if (measuring) answered++;
      } catch {
        if (measuring) errors++;
      }
    }
  };
  const run = (ms: number) =>
    Promise.all(Array.from({ length: options.inFlight }, (_, k) => loop(k, performance.now() + ms)));
  await run(options.warmupSeconds * 1000);
  measuring = true;
  const start = performance.now();
  await run(options.seconds * 1000);
  const seconds = (performance.now() - start) / 1000;
  return { seconds, answered, errors, throughputPerSec: answered / seconds };
}

export const machine = () => ({ cpus: availableParallelism(), node: process.version });
