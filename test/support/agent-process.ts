// `cleave agent` as a child process for tests: started with the given flags, ready once its HTTP
// port is in the ready file, stopped with SIGTERM (SIGKILL after a grace period).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'bin', 'cleave.js');

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly base: string;
  /** The last 16 KB of its stderr (its logs). */
  logs(): string;
  stop(): Promise<void>;
}

export async function startAgentProcess(
  args: string[],
  env: Record<string, string> = {},
  startTimeoutMs = 60_000,
): Promise<AgentProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-agent-proc-'));
  const readyFile = join(dir, 'port');
  const child = spawn(
    process.execPath,
    [CLI, 'agent', '--http-port', '0', '--ready-file', readyFile, ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
    },
  );
  let logs = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    logs = (logs + c).slice(-16_384);
  });
  const deadline = Date.now() + startTimeoutMs;
  let port = 0;
  while (!port) {
    if (child.exitCode !== null) throw new Error(`cleave agent exited with ${child.exitCode}:\n${logs}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`cleave agent not ready within ${startTimeoutMs} ms:\n${logs}`);
    }
    try {
      port = Number(readFileSync(readyFile, 'utf8'));
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    logs: () => logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads `GET /v1/events` (Server-Sent Events) into an array until `close()`. */
export async function collectSse<T>(url: string): Promise<{ events: T[]; close(): void }> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  const events: T[] = [];
  void (async () => {
    let buf = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let end = buf.indexOf('\n\n');
        while (end >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)) as T);
          end = buf.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return { events, close: () => ac.abort() };
}
