// A real nats-server with JetStream on 127.0.0.1 for tests: a free port, a store folder of the
// test's own, readiness by the server's log line, and stop/kill/restart on the same port and
// store (what a crash and a restart look like to the fleet).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? 'nats-server';

export interface NatsServer {
  readonly port: number;
  readonly url: string;
  readonly storeDir: string;
  /** SIGKILL, no goodbye: what a crash looks like. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops it and removes the store folder (unless it was given). */
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function launch(port: number, storeDir: string, extraArgs: string[]): Promise<ChildProcess> {
  const child = spawn(
    NATS_SERVER_BIN,
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...extraArgs],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server did not start within 15 s:\n${log}`));
    }, 15_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (log.length < 20_000) log += chunk;
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', () => r()));

export async function startNatsServer(
  options: { storeDir?: string; args?: string[] } = {},
): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'cleave-nats-'));
  const args = options.args ?? [];
  let child: ChildProcess | undefined = await launch(port, storeDir, args);
  const stop = async (signal: NodeJS.Signals) => {
    if (!child) return;
    const c = child;
    child = undefined;
    c.kill(signal);
    await exited(c);
  };
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    kill: () => stop('SIGKILL'),
    async restart() {
      await stop('SIGTERM');
      child = await launch(port, storeDir, args);
    },
    async close() {
      await stop('SIGTERM');
      if (!options.storeDir) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
