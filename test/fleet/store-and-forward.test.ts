// Must show: nats-server killed (SIGKILL) in the middle of a run producing 1,000 telemetry
// records, then restarted on the same port with the same store: every record arrives in the
// stream exactly once, in order, and inference went on while NATS was gone.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  connectNats,
  createForwarder,
  type FleetAgent,
  joinFleetAsAgent,
  openSpool,
  TELEMETRY_STREAM,
  type TelemetryRecord,
  telemetrySubject,
} from '@cleave/control';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent } from '@cleave/edge-agent';
import { AckPolicy, DeliverPolicy } from 'nats';
import { type NatsServer, startNatsServer } from '../support/nats-server.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const RECORDS = 1000;

describe('store and forward across a nats-server crash', { timeout: 180_000 }, () => {
  let nats: NatsServer;
  let agent: Agent;
  let member: FleetAgent;
  let stateDir: string;

  before(async () => {
    nats = await startNatsServer();
    stateDir = mkdtempSync(join(tmpdir(), 'cleave-saf-'));
    agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      id: 'rpi-7',
      mode: 'edge-only',
      stages: { cache: false },
      energy: { enabled: false },
    });
    member = await joinFleetAsAgent({
      nats: { servers: nats.url, reconnectTimeWaitMs: 100, timeoutMs: 1000 },
      agent,
      stateDir,
      heartbeatMs: 500,
      forwarder: { publishTimeoutMs: 1000, retryMaxMs: 500 },
    });
  });
  after(async () => {
    await member?.close();
    await agent?.close();
    await nats?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('every record arrives exactly once after kill and restart', async () => {
    const set = await loadFashionMnist({ split: 'test', limit: 100 });
    let whileDown = 0;
    let queuedAtRestart = 0;
    let down = false;
    // Bursts of 50 concurrent requests: publishes are in flight when the server dies.
    for (let i = 0; i < RECORDS; i += 50) {
      if (i === 300) {
        await nats.kill();
        down = true;
      }
      if (i === 650) {
        queuedAtRestart = member.forwarder.stats().queued;
        await nats.restart();
        down = false;
      }
      await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          agent.infer({ kind: 'pixels', data: imageAt(set, (i + k) % set.count) }),
        ),
      );
      if (down) whileDown += 50;
    }
    assert.equal(whileDown, 350, 'inference went on while NATS was down');
    assert.ok(queuedAtRestart >= 300, `records waited in the spool (${queuedAtRestart})`);
    assert.ok(await member.forwarder.drained(60_000), 'the spool drained after the restart');
    const stats = member.forwarder.stats();
    assert.equal(stats.dropped, 0);
    assert.equal(stats.rejected, 0);

    const nc = await connectNats({ servers: nats.url });
    try {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(TELEMETRY_STREAM);
      assert.equal(info.state.messages, RECORDS, 'exactly 1,000 messages in the stream');
      await jsm.consumers.add(TELEMETRY_STREAM, {
        durable_name: 'check',
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
        filter_subject: telemetrySubject('rpi-7'),
      });
      const consumer = await nc.jetstream().consumers.get(TELEMETRY_STREAM, 'check');
      const seqs: number[] = [];
      const batch = await consumer.fetch({ max_messages: RECORDS, expires: 10_000 });
      for await (const m of batch) {
        seqs.push(m.json<TelemetryRecord>().seq);
        if (seqs.length === RECORDS) break;
      }
      assert.equal(seqs.length, RECORDS);
      assert.deepEqual(
        seqs,
        Array.from({ length: RECORDS }, (_, i) => i + 1),
        'each record once, in the order produced',
      );
      console.log(
        `store-and-forward: ${queuedAtRestart} queued at restart, ${stats.published} stored, ${stats.duplicates} duplicates dropped by the stream, ${stats.failures} failed publishes retried`,
      );
    } finally {
      await nc.close();
    }
  });

  it('a replay of records already stored (acks lost in a crash) is dropped by message-id dedup', async () => {
    const dir = join(stateDir, 'replay');
    const spool = await openSpool({
      dir,
      idPrefix: 'replay-test',
      maxRecords: 1000,
      maxBytes: 1 << 20,
      onFull: 'drop-oldest',
    });
    const subject = telemetrySubject('replay-test');
    for (let i = 1; i <= 100; i++)
      spool.append(subject, new TextEncoder().encode(JSON.stringify({ seq: i })));
    await spool.flush();
    // The agent's disk as a crash would leave it: every record queued, no ack saved.
    cpSync(dir, `${dir}-crashed`, { recursive: true });
    const nc = await connectNats({ servers: nats.url });
    try {
      const first = createForwarder(nc.jetstream(), spool);
      assert.ok(await first.drained(30_000));
      await first.close();
      assert.equal(first.stats().published, 100);

      const again = await openSpool({
        dir: `${dir}-crashed`,
        idPrefix: 'replay-test',
        maxRecords: 1000,
        maxBytes: 1 << 20,
        onFull: 'drop-oldest',
      });
      assert.equal(again.stats().queued, 100, 'the crashed spool still holds every record');
      const replay = createForwarder(nc.jetstream(), again);
      assert.ok(await replay.drained(30_000));
      await replay.close();
      assert.equal(replay.stats().duplicates, 100, 'each replayed record was a duplicate');
      assert.equal(replay.stats().published, 0);
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info(TELEMETRY_STREAM, { subjects_filter: subject });
      assert.equal(info.state.subjects?.[subject], 100, 'still 100 messages on the subject');
    } finally {
      await nc.close();
    }
  });
});
