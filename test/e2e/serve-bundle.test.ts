// Bundles (docs/wire-format.md, "Bundles"): the requests an agent writes in one turn leave as one
// InferStream message, and the answers a server writes in one turn come back as one, once each
// side has said it takes them. Against `cleave serve` as a separate process, and against a server
// that has never heard of bundles.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeRealFrames, type RealFrames } from '@cleave/bench';
import { type ServeProcess, startServeProcess } from '@cleave/cli/serve-process';
import { createOffloadClient, type OffloadClient } from '@cleave/edge-agent';
import { loadBundle } from '@cleave/models';
import {
  type InferRequest,
  type InferRequest__Output,
  type InferResponse__Output,
  loadCleaveProto,
} from '@cleave/wire';
import {
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const bundleDir = join(MODELS_DIR, DEFAULT_BUNDLE);
const proto = loadCleaveProto();

/** InferStream with this metadata: its server's initial metadata and every message it answers. */
function openStream(port: number, metadata: Record<string, string>) {
  const client = new proto.cleave.v1.SplitInference(`127.0.0.1:${port}`, credentials.createInsecure());
  const md = new Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  const stream = client.InferStream(md);
  const messages: InferResponse__Output[] = [];
  const headers = new Promise<Metadata>((resolve) => stream.once('metadata', resolve));
  stream.on('data', (m: InferResponse__Output) => messages.push(m));
  stream.on('error', () => undefined);
  return {
    stream,
    headers,
    messages,
    /** The answers so far, out of their bundles, by id. */
    answers(): Map<number, InferResponse__Output> {
      const out = new Map<number, InferResponse__Output>();
      for (const m of messages) for (const a of m.bundle.length > 0 ? m.bundle : [m]) out.set(a.id, a);
      return out;
    },
    close() {
      stream.cancel();
      client.close();
    },
  };
}

async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const offloadClient = (port: number, model: string, bundle: boolean): OffloadClient =>
  createOffloadClient({
    target: `127.0.0.1:${port}`,
    model,
    bundle,
    maxQueuedWrites: 1000,
    keepaliveTimeMs: 30_000,
    keepaliveTimeoutMs: 10_000,
    maxMessageBytes: 4 * 1024 * 1024,
    channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
  });

describe('serve - bundles', { timeout: 180_000 }, () => {
  let server: ServeProcess;
  let real: RealFrames;
  let model: string;

  before(async () => {
    real = await makeRealFrames(await loadBundle(bundleDir), 64);
    model = `${real.codec.modelName}@${real.codec.modelVersion}`;
    server = await startServeProcess(['--models', MODELS_DIR, '--model', DEFAULT_BUNDLE, '--workers', '1']);
  });
  after(async () => {
    await server?.stop('SIGKILL');
  });

  it('bundles - a stream that asks is told so; each item is answered as if it came alone, and a turn of answers comes back as one message', {
    timeout: 60_000,
  }, async () => {
    const n = 32;
    const requests: InferRequest[] = real.frames.slice(0, n).map((frame, i) => ({ id: i + 1, frame }));
    const bundled = openStream(server.port, { 'cleave-model': model, 'cleave-bundle': '1' });
    const plain = openStream(server.port, { 'cleave-model': model });
    try {
      bundled.stream.write({ bundle: requests });
      for (const r of requests) plain.stream.write(r);
      await until('every answer', () => bundled.answers().size === n && plain.answers().size === n);
      assert.equal((await bundled.headers).get('cleave-bundle')[0], '1');
      assert.equal((await plain.headers).get('cleave-bundle').length, 0, 'no announcement unasked');
      for (let id = 1; id <= n; id++) {
        const a = bundled.answers().get(id)!;
        const b = plain.answers().get(id)!;
        assert.ok(!a.error, `id ${id}: ${a.error?.message}`);
        assert.equal(a.label, b.label, `id ${id}`);
        assert.equal(a.score_e4, b.score_e4, `id ${id}`);
      }
      // The answers were written in few turns (batches of up to 32): fewer messages than answers.
      assert.ok(bundled.messages.length < n, `${bundled.messages.length} messages for ${n} answers`);
      assert.ok(bundled.messages.some((m) => m.bundle.length > 1));
      // A stream that did not ask gets one message per answer.
      assert.equal(plain.messages.length, n);
      assert.ok(plain.messages.every((m) => m.bundle.length === 0));
    } finally {
      bundled.close();
      plain.close();
    }
  });

  it('bundles - unary Infer refuses a bundle with INVALID_ARGUMENT', { timeout: 30_000 }, async () => {
    const client = new proto.cleave.v1.SplitInference(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
    try {
      const md = new Metadata();
      md.set('cleave-model', model);
      const error = await new Promise<ServiceError | null>((resolve) =>
        client.Infer({ bundle: [{ id: 1, frame: real.frames[0]! }] }, md, (e) => resolve(e)),
      );
      assert.equal(error?.code, 3);
      assert.match(error?.details ?? '', /bundle/);
    } finally {
      client.close();
    }
  });

  it('bundles - the offload client bundles a turn of requests once the server says so, with the same answers', {
    timeout: 60_000,
  }, async () => {
    const n = 64;
    const run = async (bundle: boolean) => {
      const client = offloadClient(server.port, model, bundle);
      try {
        // One request first: its answer brings the server's initial metadata (the announcement).
        await client.infer(real.frames[0]!, 30_000);
        const before = client.stats();
        const results = await Promise.all(real.frames.slice(0, n).map((f) => client.infer(f, 30_000)));
        const after = client.stats();
        return {
          labels: results.map((r) => r.result.label),
          wire: results.reduce((s, r) => s + r.wireBytes, 0),
          sent: after.sent.messages - before.sent.messages,
          requests: after.sent.requests - before.sent.requests,
          received: after.received.messages - before.received.messages,
          answers: after.received.answers - before.received.answers,
        };
      } finally {
        client.close();
      }
    };
    const bundled = await run(true);
    const plain = await run(false);
    assert.deepEqual(bundled.labels, plain.labels);
    assert.equal(bundled.requests, n);
    assert.equal(bundled.answers, n);
    assert.ok(bundled.sent < n / 4, `${bundled.sent} messages for ${n} requests written in one turn`);
    assert.ok(bundled.received < n, `${bundled.received} messages for ${n} answers`);
    assert.equal(plain.sent, n);
    assert.equal(plain.received, n);
    // The bundle's bytes are shared among its requests, so they pay less than one message each.
    assert.ok(bundled.wire < plain.wire, `${bundled.wire} B bundled against ${plain.wire} B alone`);
  });

  it('bundles - against a server that never announces them, the offload client sends one request per message', {
    timeout: 60_000,
  }, async () => {
    // A server from before bundles: it would take a bundle for one empty request.
    const seen: InferRequest__Output[] = [];
    const old = new Server();
    old.addService(proto.cleave.v1.SplitInference.service, {
      InferStream(call: ServerDuplexStream<InferRequest__Output, object>) {
        call.on('data', (req: InferRequest__Output) => {
          seen.push(req);
          call.write({ id: req.id, label: 1, score_e4: 5000 });
        });
        call.on('end', () => call.end());
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      old.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const client = offloadClient(port, model, true);
    try {
      await client.infer(real.frames[0]!, 30_000);
      const results = await Promise.all(real.frames.slice(0, 32).map((f) => client.infer(f, 30_000)));
      assert.ok(results.every((r) => r.result.label === 1));
      assert.equal(seen.length, 33);
      assert.ok(seen.every((r) => r.bundle.length === 0 && r.id > 0 && r.frame.length > 0));
      assert.equal(client.stats().sent.messages, 33);
    } finally {
      client.close();
      old.forceShutdown();
    }
  });
});
