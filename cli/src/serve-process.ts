// Starts `cleave serve` as a separate process and waits until it is listening.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServeProcess, ServeProcessOptions } from '@cleave/bench';
// The subpath, not the package: the launcher should not load the whole bench harness.
import { tasksetPrefix } from '@cleave/bench/serve-cpu';
import { CLI_BIN } from './paths.js';
import { SERVE_NODE_FLAGS, semiSpaceFlagMb } from './serve-heap.js';

export type { ServeProcess };

/**
 * The command line of a `cleave serve` process: under taskset when given cores (taskset execs
 * it, so the child's pid is the server's own), with the server's node flags (serve-heap.ts) unless
 * the caller's `nodeArgs` or the child's NODE_OPTIONS set the young generation themselves.
 */
export function serveCommand(
  args: readonly string[],
  options: ServeProcessOptions,
  readyFile: string,
): { command: string[]; nodeArgs: string[] } {
  const callers = options.nodeArgs ?? [];
  const nodeOptions = options.env?.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '';
  const nodeArgs = [
    ...(semiSpaceFlagMb(callers, nodeOptions) === undefined ? SERVE_NODE_FLAGS : []),
    ...callers,
  ];
  // Both ports free unless the caller chose: several servers may run side by side.
  const http = args.includes('--http-port') || args.includes('--no-http') ? [] : ['--http-port', '0'];
  const command = [
    ...(options.cpus ? tasksetPrefix(options.cpus) : []),
    process.execPath,
    ...nodeArgs,
    CLI_BIN,
    'serve',
    '--port',
    '0',
    ...http,
    '--ready-file',
    readyFile,
    ...args,
  ];
  return { command, nodeArgs };
}

export async function startServeProcess(
  args: string[],
  options: ServeProcessOptions = {},
): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-serve-'));
  const readyFile = join(dir, 'ready.json');
  const { command, nodeArgs } = serveCommand(args, options, readyFile);
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...options.env },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let port = 0;
  let httpPort: number | null = null;
  while (!port) {
    if (child.exitCode !== null) throw new Error(`cleave serve exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`cleave serve did not start in time: ${stderr}`);
    }
    try {
      const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as { port: number; httpPort: number | null };
      ({ port, httpPort } = ready);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    child,
    port,
    httpPort,
    nodeArgs,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
