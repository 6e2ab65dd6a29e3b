// Stream fixtures made with ffmpeg: a clip of Fashion-MNIST test images, each held for a number of
// frames (lossless FFV1, so the frames are the images' own pixels), an RTSP camera that publishes
// it to a listening agent, and an HTTP MJPEG server. Real ffmpeg processes throughout.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

import { type Clip, FFMPEG, runFfmpeg } from '@cleave/bench';

export { type Clip, FFMPEG, makeClip, runFfmpeg } from '@cleave/bench';

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('close', () => r()));

/**
 * One JPEG per image of the clip, as the MJPEG server's encoder makes it (the same settings), and
 * its pixels as ffmpeg decodes it (what an agent reading that MJPEG stream sees).
 */
export async function clipJpegs(
  clip: Clip,
  dir: string,
  quality = 1,
): Promise<Array<{ jpeg: Buffer; pixels: Uint8Array }>> {
  const out = join(dir, 'jpeg');
  mkdirSync(out, { recursive: true });
  await runFfmpeg([
    '-i',
    clip.path,
    '-vf',
    `select=not(mod(n\\,${clip.framesPerImage}))`,
    '-fps_mode',
    'passthrough',
    '-c:v',
    'mjpeg',
    '-q:v',
    String(quality),
    join(out, '%04d.jpg'),
  ]);
  await runFfmpeg([
    '-i',
    join(out, '%04d.jpg'),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'gray',
    join(out, 'decoded.raw'),
  ]);
  const raw = readFileSync(join(out, 'decoded.raw'));
  const size = raw.byteLength / clip.images;
  return Array.from({ length: clip.images }, (_, i) => ({
    jpeg: readFileSync(join(out, `${String(i + 1).padStart(4, '0')}.jpg`)),
    pixels: new Uint8Array(raw.subarray(i * size, (i + 1) * size)),
  }));
}

/** A long-running ffmpeg; `kill()` is SIGKILL, no goodbye. */
export interface FfmpegProcess {
  readonly child: ChildProcess;
  stderr(): string;
  kill(): Promise<void>;
}

export function startFfmpeg(args: string[], options: { stdout?: boolean } = {}): FfmpegProcess {
  const child = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], {
    stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-4000);
  });
  child.once('error', () => undefined);
  return {
    child,
    stderr: () => err,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** A camera that publishes and, like a real one, tries again while nobody listens. */
export interface RtspCamera {
  /** SIGKILL of the publishing ffmpeg, and no more retries. */
  kill(): Promise<void>;
  /** Publishing again (after kill). */
  restart(): void;
  /** Times it started ffmpeg. */
  attempts(): number;
}

/**
 * An RTSP camera: publishes the clip (H.264 lossless gray, so pixels survive) to `url`, where the
 * agent listens (`listen=true`). ffmpeg alone has no RTSP server to pull from; a camera pushing to
 * a listening receiver is what it does. It retries every 200 ms until the listener is up.
 */
export function startRtspCamera(
  url: string,
  clip: string,
  rate: number,
  options: { loop?: boolean } = {},
): RtspCamera {
  let current: FfmpegProcess | undefined;
  let stopped = false;
  let attempts = 0;
  const args = [
    ...(options.loop ? ['-stream_loop', '-1'] : []),
    '-readrate',
    String(rate),
    '-i',
    clip,
    '-c:v',
    'libx264',
    '-qp',
    '0',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'gray',
    // Full range, as the images are: unsignalled, a decoder takes gray H.264 as limited range and
    // stretches it (0..255 → 16..235 read as 0..255).
    '-color_range',
    'pc',
    '-f',
    'rtsp',
    '-rtsp_transport',
    'tcp',
    url,
  ];
  const launch = () => {
    if (stopped) return;
    attempts++;
    const p = startFfmpeg(args);
    current = p;
    p.child.once('close', (code) => {
      if (!stopped && code !== 0 && current === p) setTimeout(launch, 200);
    });
  };
  launch();
  return {
    async kill() {
      stopped = true;
      await current?.kill();
    },
    restart() {
      stopped = false;
      launch();
    },
    attempts: () => attempts,
  };
}

export interface MjpegServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** HTTP MJPEG (multipart/x-mixed-replace) of the clip, one ffmpeg encoder per client, paced at `rate`. */
export async function startMjpegServer(
  clip: string,
  rate: number,
  options: { quality?: number; once?: boolean } = {},
): Promise<MjpegServer> {
  const quality = options.quality ?? 1;
  const encoders = new Set<FfmpegProcess>();
  let served = 0;
  const server = createServer((req, res) => {
    // `once`: the clip plays for the first client only (a camera whose recording has ended).
    if (options.once && served++ > 0) {
      res.writeHead(503).end('the clip has been played');
      return;
    }
    const enc = startFfmpeg(
      [
        '-readrate',
        String(rate),
        '-i',
        clip,
        '-c:v',
        'mjpeg',
        '-q:v',
        String(quality),
        '-f',
        'mpjpeg',
        '-boundary_tag',
        'cleaveframe',
        'pipe:1',
      ],
      { stdout: true },
    );
    encoders.add(enc);
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace;boundary=cleaveframe' });
    enc.child.stdout!.pipe(res, { end: false });
    req.on('close', () => void enc.kill());
    enc.child.once('close', () => {
      encoders.delete(enc);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/stream.mjpeg`,
    server,
    async close() {
      await Promise.all([...encoders].map((e) => e.kill()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
