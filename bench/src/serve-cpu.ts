// CPU placement and accounting for `cleave bench serve`: which cores the server and the load
// generator get (taskset), the OS's own CPU time of a process (/proc/PID/stat), and the median
// and spread of repeated figures.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Median, smallest and largest of repeated measurements of one figure. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The median (mean of the middle two for an even count), min and max; throws on no values. */
export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spreadOf needs at least one value');
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError(`not a finite figure in [${values}]`);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Parses a taskset/cpuset list such as "0", "2-3" or "0,2-3" into sorted, distinct core numbers. */
export function parseCpuList(list: string): number[] {
  const cores = new Set<number>();
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new RangeError(`"${list}" is not a CPU list (e.g. 0 or 0,2-3)`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new RangeError(`"${part.trim()}" runs backwards in CPU list "${list}"`);
    for (let c = from; c <= to; c++) cores.add(c);
  }
  return [...cores].sort((a, b) => a - b);
}

/** The server's and the load's cores: given lists, or by default the lower half (at least one) and the rest. */
export function cpuSplit(
  cpuCount: number,
  server?: string,
  load?: string,
): { serverCpus: number[]; loadCpus: number[] } {
  if (cpuCount < 2 && (server === undefined || load === undefined))
    throw new RangeError('pinning needs 2 CPUs or more; pass --no-pin on this machine');
  const half = Math.max(1, Math.floor(cpuCount / 2));
  const all = Array.from({ length: cpuCount }, (_, i) => i);
  const serverCpus = server === undefined ? all.slice(0, half) : parseCpuList(server);
  const loadCpus = load === undefined ? all.filter((c) => !serverCpus.includes(c)) : parseCpuList(load);
  for (const c of [...serverCpus, ...loadCpus])
    if (c >= cpuCount) throw new RangeError(`CPU ${c} does not exist here (${cpuCount} CPUs)`);
  if (loadCpus.length === 0) throw new RangeError('the load generator has no CPU left');
  const shared = serverCpus.filter((c) => loadCpus.includes(c));
  if (shared.length > 0) throw new RangeError(`server and load share CPU ${shared.join(',')}`);
  return { serverCpus, loadCpus };
}

/** The command prefix that starts a program on these cores: `taskset -c 0,1`. */
export function tasksetPrefix(cpus: readonly number[]): string[] {
  if (cpus.length === 0) throw new RangeError('taskset needs at least one CPU');
  return ['taskset', '-c', cpus.join(',')];
}

/** The arguments that move every thread of a running process onto these cores: `taskset -a -p -c 1 PID`. */
export function tasksetMoveArgs(pid: number, cpus: readonly number[]): string[] {
  return ['-a', '-p', '-c', tasksetPrefix(cpus)[2]!, String(pid)];
}

/** Moves every thread of `pid` onto `cpus` (threads it starts later inherit the placement). */
export function pinProcess(pid: number, cpus: readonly number[]): void {
  const r = spawnSync('taskset', tasksetMoveArgs(pid, cpus), { encoding: 'utf8' });
  if (r.error) throw new Error(`taskset: ${r.error.message} (install util-linux, or pass --no-pin)`);
  if (r.status !== 0) throw new Error(`taskset ${tasksetMoveArgs(pid, cpus).join(' ')}: ${r.stderr.trim()}`);
}

/** Linux's USER_HZ: the unit of utime and stime in /proc/PID/stat (100 on every mainstream kernel). */
const USER_HZ = 100;

/** CPU time in µs: in user space, and in the kernel on the process's behalf (syscalls, the network stack). */
export interface CpuTime {
  userUs: number;
  systemUs: number;
}

/**
 * User and system CPU time, all threads, in µs, from the text of /proc/PID/stat. The command name
 * (field 2) is in parentheses and may hold spaces and parentheses, so fields are counted after the last ')'.
 */
export function cpuTimeOfProcStat(stat: string): CpuTime {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new RangeError('not a /proc/PID/stat line: no ")"');
  // After ") ": state (field 3) is index 0, so utime (field 14) is 11 and stime (field 15) is 12.
  const f = stat.slice(close + 2).split(' ');
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime))
    throw new RangeError('not a /proc/PID/stat line: utime/stime are not integers');
  return { userUs: (utime * 1e6) / USER_HZ, systemUs: (stime * 1e6) / USER_HZ };
}

/**
 * A process's CPU time, all threads, from /proc; with `tid`, that one thread's (the main
 * thread's tid is the pid). Null where there is no /proc or no such process.
 */
export function processCpuTime(pid: number, tid?: number): CpuTime | null {
  try {
    const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
    return cpuTimeOfProcStat(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Every thread's CPU time in a process now (/proc/PID/task/TID/stat), by thread id. */
export function threadCpuTimes(pid: number): Map<number, CpuTime> {
  const times = new Map<number, CpuTime>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return times;
  }
  for (const tid of tids) {
    const t = processCpuTime(pid, Number(tid));
    if (t !== null) times.set(Number(tid), t);
  }
  return times;
}

/**
 * How a process's CPU time between two snapshots splits over its threads: the main thread
 * (tid = pid), the `busiest` most busy of the others (the tail workers: ONNX Runtime runs in them)
 * and the rest (V8's GC and compiler threads, libuv). A thread that ended in between is not
 * counted; one that started counts from zero.
 */
export function threadSplit(
  pid: number,
  before: Map<number, CpuTime>,
  after: Map<number, CpuTime>,
  busiest: number,
): { mainUs: number; busiestUs: number; restUs: number } {
  const spent = (t: CpuTime) => t.userUs + t.systemUs;
  let mainUs = 0;
  const others: number[] = [];
  for (const [tid, t] of after) {
    const t0 = before.get(tid);
    const us = spent(t) - (t0 ? spent(t0) : 0);
    if (tid === pid) mainUs = us;
    else others.push(us);
  }
  others.sort((a, b) => b - a);
  const busiestUs = others.slice(0, busiest).reduce((a, b) => a + b, 0);
  const restUs = others.slice(busiest).reduce((a, b) => a + b, 0);
  return { mainUs, busiestUs, restUs };
}

/** User + system CPU time in µs (processCpuTime's sum). */
export function processCpuUs(pid: number, tid?: number): number | null {
  const t = processCpuTime(pid, tid);
  return t === null ? null : t.userUs + t.systemUs;
}
