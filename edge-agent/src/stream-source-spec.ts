// What a stream source is: its options (zod, with defaults), the `--source` string form, and the
// ffmpeg command line that turns it into raw frames at the bundle's input size.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { OptionsError, resolveOptions } from '@cleave/options';
import { z } from 'zod';

export const SOURCE_KINDS = ['file', 'folder', 'rtsp', 'rtp', 'http', 'v4l2', 'gst'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** A source id is a NATS subject token: it names `cleave.results.<agent>.<source>`. */
const SOURCE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const SourceSpecSchema = z
  .object({
    id: z.string().regex(SOURCE_ID, 'letters, digits, "_" or "-" (it is a NATS subject token)'),
    /** A path, a folder, rtsp://, rtp:// (or an .sdp file), http(s):// MJPEG, /dev/videoN, or gst:PIPELINE. */
    url: z.string().min(1),
    /** Inferred from the url when absent. */
    kind: z.enum(SOURCE_KINDS).optional(),
    /** Frames per second admitted at most (frames arriving sooner are discarded); null = all. */
    fps: z.number().positive().nullable().default(null),
    /**
     * Files and folders only: playback speed, 1 = the clip's own rate (a recorded camera), 4 = four
     * times as fast; 'max' = as fast as the cascade takes frames (the reader stops reading and ffmpeg
     * waits: nothing is dropped, for offline processing).
     */
    rate: z.union([z.number().positive(), z.literal('max')]).default(1),
    /** Files and folders: start again at the end instead of ending. */
    loop: z.boolean().default(false),
    /** Folders: frames per second at which its images play (sorted by name). */
    folderFps: z.number().positive().default(30),
    /** rtsp:// only: wait for a camera to publish to this address (ffmpeg -rtsp_flags listen). */
    listen: z.boolean().default(false),
    /** Frames waiting for the cascade; when full, the oldest is dropped (latest frame wins). */
    queue: z.number().int().min(1).max(64).default(1),
    /** Reconnection after the source is lost: exponential backoff with jitter. */
    reconnect: z
      .object({
        baseMs: z.number().int().min(10).default(250),
        maxMs: z.number().int().min(10).default(10_000),
        /** Each wait is drawn from [1 - jitter, 1] × the backoff. */
        jitter: z.number().min(0).max(1).default(0.3),
        /** Give up after this many failed attempts in a row; null = never (live sources). */
        maxAttempts: z.number().int().min(1).nullable().default(null),
      })
      .prefault({}),
    /** No frame for this long while connected counts as lost (ffmpeg is restarted). */
    stallMs: z.number().int().min(100).default(5000),
  })
  .strict();

export type SourceSpecInput = z.input<typeof SourceSpecSchema>;
export type SourceSpec = z.output<typeof SourceSpecSchema> & { kind: SourceKind };

export class SourceSpecError extends OptionsError {
  override name = 'SourceSpecError';
}

export function kindOfUrl(url: string): SourceKind {
  const lower = url.toLowerCase();
  if (lower.startsWith('gst:')) return 'gst';
  if (lower.startsWith('rtsp://') || lower.startsWith('rtsps://')) return 'rtsp';
  if (lower.startsWith('rtp://') || lower.endsWith('.sdp')) return 'rtp';
  if (lower.startsWith('http://') || lower.startsWith('https://')) return 'http';
  if (lower.startsWith('/dev/video')) return 'v4l2';
  try {
    if (statSync(url).isDirectory()) return 'folder';
  } catch {
    // Not there (yet): a file whose absence ffmpeg reports at connect time.
  }
  return 'file';
}

export function resolveSourceSpec(input: SourceSpecInput): SourceSpec {
  const spec = resolveOptions(
    SourceSpecSchema,
    input,
    `source ${input.id ?? '?'}`,
    (issues) => new SourceSpecError(`source ${input.id ?? '?'}`, issues),
  );
  return { ...spec, kind: spec.kind ?? kindOfUrl(spec.url) };
}

/**
 * `--source` on the command line: `URL`, `ID=URL`, or `ID=URL,key=value,...` with the keys fps,
 * rate, loop, listen, queue and kind. Without an id the source is `s<index+1>`.
 */
export function parseSourceArg(arg: string, index: number): SourceSpecInput {
  const m = /^([A-Za-z0-9_-]{1,64})=(.+)$/.exec(arg);
  const id = m ? m[1]! : `s${index + 1}`;
  const rest = m ? m[2]! : arg;
  // Options follow the last comma-separated key=value parts; a URL may itself hold commas (gst:).
  const parts = rest.split(',');
  const opts: Record<string, string> = {};
  while (parts.length > 1 && /^(fps|rate|loop|listen|queue|kind)=/.test(parts.at(-1)!)) {
    const [k, v] = parts.pop()!.split('=') as [string, string];
    opts[k] = v;
  }
  const spec: Record<string, unknown> = { id, url: parts.join(',') };
  if (opts.fps !== undefined) spec.fps = Number(opts.fps);
  if (opts.rate !== undefined) spec.rate = opts.rate === 'max' ? 'max' : Number(opts.rate);
  if (opts.loop !== undefined) spec.loop = opts.loop === 'true' || opts.loop === '1';
  if (opts.listen !== undefined) spec.listen = opts.listen === 'true' || opts.listen === '1';
  if (opts.queue !== undefined) spec.queue = Number(opts.queue);
  if (opts.kind !== undefined) spec.kind = opts.kind;
  return spec as SourceSpecInput;
}

export interface FrameFormat {
  width: number;
  height: number;
  /** 1 = gray, 3 = rgb24 (interleaved as ffmpeg writes it). */
  channels: 1 | 3;
}

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff', '.pgm', '.ppm'];

/** The image extension most files of a folder have: ffmpeg's glob plays one pattern. */
function folderPattern(dir: string): string {
  const counts = new Map<string, number>();
  for (const name of readdirSync(dir)) {
    const ext = extname(name).toLowerCase();
    if (IMAGE_EXTENSIONS.includes(ext)) counts.set(ext, (counts.get(ext) ?? 0) + 1);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1])[0];
  if (!best) throw new Error(`${dir}: no image files (${IMAGE_EXTENSIONS.join(', ')})`);
  return join(dir, `*${best[0]}`);
}

