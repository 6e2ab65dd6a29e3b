// Bad input at the agent's local HTTP API: non-images, truncated and corrupted PNGs, a 100 MB body,
// wrong content types, JSON of the wrong shape, odd-length tensors. Each gets a 4xx with a clear
// message; the agent stays up and its memory does not grow with what it refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { createAgent, startHttpApi } from '@cleave/edge-agent';
import sharp from 'sharp';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('faults - hostile input at the agent HTTP API', { timeout: 120_000 }, () => {
  it('faults - every bad request gets a 4xx with a message; the agent stays up; memory holds', {
    timeout: 100_000,
  }, async () => {
    const agent = await createAgent({
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      mode: 'edge-only',
      energy: { enabled: false },
    });
    const api = await startHttpApi(agent, { host: '127.0.0.1', port: 0, maxBodyBytes: 4 * 1024 * 1024 });
    const url = `http://127.0.0.1:${api.port}/v1/infer`;
    try {
      const data = await loadFashionMnist({ split: 'test', limit: 1 });
      const png = await sharp(Buffer.from(imageAt(data, 0)), { raw: { width: 28, height: 28, channels: 1 } })
        .png()
        .toBuffer();
      const corrupted = Buffer.from(png);
      corrupted.fill(0xaa, 40, 80);
      const cases: Array<[string, string, string | Uint8Array, number[]]> = [
        ['random bytes as PNG', 'image/png', randomBytes(5000), [400, 415]],
        ['truncated PNG', 'image/png', png.subarray(0, png.length >> 1), [400]],
        ['corrupted PNG', 'image/png', corrupted, [400]],
        ['text', 'text/plain', 'hello', [415]],
        ['no content type', '', 'hello', [415]],
        ['JSON not an object', 'application/json', '[1,2,3]', [400]],
        ['JSON of the wrong shape', 'application/json', '{"pixels":"abc"}', [400]],
        ['pixels out of range', 'application/json', JSON.stringify({ pixels: [999, -1] }), [400]],
        ['too few pixels', 'application/json', JSON.stringify({ pixels: [1, 2, 3] }), [400]],
        ['broken JSON', 'application/json', '{"pixels": [1, 2', [400]],
        ['odd-length tensor', 'application/octet-stream', randomBytes(7), [400]],
        ['wrong-size tensor', 'application/octet-stream', new Uint8Array(4 * 10), [400]],
        ['empty body', 'image/png', new Uint8Array(0), [400]],
      ];
      const rssBefore = process.memoryUsage().rss;
      for (let round = 0; round < 20; round++) {
        for (const [name, type, body, statuses] of cases) {
          const res = await fetch(url, {
            method: 'POST',
            body,
            headers: type ? { 'content-type': type } : {},
          });
          const text = await res.text();
          assert.ok(statuses.includes(res.status), `${name}: ${res.status} ${text}`);
          assert.match(JSON.parse(text).error, /\w{4,}/, `${name}: a message`);
        }
      }
      // 100 MB, streamed: refused with 413 before it is read in full.
      const big = Readable.from(
        (function* () {
          for (let i = 0; i < 100; i++) yield Buffer.alloc(1024 * 1024);
        })(),
      );
      const huge = await fetch(url, {
        method: 'POST',
        body: Readable.toWeb(big) as ReadableStream,
        headers: { 'content-type': 'application/octet-stream' },
        duplex: 'half',
      } as RequestInit).catch((e: Error) => e);
      if (!(huge instanceof Error)) assert.equal(huge.status, 413);
      const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      assert.ok(grown < 150, `RSS grew ${grown.toFixed(0)} MB over 260 refusals and a 100 MB body`);
      // Still answering, and a good PNG still works.
      const health = await fetch(`http://127.0.0.1:${api.port}/healthz`);
      assert.equal(health.status, 200);
      const ok = await fetch(url, { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
      assert.equal(ok.status, 200, await ok.clone().text());
    } finally {
      await api.close();
      await agent.close();
    }
  });
});
