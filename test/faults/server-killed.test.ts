// Fault: the tail server is SIGKILLed with exactly 2,000 requests in flight. Counted on both
// sides: on the agent, every request id gets exactly one answer (the cloud's, or the device's own
// marked degraded) within its deadline, and the agent announces no more answers than that; on the
// server, its access log (written before each answer leaves) shows no request id answered twice on
// one stream, and every cloud answer the agent took was written by a server. When the server comes
// back on the same port, the agent reconnects and offloading resumes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServeProcess } from '@cleave/cli/serve-process';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Answer, createAgent } from '@cleave/edge-agent';
import { createAgentLedger, readAccessLog, tallyServers } from '../support/answer-ledger.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const IN_FLIGHT = 2000;
const TOTAL = 3000;
const KILL_AFTER_CLOUD = 300;

describe('faults - server killed', { timeout: 240_000 }, () => {
  it('faults - SIGKILL with 2,000 in flight: one answer per request id on both sides, then reconnection', {
    timeout: 200_000,
  }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-killed-'));
    const accessLog = join(dir, 'access.jsonl');
    const serveArgs = [
      ...['--models', MODELS_DIR, '--model', DEFAULT_BUNDLE, '--workers', '1', '--no-http'],
      ...['--access-log', accessLog],
    ];
    let server = await startServeProcess(serveArgs);
    const port = server.port;
    const timeoutMs = 5000;
    const agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      mode: 'cloud-only',
      energy: { enabled: false },
      cloud: { target: `127.0.0.1:${port}`, timeoutMs },
      policy: { breaker: { baseBackoffMs: 100, maxBackoffMs: 1000 } },
      // 2,000 in flight wait for the head's workers; the device-side queue must hold them.
      poolQueueLimit: 4096,
    });
    const ledger = createAgentLedger(agent);
    try {
      const data = await loadFashionMnist({ split: 'test', limit: TOTAL });
      let next = 0;
      let cloud = 0;
      let inFlightAtKill = -1;
      const started = performance.now();
      // A closed loop: each answer issues the next request in the turn it arrives, so the agent
      // holds exactly IN_FLIGHT unanswered requests between turns of the event loop. (Answers
      // that share a bundle settle together, and their follow-ups are issued a few microtasks
      // later: the count is taken, and the server killed, once that turn is over.)
      const issueNext = (): void => {
        if (next >= TOTAL) return;
        const id = next++;
        void ledger.issue(id, () => agent.infer({ kind: 'pixels', data: imageAt(data, id) })).then(onAnswer);
      };
      const onAnswer = (a: Answer | undefined) => {
        issueNext();
        if (a?.source === 'cloud' && ++cloud === KILL_AFTER_CLOUD) {
          setImmediate(() => {
            inFlightAtKill = ledger.outstanding();
            server.child.kill('SIGKILL');
          });
        }
      };
      for (let i = 0; i < IN_FLIGHT; i++) issueNext();
      const unanswered = await ledger.settle(timeoutMs * 2 + 60_000);
      assert.equal(inFlightAtKill, IN_FLIGHT, 'requests in flight on the agent at the SIGKILL');
      assert.deepEqual(unanswered, [], 'request ids with no answer');
      assert.equal(ledger.answers.size, TOTAL, 'every request id answered');
      const twice = [...ledger.answers].filter(([, list]) => list.length !== 1).map(([id]) => id);
      assert.deepEqual(twice, [], 'request ids answered more than once');
      assert.equal(ledger.announced(), TOTAL, 'answers the agent announced (onAnswer)');

      const all = [...ledger.answers.values()].map((l) => l[0]!);
      const fromCloud = all.filter((a) => a.source === 'cloud').length;
      const degraded = all.filter((a) => a.degraded).length;
      assert.ok(degraded > 0, 'some answered on the device after the kill');
      assert.equal(fromCloud + degraded, TOTAL);
      const slowest = Math.max(...all.map((a) => a.timings.totalMs));
      assert.ok(
        slowest < timeoutMs + 3000,
        `no answer later than its deadline (slowest ${slowest.toFixed(0)} ms)`,
      );
      assert.ok(performance.now() - started < 120_000);
      const announced = ledger.announced();

      // The server side, from the killed process's access log.
      const killed = tallyServers(readAccessLog(accessLog));
      assert.deepEqual(killed.twiceOnOneStream, [], 'request ids the server answered twice on one stream');
      assert.deepEqual(killed.unnamed, [], 'every logged request named by its agent stream (TAG-N/ID)');
      assert.ok(
        killed.ok >= fromCloud,
        `every cloud answer was written by the server (${killed.ok} written, ${fromCloud} taken)`,
      );

      // The server comes back on the same port; offloading resumes without restarting the agent.
      server = await startServeProcess([...serveArgs, '--port', String(port)]);
      assert.equal(server.port, port);
      const until = Date.now() + 30_000;
      let resumed: Answer | undefined;
      for (let i = 0; Date.now() < until && !resumed; i++) {
        const a = await agent.infer({ kind: 'pixels', data: imageAt(data, i % data.count) });
        if (a.source === 'cloud') resumed = a;
        else await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(resumed, 'the agent reconnected and offloaded again');
      const both = tallyServers(readAccessLog(accessLog));
      assert.equal(both.processes, 2);
      assert.deepEqual(both.twiceOnOneStream, []);
      t.diagnostic(
        `in flight at the kill ${inFlightAtKill}; agent: ${TOTAL} ids, ${fromCloud} cloud, ${degraded} degraded, ` +
          `${announced} announced; servers: ${both.lines} answers written by ${both.processes} processes, ` +
          `${both.ranTwice} request ids answered by both (retries after the kill)`,
      );
    } finally {
      ledger.stop();
      await agent.close();
      await server.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
