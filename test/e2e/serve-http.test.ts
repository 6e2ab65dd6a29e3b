// The KServe v2 (Open Inference Protocol) HTTP endpoints, called with plain fetch: health,
// metadata, readiness, and infer in the JSON and the binary-extension forms. Answers must equal
// the gRPC ones for the same frames.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeRealFrames, type RealFrames } from '@cleave/bench';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { loadBundle } from '@cleave/models';
import { type InferResponse__Output, loadCleaveProto, type SplitInferenceClient } from '@cleave/wire';
import { credentials } from '@grpc/grpc-js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

interface InferReply {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: Array<{ name: string; datatype: string; shape: number[]; data: number[] }>;
}

describe('serve - KServe v2 HTTP endpoints', { timeout: 120_000 }, () => {
  let server: TailServer;
  let client: SplitInferenceClient;
  let real: RealFrames;
  let base: string;

  before(async () => {
    server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { port: 0 },
      workers: 1,
    });
    base = `http://127.0.0.1:${server.httpPort}`;
    client = new (loadCleaveProto().cleave.v1.SplitInference)(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
    real = await makeRealFrames(await loadBundle(join(MODELS_DIR, DEFAULT_BUNDLE)), 8);
  });
  after(async () => {
    client?.close();
    await server?.drain();
  });

  const grpcLogits = (frame: Uint8Array) =>
    new Promise<number[]>((resolve, reject) =>
      client.Infer({ request_id: 'x', frame }, (e: Error | null, r?: InferResponse__Output) =>
        e ? reject(e) : resolve(r!.result!.logits),
      ),
    );

  it('serve - health and readiness for Kubernetes probes and KServe clients', {
    timeout: 10_000,
  }, async () => {
    assert.deepEqual(await (await fetch(`${base}/v2/health/live`)).json(), { live: true });
    const ready = await fetch(`${base}/v2/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal((await fetch(`${base}/v2/models/${DEFAULT_BUNDLE}/ready`)).status, 200);
    assert.equal((await fetch(`${base}/v2/models/nope/ready`)).status, 404);
    const meta = (await (await fetch(`${base}/v2`)).json()) as { name: string; extensions: string[] };
    assert.equal(meta.name, 'cleave');
  });

  it('serve - model metadata matches the gRPC metadata', { timeout: 10_000 }, async () => {
    const res = await fetch(`${base}/v2/models/${DEFAULT_BUNDLE}`);
    assert.equal(res.status, 200);
    const md = (await res.json()) as {
      name: string;
      versions: string[];
      inputs: Array<{ name: string; datatype: string }>;
      outputs: Array<{ name: string; shape: number[] }>;
      parameters: { head_sha256: string; labels: string[] };
    };
    assert.equal(md.name, DEFAULT_BUNDLE);
    assert.deepEqual(md.inputs[0], { name: 'frame', datatype: 'BYTES', shape: [-1] });
    assert.deepEqual(md.outputs[0]!.shape, [-1, 10]);
    assert.equal(md.parameters.head_sha256, real.codec.headSha256);
    const versioned = await fetch(`${base}/v2/models/${DEFAULT_BUNDLE}/versions/${md.versions[0]}`);
    assert.equal(versioned.status, 200);
    assert.equal((await fetch(`${base}/v2/models/nope`)).status, 404);
  });

  it('serve - JSON infer gives the gRPC answers', { timeout: 20_000 }, async () => {
    const frames = real.frames.slice(0, 4);
    const res = await fetch(`${base}/v2/models/${DEFAULT_BUNDLE}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'req-1',
        inputs: [
          {
            name: 'frame',
            datatype: 'BYTES',
            shape: [frames.length],
            data: frames.map((f) => Buffer.from(f).toString('base64')),
          },
        ],
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as InferReply;
    assert.equal(body.id, 'req-1');
    assert.equal(body.model_name, DEFAULT_BUNDLE);
    const logits = body.outputs.find((o) => o.name === 'logits')!;
    assert.deepEqual(logits.shape, [4, 10]);
    for (let i = 0; i < frames.length; i++) {
      const expected = await grpcLogits(frames[i]!);
      const got = logits.data.slice(i * 10, (i + 1) * 10);
      for (const [k, v] of got.entries())
        assert.ok(Math.abs(v - expected[k]!) < 1e-5, `frame ${i} logit ${k}`);
    }
    const labels = body.outputs.find((o) => o.name === 'label')!;
    assert.equal(labels.data.length, 4);
  });

  it('serve - the binary tensor extension gives the same answer', { timeout: 20_000 }, async () => {
    const frame = real.frames[5]!;
    const element = Buffer.alloc(4 + frame.length);
    element.writeUInt32LE(frame.length, 0);
    Buffer.from(frame).copy(element, 4);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'frame', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: element.length } },
        ],
      }),
    );
    const res = await fetch(`${base}/v2/models/${DEFAULT_BUNDLE}/infer`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
      },
      body: Buffer.concat([header, element]),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as InferReply;
    const expected = await grpcLogits(frame);
    for (const [k, v] of body.outputs[0]!.data.entries()) assert.ok(Math.abs(v - expected[k]!) < 1e-5);
  });

  it('serve - bad requests get the HTTP status of their gRPC code', { timeout: 10_000 }, async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const infer = `/v2/models/${DEFAULT_BUNDLE}/infer`;
    assert.equal((await post(infer, 'not json')).status, 400);
    assert.equal((await post(infer, { inputs: [] })).status, 400);
    const garbage = { inputs: [{ name: 'frame', datatype: 'BYTES', shape: [1], data: ['AAAA'] }] };
    const bad = await post(infer, garbage);
    assert.equal(bad.status, 400); // INVALID_ARGUMENT: not a frame
    assert.match(((await bad.json()) as { error: string }).error, /frame/i);
    const frame = Buffer.from(real.frames[0]!).toString('base64');
    const missing = await post('/v2/models/nope/infer', {
      inputs: [{ name: 'frame', datatype: 'BYTES', shape: [1], data: [frame] }],
    });
    assert.equal(missing.status, 404);
    assert.equal((await fetch(`${base}${infer}`)).status, 405);
    assert.equal((await fetch(`${base}/nowhere`)).status, 404);
  });
});
