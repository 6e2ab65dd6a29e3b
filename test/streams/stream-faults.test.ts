// cleave-test: exclusive (it times a reconnection)
// Must show (#21), faults, with a real `cleave agent` process and real ffmpeg on both sides:
// - the RTSP camera is killed and started again: the agent takes its frames again within 5 s;
// - a garbage file, a truncated MP4 and a URL where nothing answers each get a clear error in
//   /healthz, while the other sources (the camera, an image folder) and the HTTP API keep working.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import type { StreamEvent } from '@cleave/edge-agent';
import sharp from 'sharp';
import { type AgentProcess, collectSse, startAgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/nats-server.js';
import { DEFAULT_BUNDLE } from '../support/shipped-bundles.js';
import { makeClip, type RtspCamera, runFfmpeg, startRtspCamera } from '../support/stream-clip.js';

interface SourceHealth {
  id: string;
  state: string;
  reconnects: number;
  in: number;
  lastError: { message: string } | null;
}

const until = async (what: string, ms: number, check: () => Promise<boolean>) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('streams - faults: a camera restart, bad files and a dead URL', { timeout: 150_000 }, () => {
  let dir: string;
  let agent: AgentProcess;
  let camera: RtspCamera;
  let sse: { events: StreamEvent[]; close(): void };
  let png: Buffer;
  const health = async () =>
    ((await (await fetch(`${agent.base}/healthz`)).json()) as { streams: SourceHealth[] }).streams;
  const source = async (id: string) => (await health()).find((s) => s.id === id)!;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cleave-stream-faults-'));
    const data = await loadFashionMnist({ split: 'test', limit: 30 });
    const images = Array.from({ length: 30 }, (_, i) => imageAt(data, i));
    png = await sharp(Buffer.from(images[0]!), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    const clip = await makeClip(dir, images);
    // An MP4 keeps its index (moov) at the end: cut in half, it cannot be opened.
    const mp4 = join(dir, 'clip.mp4');
    await runFfmpeg(['-i', clip.path, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', mp4]);
    const whole = readFileSync(mp4);
    writeFileSync(join(dir, 'truncated.mp4'), whole.subarray(0, whole.byteLength >> 1));
    writeFileSync(join(dir, 'garbage.mp4'), randomBytes(64 * 1024));
    // An image folder played at a rate: 30 PNGs at 30 frames per second.
    mkdirSync(join(dir, 'folder'));
    for (const [i, pixels] of images.entries()) {
      await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
        .png()
        .toFile(join(dir, 'folder', `${String(i).padStart(3, '0')}.png`));
    }
    const rtspUrl = `rtsp://127.0.0.1:${await freePort()}/live`;
    const deadUrl = `http://127.0.0.1:${await freePort()}/camera.mjpeg`;
    agent = await startAgentProcess([
      '--bundle',
      DEFAULT_BUNDLE,
      '--source',
      `cam=${rtspUrl},listen=1`,
      '--source',
      `garbage=${join(dir, 'garbage.mp4')}`,
      '--source',
      `truncated=${join(dir, 'truncated.mp4')}`,
      '--source',
      `dead=${deadUrl}`,
      '--source',
      `folder=${join(dir, 'folder')}`,
    ]);
    sse = await collectSse<StreamEvent>(`${agent.base}/v1/events?source=cam`);
    camera = startRtspCamera(rtspUrl, clip.path, 1, { loop: true });
    await until('the camera streams', 20_000, async () => sse.events.length > 30);
  });
  after(async () => {
    sse?.close();
    await camera?.kill();
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('streams - bad files and a dead URL get clear errors; the HTTP API keeps answering', async () => {
    await until('the bad sources settle', 20_000, async () => {
      const h = await health();
      const dead = h.find((s) => s.id === 'dead')!;
      return (
        h.find((s) => s.id === 'garbage')!.state === 'failed' &&
        h.find((s) => s.id === 'truncated')!.state === 'failed' &&
        h.find((s) => s.id === 'folder')!.state === 'ended' &&
        dead.reconnects >= 2
      );
    });
    const h = await health();
    const msg = (id: string) => h.find((s) => s.id === id)!.lastError?.message ?? '';
    assert.match(msg('garbage'), /garbage\.mp4.*Invalid data found when processing input/);
    assert.match(msg('truncated'), /truncated\.mp4.*moov atom not found/);
    assert.match(msg('dead'), /Connection refused/);
    const dead = h.find((s) => s.id === 'dead')!;
    assert.ok(['backoff', 'connecting'].includes(dead.state), dead.state);
    assert.equal(h.find((s) => s.id === 'cam')!.state, 'streaming');
    // The folder beside them played through: every image in, each one answered or skipped.
    const folder = h.find((s) => s.id === 'folder')!;
    assert.equal(folder.in, 30, JSON.stringify(folder));
    assert.equal(folder.lastError, null);
    const res = await fetch(`${agent.base}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png,
    });
    assert.equal(res.status, 200);
    const metrics = await (await fetch(`${agent.base}/metrics`)).text();
    assert.match(metrics, /cleave_stream_up\{[^}]*source="cam"[^}]*\} 1/);
    assert.match(metrics, /cleave_stream_up\{[^}]*source="garbage"[^}]*state="failed"[^}]*\} 0/);
    assert.match(metrics, /cleave_stream_frames_total\{[^}]*source="cam"/);
  });

  it('streams - the RTSP camera killed and started again: frames again within 5 s', async () => {
    const before = await source('cam');
    await camera.kill();
    await until(
      'the agent notices the camera is gone',
      10_000,
      async () => (await source('cam')).state !== 'streaming',
    );
    await new Promise((r) => setTimeout(r, 1000));
    const restarted = Date.now();
    camera.restart();
    await until('a frame after the restart', 5000, async () =>
      sse.events.some((e) => e.captureTime >= restarted),
    );
    const back = Date.now() - restarted;
    const after = await source('cam');
    assert.equal(after.state, 'streaming');
    assert.ok(after.reconnects > before.reconnects, JSON.stringify({ before, after }));
    const n = sse.events.length;
    await until('frames go on', 5000, async () => sse.events.length > n + 30);
    process.stdout.write(`# camera back after ${back} ms\n`);
    const res = await fetch(`${agent.base}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png,
    });
    assert.equal(res.status, 200);
  });
});
