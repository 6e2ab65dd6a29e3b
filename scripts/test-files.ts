// The parts of scripts/run-tests.ts: finding the test files, running one in its own node:test
// process, and the per-file time summary.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { compiledTest } from './test-tree.js';

export interface FileResult {
  file: string;
  ok: boolean;
  ms: number;
  /** CPU seconds of the file's process and the children it waited for (user + system), when /usr/bin/time is here. */
  cpuS: number | undefined;
  timedOut: boolean;
}

// GNU time reports the CPU a file used, its servers and trainers included, so a slow file shows
// whether it computes or waits. Without it the summary has no CPU column.
const GNU_TIME = '/usr/bin/time';

/** Every *.test.ts under `root/dir`, as paths relative to `root`. */
export function findTests(root: string, dir: string, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(join(root, dir));
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(root, dir, name);
    if (statSync(path).isDirectory()) findTests(root, relative(root, path), out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

/** Whether the file's head comment marks it `cleave-test: exclusive` (it must run alone). */
export function isExclusive(path: string): boolean {
  return readFileSync(path, 'utf8').slice(0, 2000).includes('cleave-test: exclusive');
}

/** A file that mostly waits (real-time video, a browser, a scrape interval) and asserts no timing. */
export function isLight(path: string): boolean {
  return readFileSync(path, 'utf8').slice(0, 2000).includes('cleave-test: light');
}

/**
 * Runs one test file in its own `node --test` process and prints its whole report when it ends,
 * so that files running side by side do not interleave their output.
 */
export function runFile(
  root: string,
  file: string,
  options: { ci: boolean; timeoutMs: number; tree: string },
): Promise<FileResult> {
  const reporters = options.ci
    ? ['--test-reporter=tap', '--test-reporter-destination=stdout', ...junit(root, file)]
    : ['--test-reporter=spec', '--test-reporter-destination=stdout'];
  // The file runs directly, not under `node --test`: that would start a second Node per file only
  // to spawn the first. node:test runs the file's tests all the same, with these reporters. It
  // runs as its compiled .js in the test tree (test-tree.ts), with source maps back to the .ts.
  const args = ['--enable-source-maps', ...reporters, compiledTest(file)];
  const timed = existsSync(GNU_TIME);
  const cpuFile = join(tmpdir(), `cleave-test-cpu-${process.pid}-${file.replace(/\W/g, '_')}`);
  const command = timed
    ? [GNU_TIME, '-f', '%U %S', '-o', cpuFile, process.execPath, ...args]
    : [process.execPath, ...args];
  const started = Date.now();
  return new Promise((resolve) => {
    // Its own process group, so a timeout or Ctrl-C ends the file with its servers and trainers.
    const child = spawn(command[0]!, command.slice(1), {
      cwd: options.tree,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child.pid!);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid!);
    }, options.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child.pid!);
      const ms = Date.now() - started;
      process.stdout.write(Buffer.concat(chunks));
      if (timedOut) console.log(`# ${file}: killed after ${(ms / 1000).toFixed(0)} s (the file's bound)`);
      resolve({
        file,
        ok: code === 0 && !timedOut,
        ms,
        cpuS: timed ? readCpu(cpuFile) : undefined,
        timedOut,
      });
    });
  });
}

const running = new Set<number>();
const killGroup = (pid: number) => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const pid of running) killGroup(pid);
    process.exit(130);
  });
}

function readCpu(path: string): number | undefined {
  try {
    const [user, system] = readFileSync(path, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
    rmSync(path, { force: true });
    return Number.isFinite(user) && Number.isFinite(system) ? user! + system! : undefined;
  } catch {
    return undefined;
  }
}

function junit(root: string, file: string): string[] {
  const dir = join(root, 'test-results');
  mkdirSync(dir, { recursive: true });
  const name = file.replace(/[\\/]/g, '__').replace(/\.test\.ts$/, '.xml');
  return ['--test-reporter=junit', `--test-reporter-destination=${join(dir, name)}`];
}

/** The closing table: the slowest files first, the failures, and the wall time against the sum. */
export function summary(results: FileResult[], wallMs: number, jobs: number): string {
  const sorted = [...results].sort((a, b) => b.ms - a.ms);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(7)} s`;
  const shown = sorted.slice(0, 25);
  const cpu = (r: FileResult) => (r.cpuS === undefined ? '' : `  cpu ${r.cpuS.toFixed(1).padStart(6)} s`);
  const lines = ['', `# time per file, slowest ${shown.length} of ${results.length}:`];
  for (const r of shown) lines.push(`# ${seconds(r.ms)}${cpu(r)}  ${r.ok ? '' : 'FAILED '}${r.file}`);
  const failed = sorted.filter((r) => !r.ok);
  for (const r of failed.filter((f) => !shown.includes(f)))
    lines.push(`# ${seconds(r.ms)}  FAILED ${r.file}`);
  const total = results.reduce((s, r) => s + r.ms, 0);
  // The CPU total over the cores is the floor on the wall time, whatever the order of the files.
  const timed = results.filter((r) => r.cpuS !== undefined);
  const cpuTotal = timed.reduce((s, r) => s + r.cpuS!, 0);
  const cpuNote =
    timed.length === results.length
      ? `, CPU ${cpuTotal.toFixed(1)} s on ${availableParallelism()} cores`
      : '';
  lines.push(
    `# ${results.length} files, ${failed.length} failed; wall ${seconds(wallMs).trim()} ` +
      `(sum of file times ${seconds(total).trim()}${cpuNote}, up to ${jobs} at once)`,
  );
  return lines.join('\n');
}
