// A clip for stream runs, made with ffmpeg from raw images: each image held for a number of
// frames, lossless FFV1 in Matroska (the frames are the images' own pixels), optionally with
// temporal noise so that held frames differ a little, as a camera's do.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const FFMPEG = process.env.CLEAVE_FFMPEG ?? 'ffmpeg';

/** Runs ffmpeg to completion; rejects with its stderr. */
export function runFfmpeg(args: string[], stdin?: Uint8Array): Promise<void> {
  const child = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    stdio: [stdin ? 'pipe' : 'ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-4000);
  });
  if (stdin) child.stdin!.end(stdin);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${code}: ${err}`))));
  });
}

export interface Clip {
  path: string;
  images: number;
  framesPerImage: number;
  fps: number;
  frames: number;
}

/** `images` (28×28 gray each) held `framesPerImage` frames at `fps`, lossless, in `dir/clip.mkv`. */
export async function makeClip(
  dir: string,
  images: readonly Uint8Array[],
  options: {
    width?: number;
    height?: number;
    framesPerImage?: number;
    fps?: number;
    name?: string;
    /** Temporal noise strength (ffmpeg's noise filter, 0–100): every frame differs a little. */
    noise?: number;
  } = {},
): Promise<Clip> {
  const width = options.width ?? 28;
  const height = options.height ?? 28;
  const framesPerImage = options.framesPerImage ?? 10;
  const fps = options.fps ?? 30;
  const path = join(dir, options.name ?? 'clip.mkv');
  const raw = Buffer.concat(images.map((i) => Buffer.from(i)));
  // One input frame per image at fps/framesPerImage, then the fps filter repeats each one.
  await runFfmpeg(
    [
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      '-s',
      `${width}x${height}`,
      '-framerate',
      `${fps}/${framesPerImage}`,
      '-i',
      'pipe:0',
      '-vf',
      options.noise ? `fps=${fps},noise=alls=${options.noise}:allf=t` : `fps=${fps}`,
      '-c:v',
      'ffv1',
      path,
    ],
    raw,
  );
  return { path, images: images.length, framesPerImage, fps, frames: images.length * framesPerImage };
}
