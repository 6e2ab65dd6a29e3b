// Scale-out on one machine: three `cleave serve` processes on loopback behind one static resolver
// list, the agent balancing its offload streams over them with round_robin. Each replica serves
// a third of a steady load (±10 points, from each server's own /metrics); a replica SIGKILLed
// under load loses no request (one answer per id on the agent: the cloud's, after at most one
// retry, or the device's own, degraded; and no id answered twice on a stream by any replica, from
// their access logs). Throughput, 1 replica next to 3, is scale-out-bench.ts's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeRealFrames } from '@cleave/bench';
import type { ServeProcess } from '@cleave/cli/serve-process';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, type Answer, createAgent, createOffloadClient } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import { type AccessLine, createAgentLedger, readAccessLog, tallyServers } from '../support/answer-ledger.js';
import { DEFAULT_BUNDLE } from '../support/shipped-bundles.js';
import { BUNDLE_DIR, driveClient, servedCount, startReplica, staticTarget } from './scale-out-support.js';

const STREAMS = 6; // a multiple of the replica count: two streams per replica

async function agentFor(target: string): Promise<Agent> {
  return createAgent({
    bundleDir: BUNDLE_DIR,
    mode: 'cloud-only',
    energy: { enabled: false },
    cloud: { target, timeoutMs: 8000, streams: STREAMS },
    policy: { breaker: { failureThreshold: 1000 } },
    poolQueueLimit: 4096,
  });
}

