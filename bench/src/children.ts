// The bench's processes: `cleave serve` (the tails, and the teacher's full model) and the edge runner, each a child
// process, run under a prefix that puts it in its network namespace (`ip netns exec NAME`) or
// none. `ip netns exec` execs the command, so the child's pid is the node process itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function spawnCleave(
  bin: string,
  prefix: readonly string[],
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): ChildProcess {
  const command = [...prefix, process.execPath, bin, ...args];
  return spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...env },
  });
}

function tail(child: ChildProcess, onLine?: (line: string) => void): () => string {
  let text = '';
  child.stderr?.on('data', (d: Buffer) => {
    text = (text + d.toString()).slice(-8000);
    if (onLine) for (const line of d.toString().split('\n')) if (line.trim()) onLine(line);
  });
  child.stdout?.on('data', () => undefined);
  return () => text;
}

export interface CleaveServer {
  child: ChildProcess;
  /** The ready file's JSON ({ port, httpPort } for `cleave serve`). */
  ready: { port: number };
  stop(): Promise<number | null>;
}

/** `cleave serve` on loopback with free ports (the CLI's startServeProcess). */
export interface ServeProcess {
  child: ChildProcess;
  port: number;
  /** KServe v2 HTTP port; null with --no-http. */
  httpPort: number | null;
  /** Node's own flags the server runs with (the caller's and the server's defaults). */
  nodeArgs: readonly string[];
  /** SIGTERM (or `signal`), then wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServeProcessOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cpus?: readonly number[];
  nodeArgs?: readonly string[];
}

export type StartServe = (
  args: string[],
  /** `cpus`: run the server on these cores only (taskset); `nodeArgs`: Node's own flags (--cpu-prof). */
  options?: ServeProcessOptions,
) => Promise<ServeProcess>;

/** Starts `cleave` subcommands as child processes; the CLI says where its binary is. */
export interface CleaveLauncher {
  startServe: StartServe;
  startServer(
    prefix: readonly string[],
    args: readonly string[],
    options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv },
  ): Promise<CleaveServer>;
  run(
    prefix: readonly string[],
    args: readonly string[],
    options: { timeoutMs: number; onLine?: (line: string) => void; env?: NodeJS.ProcessEnv },
  ): Promise<void>;
}

export function createCleaveLauncher(bin: string, startServe: StartServe): CleaveLauncher {
  return {
    startServe,
    startServer: (prefix, args, options) => startCleaveServer(bin, prefix, args, options),
    run: (prefix, args, options) => runCleave(bin, prefix, args, options),
  };
}

/**
 * Waits for servers started side by side (their start-up overlaps); if one fails, stops the
 * others and throws its error.
 */
export async function startAll<const P extends readonly Promise<{ stop(): Promise<unknown> }>[]>(
  starts: P,
): Promise<{ -readonly [K in keyof P]: Awaited<P[K]> }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as never;
  await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
  throw failed.reason;
}

/** Starts a long-running cleave subcommand that writes `--ready-file` once it serves. */
async function startCleaveServer(
  bin: string,
  prefix: readonly string[],
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CleaveServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-bench-'));
  const readyFile = join(dir, 'ready.json');
  const child = spawnCleave(bin, prefix, [...args, '--ready-file', readyFile], options.env ?? {});
  const stderr = tail(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args[0]} exited with ${child.exitCode}: ${stderr()}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${args[0]} did not start in time: ${stderr()}`);
      }
      try {
        const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as { port: number };
        if (ready.port) {
          return {
            child,
            ready,
            async stop() {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
              const code = await exited;
              clearTimeout(timer);
              return code;
            },
          };
        }
      } catch {
        // not written yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a cleave subcommand to completion; rejects with its stderr when it fails or overruns. */
function runCleave(
  bin: string,
  prefix: readonly string[],
  args: readonly string[],
  options: { timeoutMs: number; onLine?: (line: string) => void; env?: NodeJS.ProcessEnv },
): Promise<void> {
  const child = spawnCleave(bin, prefix, args, options.env ?? {});
  const stderr = tail(child, options.onLine);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.slice(0, 2).join(' ')} ran past ${options.timeoutMs} ms: ${stderr()}`));
    }, options.timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${args.slice(0, 2).join(' ')} exited with ${code ?? signal}: ${stderr()}`));
    });
  });
}
