// The on-disk spool: survives a restart, keeps order and message ids, drops a torn tail, and
// applies its stated full policy.
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSpool, type SpoolOptions } from './spool.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('spool', () => {
  const dirs: string[] = [];
  const options = async (over: Partial<SpoolOptions> = {}): Promise<SpoolOptions> => {
    const dir = await mkdtemp(join(tmpdir(), 'cleave-spool-'));
    dirs.push(dir);
    return { dir, idPrefix: 'a1', maxRecords: 100, maxBytes: 1 << 20, onFull: 'drop-oldest', ...over };
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps unacknowledged records, their order and ids across a restart', async () => {
    const o = await options();
    const s1 = await openSpool(o);
    for (let i = 1; i <= 10; i++) assert.ok(s1.append('cleave.telemetry.a1', enc(`r${i}`)));
    s1.ackThrough(s1.peek(4)[3]!.seq);
    await s1.flush();
    const ids = s1.peek(100).map((r) => r.id);
    assert.equal(ids.length, 6);
    assert.match(ids[0]!, new RegExp(`^a1\\.${s1.epoch}\\.5$`));

    const s2 = await openSpool(o);
    assert.equal(s2.epoch, s1.epoch);
    assert.deepEqual(
      s2.peek(100).map((r) => r.id),
      ids,
    );
    assert.deepEqual(
      s2.peek(2).map((r) => dec(r.data)),
      ['r5', 'r6'],
    );
    assert.ok(s2.append('cleave.telemetry.a1', enc('r11')));
    assert.equal(s2.peek(100).at(-1)!.seq, 11, 'numbering goes on');
    await s2.flush();
  });

  it('ignores a torn last frame (a crash mid-write)', async () => {
    const o = await options();
    const s1 = await openSpool(o);
    s1.append('x', enc('whole'));
    await s1.flush();
    await appendFile(join(o.dir, 'queue.log'), Buffer.from([40, 0, 0, 0, 123, 34]));
    const s2 = await openSpool(o);
    assert.deepEqual(
      s2.peek(10).map((r) => dec(r.data)),
      ['whole'],
    );
    s2.append('x', enc('after'));
    await s2.flush();
    const s3 = await openSpool(o);
    assert.deepEqual(
      s3.peek(10).map((r) => dec(r.data)),
      ['whole', 'after'],
    );
  });

  it('full: drop-oldest makes room and counts; reject-new refuses and counts', async () => {
    const drop = await openSpool(await options({ maxRecords: 3 }));
    for (const r of ['a', 'b', 'c', 'd', 'e']) assert.ok(drop.append('x', enc(r)));
    assert.deepEqual(
      drop.peek(10).map((r) => dec(r.data)),
      ['c', 'd', 'e'],
    );
    assert.equal(drop.stats().dropped, 2);
    await drop.flush();

    const reject = await openSpool(await options({ maxBytes: 4, onFull: 'reject-new' }));
    assert.ok(reject.append('x', enc('ab')));
    assert.ok(reject.append('x', enc('cd')));
    assert.equal(reject.append('x', enc('e')), false);
    assert.deepEqual(
      reject.peek(10).map((r) => dec(r.data)),
      ['ab', 'cd'],
    );
    assert.equal(reject.stats().rejected, 1);
    await reject.flush();
  });
});