/** `count` images through the agent, `inFlight` at a time; `onAnswer` sees each as it comes. */
async function run(
  agent: Agent,
  images: Awaited<ReturnType<typeof loadFashionMnist>>,
  count: number,
  inFlight: number,
  onAnswer: (a: Answer, answered: number) => void = () => {},
): Promise<Map<number, Answer[]>> {
  const answers = new Map<number, Answer[]>();
  let next = 0;
  let answered = 0;
  const loop = async () => {
    for (let id = next++; id < count; id = next++) {
      const a = await agent.infer({ kind: 'pixels', data: imageAt(images, id % images.count) });
      answers.set(id, [...(answers.get(id) ?? []), a]);
      onAnswer(a, ++answered);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return answers;
}

describe('deploy - scale-out over three replicas', { timeout: 300_000 }, () => {
  let replicas: ServeProcess[] = [];
  let images: Awaited<ReturnType<typeof loadFashionMnist>>;

  // Each replica's access log (one JSON line per answer, written before it leaves): the server
  // side of the kill test's count.
  const logDir = mkdtempSync(join(tmpdir(), 'cleave-scale-out-'));
  const accessLogs = [0, 1, 2].map((n) => join(logDir, `replica-${n}.jsonl`));

  before(async () => {
    replicas = await Promise.all(accessLogs.map((log) => startReplica(['--access-log', log])));
    images = await loadFashionMnist({ split: 'test', limit: 1000 });
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    rmSync(logDir, { recursive: true, force: true });
  });

  // The throughput figure is test/deploy/scale-out-bench.ts's (docs/deploy.md): a timed test is no
  // benchmark. This keeps the bench's load path honest: 256 in flight over 1 and 3 replicas, no errors.
  it('deploy - 256 in flight through one replica and through three: every request answered', {
    timeout: 90_000,
  }, async (t) => {
    const { frames } = await makeRealFrames(await loadBundle(BUNDLE_DIR), 512);
    const measure = async (target: string) => {
      const client = createOffloadClient({
        target,
        model: DEFAULT_BUNDLE,
        streams: STREAMS,
        maxQueuedWrites: 4096,
        keepaliveTimeMs: 30_000,
        keepaliveTimeoutMs: 10_000,
        maxMessageBytes: 4 * 1024 * 1024,
        maxStreamAgeMs: 60_000,
        channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
      });
      try {
        return await driveClient(client, frames, { inFlight: 256, seconds: 1.5, warmupSeconds: 0.5 });
      } finally {
        client.close();
      }
    };
    const one = await measure(`127.0.0.1:${replicas[0]!.port}`);
    const three = await measure(staticTarget(replicas));
    t.diagnostic(`answered: 1 replica ${one.answered}, 3 replicas ${three.answered}`);
    assert.equal(one.errors + three.errors, 0, 'no errors under steady load');
    assert.ok(one.answered >= 256 && three.answered >= 256, 'every loop got answers');
  });

  it('deploy - steady load: each replica serves 33 % ± 10 % (server-side counts)', {
    timeout: 90_000,
  }, async (t) => {
    const agent = await agentFor(staticTarget(replicas));
    try {
      // Warm-up: streams opened before every replica was connected are recycled within ~1 s.
      const warm = Date.now() + 3000;
      while (Date.now() < warm) await run(agent, images, 200, 32);
      const before = await Promise.all(replicas.map(servedCount));
      const answers = await run(agent, images, 3000, 48);
      const served = (await Promise.all(replicas.map(servedCount))).map((n, i) => n - before[i]!);
      const total = served.reduce((a, b) => a + b, 0);
      const shares = served.map((n) => n / total);
      t.diagnostic(
        `served per replica: ${served.join(' / ')} = ${shares.map((s) => (s * 100).toFixed(1)).join(' / ')} %`,
      );
      const all = [...answers.values()].map((l) => l[0]!);
      assert.equal(all.filter((a) => a.source === 'cloud').length, 3000, 'every answer from the cloud');
      assert.equal(total, 3000, 'the servers counted exactly the requests sent');
      for (const share of shares)
        assert.ok(Math.abs(share - 1 / 3) <= 0.1, `share ${share.toFixed(3)} within 33 % ± 10 %`);
    } finally {
      await agent.close();
    }
  });

  it('deploy - a replica SIGKILLed under load loses no request', { timeout: 120_000 }, async (t) => {
    const agent = await agentFor(staticTarget(replicas));
    const ledger = createAgentLedger(agent);
    try {
      const warm = Date.now() + 3000;
      while (Date.now() < warm) await run(agent, images, 200, 32);
      const retriedBefore = agent.stats().offload?.retried ?? 0;
      const announcedBefore = ledger.announced();
      const logged = (): AccessLine[] => accessLogs.flatMap(readAccessLog);
      const linesBefore = logged().length;
      let killedAt = -1;
      let afterKill = 0;
      let answered = 0;
      const count = 3000;
      // 128 in flight, each answer issuing the next: counted per request id on the agent.
      let next = 0;
      const issueNext = (): void => {
        if (next >= count) return;
        const id = next++;
        void ledger
          .issue(id, () => agent.infer({ kind: 'pixels', data: imageAt(images, id % images.count) }))
          .then((a) => {
            issueNext();
            if (killedAt < 0 && ++answered === 600) {
              killedAt = answered;
              replicas[1]!.child.kill('SIGKILL');
            } else if (killedAt >= 0 && a?.source === 'cloud') afterKill++;
          });
      };
      for (let i = 0; i < 128; i++) issueNext();
      assert.deepEqual(await ledger.settle(60_000), [], 'request ids with no answer');
      assert.ok(killedAt > 0, 'the replica was killed mid-run');
      assert.equal(ledger.answers.size, count, 'every request id answered');
      const twice = [...ledger.answers].filter(([, l]) => l.length !== 1).map(([id]) => id);
      assert.deepEqual(twice, [], 'request ids answered more than once');
      assert.equal(ledger.announced() - announcedBefore, count, 'answers the agent announced (onAnswer)');
      const all = [...ledger.answers.values()].map((l) => l[0]!);
      const degraded = all.filter((a) => a.degraded).length;
      const cloud = all.filter((a) => a.source === 'cloud').length;
      const retried = (agent.stats().offload?.retried ?? 0) - retriedBefore;
      // The server side: the three replicas' access logs for this run.
      const served = tallyServers(logged().slice(linesBefore));
      assert.deepEqual(served.twiceOnOneStream, [], 'request ids a replica answered twice on one stream');
      assert.deepEqual(served.unnamed, [], 'every logged request named by its agent stream (TAG-N/ID)');
      assert.ok(served.ok >= cloud, `every cloud answer written by a replica (${served.ok} ≥ ${cloud})`);
      t.diagnostic(
        `after SIGKILL of 1 of 3: ${cloud} cloud, ${degraded} degraded, ${retried} retried on another stream; ` +
          `replicas wrote ${served.lines} answers, ${served.retries} of retries, ${served.ranTwice} request ids answered by two replicas`,
      );
      assert.equal(cloud + degraded, count, 'each answer is the cloud’s or a degraded local one');
      assert.ok(afterKill > 1000, `the two survivors carried on (${afterKill} cloud answers after the kill)`);
      assert.ok(degraded <= 128, `at most the requests in flight at the kill were degraded (${degraded})`);
    } finally {
      ledger.stop();
      await agent.close();
    }
  });

  it('deploy - a replica drained by SIGTERM (a rolling update) under load: nothing degraded', {
    timeout: 120_000,
  }, async (t) => {
    const fresh = await startReplica();
    replicas.push(fresh);
    const set = [replicas[0]!, replicas[2]!, fresh];
    const agent = await agentFor(staticTarget(set));
    try {
      const warm = Date.now() + 3000;
      while (Date.now() < warm) await run(agent, images, 200, 32);
      const retriedBefore = agent.stats().offload?.retried ?? 0;
      let stopped: Promise<number | null> | undefined;
      const answers = await run(agent, images, 2000, 64, (_a, answered) => {
        if (!stopped && answered === 400) stopped = fresh.stop('SIGTERM');
      });
      assert.equal(await stopped, 0, 'the drained replica exited 0');
      assert.equal(answers.size, 2000);
      assert.ok(
        [...answers.values()].every((l) => l.length === 1),
        'exactly once',
      );
      const all = [...answers.values()].map((l) => l[0]!);
      const degraded = all.filter((a) => a.degraded);
      const retried = (agent.stats().offload?.retried ?? 0) - retriedBefore;
      t.diagnostic(
        `SIGTERM drain of 1 of 3: ${2000 - degraded.length} cloud, ${degraded.length} degraded, ${retried} retried`,
      );
      assert.deepEqual(
        degraded.map((a) => a.reason),
        [],
        'a drain sends UNAVAILABLE in-band and ends streams: every request is retried elsewhere',
      );
    } finally {
      await agent.close();
    }
  });

  it('deploy - a dns:/// target balances too (localhost resolves to one replica here)', async () => {
    const agent = await agentFor(`dns:///localhost:${replicas[0]!.port}`);
    try {
      const answers = await run(agent, images, 20, 4);
      assert.ok([...answers.values()].every((l) => l[0]!.source === 'cloud'));
    } finally {
      await agent.close();
    }
  });
});
