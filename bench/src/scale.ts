// Scale: N virtual agents (each its own connection and InferStream, as separate devices would
// be) against one `cleave serve` on loopback, with dynamic batching on and off. Each agent keeps
// `inFlightPerAgent` requests in flight for `seconds`, sending real frames (the bundle's head on
// test images, the agent's codec). The load generator is serve-load's driveAgents.
import { join } from 'node:path';
import { loadBundle } from '@cleave/models';
import { type CleaveLauncher, startAll } from './children.js';
import { makeRealFrames } from './real-frames.js';
import type { ScaleRun } from './results-schema.js';
import { driveAgents } from './serve-load.js';

export async function runScale(o: {
  cleave: CleaveLauncher;
  modelsDir: string;
  bundle: string;
  agents: readonly number[];
  seconds: number;
  inFlightPerAgent: number;
  /** Load before each N's clock starts; null: 1 s, 3 s from 100 agents on. */
  warmupSeconds: number | null;
  log: (line: string) => void;
}): Promise<ScaleRun[]> {
  const bundle = await loadBundle(join(o.modelsDir, o.bundle));
  const m = bundle.manifest;
  // One server per batching mode, both started at once (while the frames are made); each is
  // measured with the other idle or stopped.
  const modes = [true, false];
  const starting = startAll(
    modes.map((batching) =>
      o.cleave.startServe([
        '--models',
        o.modelsDir,
        '--model',
        m.name,
        ...(batching ? [] : ['--no-batching']),
      ]),
    ),
  );
  let frames: Uint8Array[];
  try {
    ({ frames } = await makeRealFrames(bundle, 512));
  } catch (error) {
    await Promise.all((await starting).map((s) => s.stop()));
    throw error;
  }
  const servers = await starting;
  const runs: ScaleRun[] = [];
  try {
    for (const [i, batching] of modes.entries()) {
      const server = servers[i]!;
      for (const agents of o.agents) {
        const r = await driveAgents({
          port: server.port,
          model: `${m.name}@${m.version}`,
          frames,
          agents,
          inFlightPerAgent: o.inFlightPerAgent,
          seconds: o.seconds,
          // Connections to open before the clock starts: a thousand take a moment.
          warmupSeconds: o.warmupSeconds ?? (agents >= 100 ? 3 : 1),
          ...(server.httpPort ? { metricsUrl: `http://127.0.0.1:${server.httpPort}/metrics` } : {}),
        });
        runs.push({ ...r, batching });
        o.log(
          `scale: ${agents} agents, batching ${batching ? 'on' : 'off'}: ${r.throughputPerSec.toFixed(0)}/s, p99 ${r.latencyMs.p99.toFixed(1)} ms, ${r.errors} errors`,
        );
      }
      await server.stop(); // gone before the next mode is measured
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return runs;
}
