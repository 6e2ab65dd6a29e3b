import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cpuSplit,
  cpuTimeOfProcStat,
  parseCpuList,
  processCpuUs,
  spreadOf,
  tasksetMoveArgs,
  tasksetPrefix,
  threadSplit,
} from './serve-cpu.js';

test('spreadOf - median of an odd count is the middle value, whatever the order', () => {
  assert.deepEqual(spreadOf([5, 1, 4, 2, 3]), { median: 3, min: 1, max: 5 });
});

test('spreadOf - median of an even count is the mean of the middle two', () => {
  assert.deepEqual(spreadOf([10, 40, 20, 30]), { median: 25, min: 10, max: 40 });
  assert.deepEqual(spreadOf([7]), { median: 7, min: 7, max: 7 });
});

test('spreadOf - refuses no values and non-finite ones, and leaves its input alone', () => {
  assert.throws(() => spreadOf([]), RangeError);
  assert.throws(() => spreadOf([1, Number.NaN]), RangeError);
  const values = [3, 1, 2];
  spreadOf(values);
  assert.deepEqual(values, [3, 1, 2]);
});

test('parseCpuList - singles, ranges and mixes, sorted and distinct', () => {
  assert.deepEqual(parseCpuList('0'), [0]);
  assert.deepEqual(parseCpuList('2-4'), [2, 3, 4]);
  assert.deepEqual(parseCpuList('5,0-1,1'), [0, 1, 5]);
  assert.throws(() => parseCpuList('3-1'), /backwards/);
  assert.throws(() => parseCpuList('a'), /not a CPU list/);
  assert.throws(() => parseCpuList(''), /not a CPU list/);
});

test('cpuSplit - on 2 CPUs the server gets cpu 0 and the load cpu 1; on 8, 0-3 and 4-7', () => {
  assert.deepEqual(cpuSplit(2), { serverCpus: [0], loadCpus: [1] });
  assert.deepEqual(cpuSplit(8), { serverCpus: [0, 1, 2, 3], loadCpus: [4, 5, 6, 7] });
  assert.deepEqual(cpuSplit(8, '0-5'), { serverCpus: [0, 1, 2, 3, 4, 5], loadCpus: [6, 7] });
  assert.deepEqual(cpuSplit(4, '1', '3'), { serverCpus: [1], loadCpus: [3] });
});

test('cpuSplit - refuses shared, missing or absent cores', () => {
  assert.throws(() => cpuSplit(4, '0-1', '1-2'), /share CPU 1/);
  assert.throws(() => cpuSplit(2, '0-1'), /no CPU left/);
  assert.throws(() => cpuSplit(2, '0', '2'), /does not exist/);
  assert.throws(() => cpuSplit(1), /--no-pin/);
});

test('taskset arguments - start on a core set, and move a running process with all its threads', () => {
  assert.deepEqual(tasksetPrefix([0, 2, 3]), ['taskset', '-c', '0,2,3']);
  assert.deepEqual(tasksetMoveArgs(1234, [1]), ['-a', '-p', '-c', '1', '1234']);
  assert.throws(() => tasksetPrefix([]), RangeError);
});

test('cpuTimeOfProcStat - utime and stime in ticks of 1/100 s, even when the name holds ") "', () => {
  // Fields 14 and 15 (utime 250, stime 50) → 2.5 s in user space, 0.5 s in the kernel.
  const rest = 'S 1 1 1 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 9 0 123 456 789';
  const expected = { userUs: 2_500_000, systemUs: 500_000 };
  assert.deepEqual(cpuTimeOfProcStat(`4242 (node) ${rest}`), expected);
  assert.deepEqual(cpuTimeOfProcStat(`4242 (a) b (c) ${rest}`), expected);
  assert.throws(() => cpuTimeOfProcStat('garbage'), RangeError);
  assert.throws(() => cpuTimeOfProcStat('1 (x) S 1 2'), RangeError);
});

test('processCpuUs - this process has spent CPU; a process that does not exist has none', () => {
  const t = Date.now();
  while (Date.now() - t < 30) {
    // spend at least one tick
  }
  const own = processCpuUs(process.pid);
  if (own === null) return; // no /proc (not Linux)
  assert.ok(own > 0);
  // The main thread's tid is the pid; it spent the loop above, and no more than the whole process.
  const main = processCpuUs(process.pid, process.pid);
  assert.ok(main !== null && main > 0 && main <= processCpuUs(process.pid)!);
  assert.equal(processCpuUs(2 ** 22 + 1), null);
  assert.equal(processCpuUs(process.pid, 2 ** 22 + 1), null);
});

test('threadSplit - main thread, the busiest others (tail workers) and the rest, between two snapshots', () => {
  const t = (userUs: number, systemUs = 0) => ({ userUs, systemUs });
  const before = new Map([
    [100, t(1_000)], // main
    [101, t(50)], // a GC helper
    [102, t(10_000)], // the tail worker
    [103, t(5)], // ends before the second snapshot
  ]);
  const after = new Map([
    [100, t(1_300, 100)],
    [101, t(90)],
    [102, t(18_000, 500)],
    [104, t(20)], // started in between: counts from zero
  ]);
  assert.deepEqual(threadSplit(100, before, after, 1), { mainUs: 400, busiestUs: 8_500, restUs: 60 });
  assert.deepEqual(threadSplit(100, before, after, 0), { mainUs: 400, busiestUs: 0, restUs: 8_560 });
});
