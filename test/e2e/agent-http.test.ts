// The agent's local HTTP API with real images, against a real tail server.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent, type HttpApi, startHttpApi } from '@cleave/edge-agent';
import sharp from 'sharp';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('agent - HTTP API', { timeout: 120_000 }, () => {
  let server: TailServer;
  let agent: Agent;
  let api: HttpApi;
  let base: string;

  before(async () => {
    server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { port: 0 },
      workers: 1,
    });
    agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      cloud: { target: `127.0.0.1:${server.port}`, timeoutMs: 10_000 },
    });
    api = await startHttpApi(agent, { host: '127.0.0.1', port: 0, maxBodyBytes: 1024 * 1024 });
    base = `http://127.0.0.1:${api.port}`;
  });
  after(async () => {
    await api?.close();
    await agent?.close();
    await server?.drain();
  });

  it('agent - a PNG, JSON pixels and a raw tensor of one image get the same answer', {
    timeout: 60_000,
  }, async () => {
    const data = await loadFashionMnist({ split: 'test', limit: 40 });
    const m = agent.bundle.manifest;
    for (let i = 0; i < data.count; i++) {
      const pixels = imageAt(data, i);
      const png = await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
        .png()
        .toBuffer();
      const jpeg = await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
        .jpeg({ quality: 100 })
        .toBuffer();
      const tensor = Float32Array.from(
        pixels,
        (p) =>
          (p * m.input.normalization.scale - m.input.normalization.mean[0]!) / m.input.normalization.std[0]!,
      );
      // scores=1: a cloud answer carries its class scores too (the compact form leaves them out).
      const post = async (type: string, body: Uint8Array | string) => {
        const res = await fetch(`${base}/v1/infer?scores=1`, {
          method: 'POST',
          headers: { 'content-type': type },
          body,
        });
        assert.equal(res.status, 200, await res.clone().text());
        return (await res.json()) as {
          label: number;
          source: string;
          scores: number[];
          timings: { totalMs: number };
        };
      };
      const a = await post('image/png', png);
      const cloudOnly = await fetch(`${base}/v1/infer?mode=cloud-only`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      const plain = (await cloudOnly.json()) as { source: string; scores: number[] };
      assert.equal(plain.source, 'cloud');
      assert.deepEqual(plain.scores, [], 'no scores unless asked: the logits did not travel');
      const withScores = await fetch(`${base}/v1/infer?mode=cloud-only&scores=1`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      assert.equal(((await withScores.json()) as { scores: number[] }).scores.length, 10);
      const b = await post('application/json', JSON.stringify({ pixels: Array.from(pixels) }));
      const c = await post('application/octet-stream', new Uint8Array(tensor.buffer));
      const d = await post('image/jpeg', jpeg);
      assert.equal(a.label, b.label);
      assert.equal(b.label, c.label);
      assert.ok(['exit', 'dual', 'cache', 'cloud'].includes(a.source), a.source);
      assert.equal(a.scores.length, 10);
      assert.ok(d.label >= 0 && d.label < 10);
    }
  });

  it('agent - bad requests get clear 4xx errors and the agent keeps serving', {
    timeout: 30_000,
  }, async () => {
    const cases: Array<[string, string | Uint8Array, number]> = [
      ['image/png', new TextEncoder().encode('definitely not a png'), 400],
      ['text/plain', 'hello', 415],
      ['application/json', '{"pixels": [1, 2, 3]}', 400],
      ['application/json', '{not json', 400],
      ['application/octet-stream', new Uint8Array(7), 400],
      ['application/octet-stream', new Uint8Array(2 * 1024 * 1024), 413],
    ];
    for (const [type, body, status] of cases) {
      const res = await fetch(`${base}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      assert.equal(res.status, status, `${type}: ${await res.clone().text()}`);
      const json = (await res.json()) as { error: string };
      assert.ok(json.error.length > 0);
    }
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    const h = (await health.json()) as { status: string; model: { name: string } };
    assert.equal(h.status, 'ok');
    assert.equal(h.model.name, DEFAULT_BUNDLE);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    const badMode = await fetch(`${base}/v1/infer?mode=fast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pixels: new Array(784).fill(0) }),
    });
    assert.equal(badMode.status, 400);
    assert.equal((await fetch(`${base}/v1/infer`)).status, 405);
  });
});
