import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDeadlineTimers, type DeadlineEntry } from './deadline-timers.js';

interface Entry extends DeadlineEntry {
  name: string;
}
const entry = (name: string, timeoutMs: number): Entry => ({
  name,
  timeoutMs,
  deadline: performance.now() + timeoutMs,
  live: true,
});
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('agent - deadline timers', () => {
  it('agent - expires each live entry once, not before its deadline, oldest first', {
    timeout: 5000,
  }, async () => {
    const expired: { name: string; late: number }[] = [];
    const d = createDeadlineTimers<Entry>((e) =>
      expired.push({ name: e.name, late: performance.now() - e.deadline }),
    );
    const a = entry('a', 30);
    const b = entry('b', 30);
    const c = entry('c', 10);
    const x = entry('x', 30);
    for (const e of [a, x, b, c]) d.add(e);
    d.settled(x);
    await sleep(80);
    assert.deepEqual(
      expired.map((e) => e.name),
      ['c', 'a', 'b'],
    );
    for (const e of expired) assert.ok(e.late >= 0, `${e.name} expired ${-e.late} ms early`);
    d.settled(a); // already expired: nothing happens
    assert.equal(expired.length, 3);
  });

  it('agent - keeps no timer once nothing it watches is live', { timeout: 5000 }, () => {
    const before = timers();
    const d = createDeadlineTimers<Entry>(() => assert.fail('nothing should expire'));
    const es = Array.from({ length: 500 }, (_, i) => entry(String(i), i % 2 ? 60_000 : 30_000));
    for (const e of es) d.add(e);
    assert.equal(timers(), before + 2);
    // Out of order, as answers come back; settled entries are compacted away on the way.
    for (const e of es.filter((_, i) => i % 3 !== 0)) d.settled(e);
    for (const e of es.filter((_, i) => i % 3 === 0)) d.settled(e);
    assert.equal(timers(), before);
  });

  it('agent - an entry added while one expires is still watched', { timeout: 5000 }, async () => {
    const expired: string[] = [];
    const d = createDeadlineTimers<Entry>((e) => {
      expired.push(e.name);
      if (e.name === 'first') d.add(entry('second', 10));
    });
    d.add(entry('first', 10));
    await sleep(60);
    assert.deepEqual(expired, ['first', 'second']);
    assert.equal(timers(), 0);
  });
});