/**
 * Live sources are probed for 0.1 s, not ffmpeg's default 5 s: a long probe holds the first frames
 * back and then releases them in one burst, which the latest-wins queue would mostly drop.
 */
const LIVE_PROBE = ['-analyzeduration', '100000'];

/** ffmpeg's input options for a source; `gst` reads the pipeline's output on stdin. */
function inputArgs(spec: SourceSpec): string[] {
  const args = sourceInputArgs(spec);
  return spec.kind === 'file' || spec.kind === 'folder' ? args : [...LIVE_PROBE, ...args];
}

function sourceInputArgs(spec: SourceSpec): string[] {
  const paced = (args: string[]) => {
    if (spec.rate === 'max') return args;
    return ['-readrate', String(spec.rate), ...args];
  };
  const loop = spec.loop ? ['-stream_loop', '-1'] : [];
  switch (spec.kind) {
    case 'file':
      return paced([...loop, '-i', spec.url]);
    case 'folder':
      return paced([
        ...loop,
        '-framerate',
        String(spec.folderFps),
        '-pattern_type',
        'glob',
        '-i',
        folderPattern(spec.url),
      ]);
    case 'rtsp':
      return spec.listen
        ? ['-rtsp_flags', 'listen', '-rtsp_transport', 'tcp', '-i', spec.url]
        : ['-rtsp_transport', 'tcp', '-timeout', String(spec.stallMs * 1000), '-i', spec.url];
    case 'rtp':
      return ['-protocol_whitelist', 'file,udp,rtp', '-i', spec.url];
    case 'http':
      return ['-rw_timeout', String(spec.stallMs * 1000), '-i', spec.url];
    case 'v4l2':
      return ['-f', 'v4l2', '-i', spec.url];
    case 'gst':
      return ['-i', 'pipe:0'];
  }
}

/** The whole ffmpeg command line: decode, scale to the bundle's input, raw frames on stdout. */
export function ffmpegArgs(spec: SourceSpec, format: FrameFormat): string[] {
  const pix = format.channels === 1 ? 'gray' : 'rgb24';
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...inputArgs(spec),
    '-an',
    '-vf',
    `scale=${format.width}:${format.height}:flags=area,format=${pix}`,
    // Every decoded frame once: no duplicates or drops to a constant rate (dropping is ours).
    '-fps_mode',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    pix,
    'pipe:1',
  ];
}

/** `gst:PIPELINE` → gst-launch-1.0's arguments; the pipeline must end in `fdsink fd=1`. */
export function gstArgs(spec: SourceSpec): string[] {
  return ['-q', ...spec.url.slice('gst:'.length).trim().split(/\s+/)];
}
