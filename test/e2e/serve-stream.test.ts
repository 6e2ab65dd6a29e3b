// End to end: `cleave serve` as a separate process, real frames from real heads over one
// InferStream, 1,000 requests at once, a malformed frame mid-stream, and the server killed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeRealFrames, type RealFrames, scrapeBatchSizes } from '@cleave/bench';
import { type ServeProcess, startServeProcess } from '@cleave/cli/serve-process';
import { createBottleneckCodec } from '@cleave/codec';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import { openRawStream } from '../support/raw-stream.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const bundleDir = join(MODELS_DIR, DEFAULT_BUNDLE);

describe('serve - InferStream end to end', { timeout: 240_000 }, () => {
  let server: ServeProcess;
  let real: RealFrames;

  before(async () => {
    const bundle = await loadBundle(bundleDir);
    real = await makeRealFrames(bundle, 1000);
    server = await startServeProcess(['--models', MODELS_DIR, '--model', DEFAULT_BUNDLE, '--workers', '2']);
  });
  after(async () => {
    await server?.stop('SIGKILL');
  });

  it('serve - 1,000 concurrent requests from an agent are each answered exactly once', {
    timeout: 120_000,
  }, async () => {
    const agent = await createAgent({
      bundleDir,
      // Every request goes to the cloud.
      mode: 'cloud-only',
      cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 60_000 },
    });
    try {
      const data = await loadFashionMnist({ split: 'test', limit: 1000 });
      const answers = await Promise.all(
        Array.from({ length: data.count }, (_, i) => agent.infer({ kind: 'pixels', data: imageAt(data, i) })),
      );
      assert.equal(answers.length, 1000);
      assert.ok(answers.every((a) => a.source === 'cloud' && !a.degraded));
      const stats = agent.stats();
      assert.equal(stats.answeredBy.cloud, 1000);
      assert.equal(stats.requests, 1000);
      // Answers matched to the wrong request would sink accuracy to chance.
      const correct = answers.filter((a, i) => a.label === data.labels[i]).length;
      assert.ok(correct / 1000 > 0.85, `accuracy ${correct / 1000}`);
      assert.ok(answers.every((a) => a.bytesSent.frame > 0 && a.bytesSent.wire > a.bytesSent.frame));
      assert.ok(
        answers.every((a) => (a.timings.server?.totalUs ?? 0) > 0),
        'server time on every answer',
      );
      // The compact answer carries no batch size: the server's own histogram says it batched.
      const batches = await scrapeBatchSizes(`http://127.0.0.1:${server.httpPort}/metrics`);
      assert.ok(batches && batches.sum > batches.count, 'the server batched requests');
    } finally {
      await agent.close();
    }
  });

  it('serve - a malformed frame gets INVALID_ARGUMENT in-band and the stream goes on', {
    timeout: 60_000,
  }, async () => {
    // The stream names its model once, in metadata, as the agent does.
    const raw = openRawStream(server.port, {
      'cleave-model': `${real.codec.modelName}@${real.codec.modelVersion}`,
    });
    const unnamed = openRawStream(server.port);
    const unknown = openRawStream(server.port, { 'cleave-model': 'no-such-model@1.0.0' });
    try {
      const bad = Uint8Array.from(real.frames[0]!);
      bad[bad.length - 1]! ^= 0xff; // breaks the CRC
      const truncated = real.frames[1]!.subarray(0, 10);
      const wrongHead = createBottleneckCodec({
        modelName: real.codec.modelName,
        modelVersion: real.codec.modelVersion,
        headSha256: 'ab'.repeat(32),
        bits: real.codec.bits,
        shape: real.codec.shape,
        min: [0],
        max: [1],
      }).encode(new Float32Array(real.codec.elementCount));
      const requests = [
        ...real.frames.slice(0, 20).map((frame, i) => ({ request_id: `ok-${i}`, frame })),
        { request_id: 'bad-crc', frame: bad },
        { request_id: 'truncated', frame: truncated },
        { request_id: 'wrong-head', frame: wrongHead },
        ...real.frames.slice(20, 40).map((frame, i) => ({ request_id: `ok-${20 + i}`, frame })),
      ];
      const res = await raw.exchange(requests, 30_000);
      assert.equal(res.size, requests.length);
      assert.equal(res.get('bad-crc')?.error?.code, 'INVALID_ARGUMENT');
      assert.equal(res.get('truncated')?.error?.code, 'INVALID_ARGUMENT');
      // A valid frame from a head the named model does not pair with.
      assert.equal(res.get('wrong-head')?.error?.code, 'FAILED_PRECONDITION');
      for (let i = 0; i < 40; i++) assert.ok(res.get(`ok-${i}`)?.result, `ok-${i} answered`);
      // Still open: one more request after the bad ones.
      const again = await raw.exchange([{ request_id: 'after', frame: real.frames[41]! }], 30_000);
      assert.ok(again.get('after')?.result);
      // A stream naming a model the server does not hold: NOT_FOUND, per request.
      const missing = await unknown.exchange([{ request_id: 'm', frame: real.frames[2]! }], 30_000);
      assert.equal(missing.get('m')?.error?.code, 'NOT_FOUND');
      // Without a name the head fingerprint routes: a real frame is served, an unknown head is NOT_FOUND.
      const routed = await unnamed.exchange(
        [
          { request_id: 'real', frame: real.frames[3]! },
          { request_id: 'stranger', frame: wrongHead },
        ],
        30_000,
      );
      assert.ok(routed.get('real')?.result);
      assert.equal(routed.get('stranger')?.error?.code, 'NOT_FOUND');
    } finally {
      raw.close();
      unnamed.close();
      unknown.close();
    }
  });
});

describe('serve - the server killed mid-run', { timeout: 180_000 }, () => {
  it('serve - every request is still answered, degraded, and none hangs past its deadline', {
    timeout: 150_000,
  }, async () => {
    const server = await startServeProcess([
      '--models',
      MODELS_DIR,
      '--model',
      DEFAULT_BUNDLE,
      '--workers',
      '1',
    ]);
    const timeoutMs = 5000;
    let agent: Agent | undefined;
    try {
      agent = await createAgent({
        bundleDir,
        mode: 'cloud-only',
        cloud: { target: `127.0.0.1:${server.port}`, timeoutMs },
      });
      const edge = agent;
      const data = await loadFashionMnist({ split: 'test', limit: 1000 });
      let cloud = 0;
      const started = performance.now();
      const work = Array.from({ length: data.count }, async (_, i) => {
        const a = await edge.infer({ kind: 'pixels', data: imageAt(data, i) });
        if (a.source === 'cloud') {
          cloud++;
          if (cloud === 50) server.child.kill('SIGKILL');
        }
        return a;
      });
      const answers = await Promise.all(work);
      const elapsed = performance.now() - started;
      assert.equal(answers.length, 1000);
      const degraded = answers.filter((a) => a.degraded);
      assert.ok(cloud >= 50, `cloud answered ${cloud}`);
      assert.ok(degraded.length > 0, 'some requests fell back');
      assert.equal(cloud + degraded.length, 1000);
      assert.ok(degraded.every((a) => a.source === 'fallback' && a.reason && a.label >= 0));
      assert.ok(
        answers.every((a) => a.timings.totalMs < timeoutMs + 2000),
        `no answer later than its deadline (slowest ${Math.max(...answers.map((a) => a.timings.totalMs)).toFixed(0)} ms)`,
      );
      assert.ok(elapsed < 60_000);
    } finally {
      await agent?.close();
      await server.stop('SIGKILL');
    }
  });
});
