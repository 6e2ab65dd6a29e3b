// A client that stops reading answers: the server stops reading its requests once the answers
// back up (HTTP/2 flow control and the stream's write buffer), instead of running them all and
// holding every answer in memory; once the client reads again, each request gets one answer.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeRealFrames } from '@cleave/bench';
import { startServeProcess } from '@cleave/cli/serve-process';
import { loadBundle } from '@cleave/models';
import { status } from '@grpc/grpc-js';
import { openH2Load } from '../support/h2-load.js';
import { serverMetricSum } from '../support/server-metric.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const REQUESTS = 50_000;

describe('serve - backpressure from a client that does not read', { timeout: 120_000 }, () => {
  it('serve - the server holds back while answers are unread, then answers each request once', {
    timeout: 100_000,
  }, async () => {
    const server = await startServeProcess([
      '--models',
      MODELS_DIR,
      '--model',
      DEFAULT_BUNDLE,
      '--workers',
      '1',
    ]);
    const real = await makeRealFrames(await loadBundle(join(MODELS_DIR, DEFAULT_BUNDLE)), 64);
    const load = await openH2Load({
      port: server.port,
      model: DEFAULT_BUNDLE,
      frames: real.frames,
      timeoutMs: 60_000,
    });
    try {
      load.pauseReading();
      for (let sent = 0; sent < REQUESTS; sent += 1000) {
        load.send(1000);
        await new Promise((r) => setTimeout(r, 5));
      }
      // Let the server run what it took, then check it took no more.
      let before = -1;
      let now = await serverMetricSum(server.httpPort!, 'cleave_server_requests_total');
      while (now !== before) {
        await new Promise((r) => setTimeout(r, 1500));
        before = now;
        now = await serverMetricSum(server.httpPort!, 'cleave_server_requests_total');
      }
      assert.ok(now > 0, 'the server answered some requests before the client stopped reading');
      assert.ok(
        now < REQUESTS / 4,
        `the server stopped at ${now} of ${REQUESTS} while its answers were unread`,
      );
      load.resumeReading();
      await load.settle(60_000);
      const ids = new Set(load.outcomes.map((o) => o.id));
      assert.equal(load.outcomes.length, REQUESTS, 'one answer per request');
      assert.equal(ids.size, REQUESTS, 'no request answered twice');
      // Once reading resumes the backlog arrives at once: past the stream's in-flight limit the
      // server refuses in-band (RESOURCE_EXHAUSTED), as it must; nothing else.
      const codes = new Set(load.outcomes.map((o) => o.code));
      assert.ok(
        [...codes].every((c) => c === 0 || c === status.RESOURCE_EXHAUSTED),
        `codes ${[...codes]}`,
      );
      process.stderr.write(
        `held at ${now} of ${REQUESTS}; ${load.outcomes.filter((o) => o.code === 0).length} results\n`,
      );
    } finally {
      load.close();
      await server.stop();
    }
  });
});
