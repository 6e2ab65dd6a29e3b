import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer } from 'node:net';
import { test } from 'node:test';
import { createDirection, createLinkShaper } from './link-shaper.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('a segment arrives after its serialisation at the link rate plus the one-way delay', () => {
  let t = 0;
  const d = createDirection({ rateMbit: 1, delayMs: 100, loss: 0, now: () => t });
  const lane = { lastArrival: Number.NEGATIVE_INFINITY };
  // 100 payload bytes + 66 header bytes at 1 Mbit/s = 1.328 ms on the wire.
  const [a] = d.schedule(100, lane);
  close(a!, 1.328 + 100);
  // A 3,000-byte chunk is three segments (1448, 1448, 104), back to back behind the first.
  const arrivals = d.schedule(3000, lane);
  assert.equal(arrivals.length, 3);
  close(arrivals[0]!, 1.328 + (1514 * 8) / 1000 + 100);
  close(arrivals[1]! - arrivals[0]!, (1514 * 8) / 1000);
  close(arrivals[2]! - arrivals[1]!, (170 * 8) / 1000);
  // Once the link has been idle, a new segment is not held back by the old ones.
  t = 1000;
  close(d.schedule(100, lane)[0]!, 1000 + 1.328 + 100);
  const s = d.stats();
  assert.equal(s.segments, 5);
  assert.equal(s.payloadBytes, 3200);
  assert.equal(s.linkBytes, 3200 + 5 * 66);
});

test('a token bucket with depth lets a burst through at once, then the rate holds', () => {
  let t = 0;
  const d = createDirection({
    rateMbit: 8,
    delayMs: 0,
    loss: 0,
    burstBytes: 2000,
    overheadBytes: 0,
    now: () => t,
  });
  t = 10; // the bucket was full from the start (depth 2000 bytes)
  const lane = { lastArrival: Number.NEGATIVE_INFINITY };
  const [a, b] = d.schedule(2896, lane); // two full segments: 2000 tokens, then 896 more at 1 byte/µs
  close(a!, 10);
  close(b!, 10 + 0.896);
});

test('a lost segment arrives one retransmission timeout later and holds back its connection only', () => {
  const t = 0;
  const rolls = [0, 0.5, 0.5];
  const d = createDirection({
    rateMbit: 8,
    delayMs: 40,
    loss: 0.01,
    overheadBytes: 0,
    now: () => t,
    random: () => rolls.shift() ?? 0.5,
  });
  const lane = { lastArrival: Number.NEGATIVE_INFINITY };
  const other = { lastArrival: Number.NEGATIVE_INFINITY };
  const [lost] = d.schedule(1000, lane); // 1 ms on the wire, lost, sent again max(200, 160) ms later
  close(lost!, 1 + 40 + 200 + 1);
  const [behind] = d.schedule(1000, lane);
  close(behind!, lost!); // in order: it cannot overtake the retransmission
  const [free] = d.schedule(1000, other);
  assert.ok(free! < lost!, 'another connection is not blocked');
  assert.equal(d.stats().lost, 1);
  assert.equal(d.stats().linkBytes, 4000);
});

test('through a real TCP connection: the round trip takes two one-way delays and the rate holds', async () => {
  const echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const shaper = createLinkShaper({ rateMbit: 8, delayMs: 30, loss: 0 });
  try {
    const port = await shaper.proxy((echo.address() as AddressInfo).port);
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    await once(socket, 'connect');
    const t0 = performance.now();
    socket.write(Buffer.alloc(10, 1));
    await once(socket, 'data');
    const rtt = performance.now() - t0;
    assert.ok(rtt >= 59 && rtt < 400, `round trip ${rtt.toFixed(1)} ms`);
    // 100 kB at 8 Mbit/s needs ≥ 100 ms on the wire, each way pipelined.
    const total = 100_000;
    let got = 0;
    const t1 = performance.now();
    const done = new Promise<void>((resolve) =>
      socket.on('data', (c: Buffer) => {
        got += c.byteLength;
        if (got >= total) resolve();
      }),
    );
    socket.write(Buffer.alloc(total, 2));
    await done;
    const took = performance.now() - t1;
    assert.ok(took >= 100 + 60, `100 kB took ${took.toFixed(1)} ms`);
    assert.ok(took < 2000, `100 kB took ${took.toFixed(1)} ms`);
    const s = shaper.stats();
    assert.equal(s.up.payloadBytes, total + 10);
    assert.equal(s.down.payloadBytes, total + 10);
    socket.destroy();
  } finally {
    await shaper.close();
    echo.close();
  }
});
