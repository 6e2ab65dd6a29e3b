// One answered stream frame as an event, and the ways events leave the agent besides SSE and NATS:
// a JSONL file (or stdout), optionally only when a source's label changes.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { AnswerSource } from '@cleave/models';

/** Where a frame's answer came from: a stage of the cascade, or `skip` (unchanged frame). */
export type FrameAnsweredBy = AnswerSource | 'skip';

export interface StreamEvent {
  agent: string;
  source: string;
  /** Frames read from the source so far, from 0, across reconnections. */
  frame: number;
  /** When the agent read the decoded frame from ffmpeg (ms since the epoch). */
  captureTime: number;
  label: number;
  labelName: string;
  /** The answering stage's probability of the label. */
  score: number;
  answeredBy: FrameAnsweredBy;
  degraded: boolean;
  /** Capture to answer, ms. */
  frameAgeMs: number;
  /** The cascade's own time for this frame, ms (0 when skipped). */
  inferenceMs: number;
  /** Serialized request bytes sent to the cloud for this frame (0 when none). */
  bytesSent: number;
  model: { name: string; version: string };
}

export type StreamEventListener = (event: StreamEvent) => void;

/** Passes an event on only when its source's label differs from that source's previous one. */
export function labelChangesOnly(listener: StreamEventListener): StreamEventListener {
  const last = new Map<string, number>();
  return (event) => {
    if (last.get(event.source) === event.label) return;
    last.set(event.source, event.label);
    listener(event);
  };
}

export interface JsonlSink {
  readonly write: StreamEventListener;
  /** Events not written because the file could not keep up (the write buffer was over its bound). */
  dropped(): number;
  close(): Promise<void>;
}

/**
 * One JSON line per event to `path`, or to stdout for `-`. Writes are bounded: while the stream's
 * buffer is over `maxBufferedBytes`, events are dropped and counted rather than held in memory.
 */
export function createJsonlSink(path: string, maxBufferedBytes = 4 * 1024 * 1024): JsonlSink {
  const out: NodeJS.WritableStream & { writableLength: number } =
    path === '-' ? process.stdout : (createWriteStream(path, { flags: 'a' }) as WriteStream);
  let dropped = 0;
  let failed: Error | undefined;
  out.on('error', (e: Error) => {
    failed = e;
  });
  return {
    write(event) {
      if (failed || out.writableLength > maxBufferedBytes) {
        dropped++;
        return;
      }
      out.write(`${JSON.stringify(event)}\n`);
    },
    dropped: () => dropped,
    close: () =>
      path === '-'
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            (out as WriteStream).end(() => resolve());
          }),
  };
}
