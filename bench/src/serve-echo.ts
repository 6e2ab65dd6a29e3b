// Starts bench/src/echo-server.ts (the transport alone) as a child process on the given cores.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tasksetPrefix } from './serve-cpu.js';

const SCRIPT = fileURLToPath(new URL('./echo-server.ts', import.meta.url));

export interface EchoServer {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

export async function startEchoServer(cpus: readonly number[] | undefined): Promise<EchoServer> {
  const command = [...(cpus ? tasksetPrefix(cpus) : []), process.execPath, '--import', 'tsx', SCRIPT];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo server did not start: ${stderr}`)), 60_000);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && Number(line) > 0) {
        clearTimeout(timer);
        resolve(Number(line));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`echo server exited with ${code}: ${stderr}`));
    });
  });
  return {
    child,
    port,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
