// An ffmpeg child process as an AsyncIterable of fixed-size raw frames read from its stdout.
// Backpressure comes from not reading (ffmpeg blocks on a full pipe); stop is an AbortSignal that
// kills the process and awaits its exit. Its stderr goes to a bounded ring that errors quote.
import { type ChildProcess, spawn } from 'node:child_process';
import { type FrameFormat, ffmpegArgs, gstArgs, type SourceSpec } from './stream-source-spec.js';

export const FFMPEG_BIN = process.env.CLEAVE_FFMPEG ?? 'ffmpeg';
export const GST_LAUNCH_BIN = process.env.CLEAVE_GST_LAUNCH ?? 'gst-launch-1.0';

/** The source could not be opened or broke off; `stderr` is the tail of what ffmpeg said. */
export class SourceError extends Error {
  override name = 'SourceError';
  readonly stderr: string;
  constructor(message: string, stderr: string, options?: ErrorOptions) {
    super(stderr ? `${message}: ${stderr}` : message, options);
    this.stderr = stderr;
  }
}

const STDERR_RING_BYTES = 4096;

function stderrRing(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-STDERR_RING_BYTES);
  });
  // The last non-empty lines, one line: what a log or /healthz can show.
  return () =>
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-3)
      .join(' | ');
}

const exited = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));

export interface FrameProcessOptions {
  signal: AbortSignal;
  ffmpeg?: string;
}

/**
 * Starts ffmpeg (and, for `gst:`, gst-launch-1.0 feeding it) and yields one Buffer per frame of
 * `width × height × channels` bytes. Ends when ffmpeg ends cleanly; throws a SourceError when it
 * cannot start, exits with an error, or leaves a partial frame.
 */
export async function* frameProcess(
  spec: SourceSpec,
  format: FrameFormat,
  options: FrameProcessOptions,
): AsyncGenerator<Buffer, string> {
  const frameBytes = format.width * format.height * format.channels;
  const gst =
    spec.kind === 'gst'
      ? spawn(GST_LAUNCH_BIN, gstArgs(spec), {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : undefined;
  const child = spawn(options.ffmpeg ?? FFMPEG_BIN, ffmpegArgs(spec, format), {
    stdio: [gst ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (gst) gst.stdout!.pipe(child.stdin!);
  const stderr = stderrRing(child);
  const gstErr = gst ? stderrRing(gst) : () => '';
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
  });
  gst?.once('error', (e) => {
    spawnError = e;
  });
  const kill = () => {
    gst?.kill('SIGKILL');
    child.kill('SIGKILL');
  };
  options.signal.addEventListener('abort', kill, { once: true });
  let frames = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  try {
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes < frameBytes) continue;
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      let at = 0;
      for (; at + frameBytes <= all.byteLength; at += frameBytes) {
        // A copy: the frame outlives the chunk, which may be large and shared.
        frames++;
        yield Buffer.from(all.subarray(at, at + frameBytes));
      }
      pending = at < all.byteLength ? [all.subarray(at)] : [];
      pendingBytes = all.byteLength - at;
    }
    const { code, signal } = await exited(child);
    if (options.signal.aborted) return '';
    if (spawnError) {
      const bin = (spawnError as NodeJS.ErrnoException).path ?? 'ffmpeg';
      throw new SourceError(`cannot start ${bin} (${spawnError.message})`, '', { cause: spawnError });
    }
    if (code !== 0) {
      throw new SourceError(
        `ffmpeg exited with ${signal ?? `code ${code}`} reading ${spec.url}`,
        [stderr(), gstErr()].filter(Boolean).join(' | '),
      );
    }
    if (pendingBytes > 0) {
      throw new SourceError(`${spec.url}: the stream ended inside a frame (${pendingBytes} bytes)`, stderr());
    }
    // ffmpeg can exit 0 having decoded nothing (say, an empty folder or an undecodable file).
    if (frames === 0) throw new SourceError(`${spec.url}: no frame could be decoded`, stderr());
    // A clean end may still carry complaints (a truncated file's last packets): the caller shows them.
    return stderr();
  } finally {
    options.signal.removeEventListener('abort', kill);
    if (child.exitCode === null && child.signalCode === null) {
      kill();
      await exited(child);
    } else if (gst && gst.exitCode === null && gst.signalCode === null) {
      gst.kill('SIGKILL');
    }
  }
}

/** ffmpeg writes rgb24 interleaved (HWC); the head takes planar CHW. Gray passes as it is. */
export function toPlanar(frame: Buffer, format: FrameFormat): Uint8Array {
  if (format.channels === 1) return frame;
  const plane = format.width * format.height;
  const out = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    out[i] = frame[i * 3]!;
    out[plane + i] = frame[i * 3 + 1]!;
    out[2 * plane + i] = frame[i * 3 + 2]!;
  }
  return out;
}
