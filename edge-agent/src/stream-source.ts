// One stream source: ffmpeg frames → fps cap → bounded latest-wins queue → temporal skip (dHash of
// the last answered frame) or the cascade → an event. Lost sources are opened again with
// exponential backoff and jitter; files end (or fail) instead. Counts keep
// in = answered + skipped + dropped + failed (+ waiting in the queue).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Answer } from '@cleave/models';
import { frameProcess, SourceError, toPlanar } from './frame-process.js';
import { LatestFrameQueue } from './latest-frame-queue.js';
import { dHash, hammingDistance } from './result-cache.js';
import { FrameAges, type SourceState, type SourceStats } from './source-stats.js';
import type { FrameAnsweredBy, StreamEvent } from './stream-event.js';
import { recordFrame, recordFrameAge, recordReconnect } from './stream-metrics.js';
import type { FrameFormat, SourceSpec } from './stream-source-spec.js';

export type { SourceState, SourceStats } from './source-stats.js';

export interface StreamSourceDeps {
  format: FrameFormat;
  agentId: string;
  /** Runs the cascade on one frame's pixels (planar, the bundle's layout). */
  infer(pixels: Uint8Array): Promise<Answer>;
  /** Hamming distance within which a frame counts as unchanged; null = no skipping. */
  skipDistance: number | null;
  emit(event: StreamEvent): void;
  ffmpeg?: string;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>) => void;
}

interface Frame {
  n: number;
  /** Wall clock (ms since the epoch) for events; `mono` (performance.now) for the age. */
  at: number;
  mono: number;
  pixels: Uint8Array;
}

const DEVICE_SOURCES = new Set<FrameAnsweredBy>(['skip', 'cache', 'exit', 'dual']);

export interface StreamSource {
  readonly id: string;
  stats(): SourceStats;
  /** Resolves when the source has ended, failed or been stopped. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export function startStreamSource(spec: SourceSpec, deps: StreamSourceDeps): StreamSource {
  const abort = new AbortController();
  const queue = new LatestFrameQueue<Frame>(spec.queue);
  const counts = {
    decoded: 0,
    capped: 0,
    in: 0,
    answered: 0,
    skipped: 0,
    dropped: 0,
    failed: 0,
    reconnects: 0,
  };
  const ages = new FrameAges();
  let onDevice = 0;
  let state: SourceState = 'connecting';
  let lastError: SourceStats['lastError'] = null;
  let last: { hash: bigint; answer: Answer } | undefined;
  let lastAdmitted = -Infinity;
  let busy: Promise<void> | undefined;
  const finite = spec.kind === 'file' || spec.kind === 'folder';
  const plane = deps.format.width * deps.format.height;
  const log = deps.log ?? (() => undefined);

  async function answer(frame: Frame): Promise<void> {
    // No skipping, no hash: it is work on every frame.
    const hash =
      deps.skipDistance === null
        ? 0n
        : dHash(frame.pixels.subarray(0, plane), deps.format.width, deps.format.height);
    let result: Answer;
    let by: FrameAnsweredBy;
    if (last && deps.skipDistance !== null && hammingDistance(hash, last.hash) <= deps.skipDistance) {
      result = last.answer;
      by = 'skip';
      counts.skipped++;
      recordFrame(spec.id, 'skipped');
    } else {
      try {
        result = await deps.infer(frame.pixels);
      } catch (error) {
        counts.failed++;
        recordFrame(spec.id, 'failed');
        lastError = { message: `inference: ${(error as Error).message}`, at: Date.now() };
        return;
      }
      by = result.source;
      last = { hash, answer: result };
      counts.answered++;
      recordFrame(spec.id, 'answered');
    }
    if (DEVICE_SOURCES.has(by)) onDevice++;
    // Monotonic and to 0.01 ms: a skipped frame's age is well under a millisecond.
    const age = Math.round((performance.now() - frame.mono) * 100) / 100;
    ages.add(age);
    recordFrameAge(spec.id, age, by);
    deps.emit({
      agent: deps.agentId,
      source: spec.id,
      frame: frame.n,
      captureTime: frame.at,
      label: result.label,
      labelName: result.labelName,
      score: result.scores[result.label] ?? 0,
      answeredBy: by,
      degraded: by === 'skip' ? false : result.degraded,
      frameAgeMs: age,
      inferenceMs: by === 'skip' ? 0 : result.timings.totalMs,
      bytesSent: by === 'skip' ? 0 : result.bytesSent.wire,
      model: result.model,
    });
  }

  // One frame at a time per source: while it runs, new frames replace the waiting one.
  function drain(): void {
    if (busy !== undefined) return;
    busy = (async () => {
      for (let frame = queue.shift(); frame; frame = queue.shift()) await answer(frame);
    })().finally(() => {
      busy = undefined;
      if (queue.size > 0) drain();
    });
  }

  function admit(n: number, raw: Buffer): Frame | undefined {
    const at = Date.now();
    counts.decoded++;
    if (spec.fps !== null && at - lastAdmitted < 1000 / spec.fps - 1) {
      counts.capped++;
      recordFrame(spec.id, 'capped');
      return undefined;
    }
    lastAdmitted = at;
    counts.in++;
    recordFrame(spec.id, 'in');
    return { n, at, mono: performance.now(), pixels: toPlanar(raw, deps.format) };
  }

  async function readOnce(nextFrame: { n: number }): Promise<string> {
    const stall = new AbortController();
    const signal = AbortSignal.any([abort.signal, stall.signal]);
    // Stalled: ffmpeg has been asked for a frame and given none for stallMs. Time the cascade
    // takes does not count, and a listening source waits for its camera as long as it takes.
    let waitingSince: number | undefined;
    let delivered = false;
    const watchdog = setInterval(
      () => {
        if (waitingSince !== undefined && Date.now() - waitingSince > spec.stallMs) stall.abort();
      },
      Math.min(1000, spec.stallMs / 4),
    );
    const frames = frameProcess(spec, deps.format, {
      signal,
      ...(deps.ffmpeg ? { ffmpeg: deps.ffmpeg } : {}),
    });
    try {
      for (;;) {
        waitingSince = spec.listen && !delivered ? undefined : Date.now();
        const next = await frames.next();
        waitingSince = undefined;
        if (next.done) {
          if (stall.signal.aborted && !abort.signal.aborted) {
            throw new SourceError(`${spec.url}: no frame for ${spec.stallMs} ms`, '');
          }
          return next.value;
        }
        delivered = true;
        if (state !== 'streaming') {
          state = 'streaming';
          log('info', 'source streaming', { source: spec.id, url: spec.url });
        }
        const frame = admit(nextFrame.n++, next.value);
        if (!frame) continue;
        if (spec.rate === 'max' && finite) {
          // Offline: nothing is dropped; not reading holds ffmpeg back.
          await answer(frame);
          continue;
        }
        const droppedFrame = queue.push(frame);
        if (droppedFrame) {
          counts.dropped++;
          recordFrame(spec.id, 'dropped');
        }
        drain();
      }
    } finally {
      clearInterval(watchdog);
    }
  }

  const streaming = () => state === 'streaming';

  async function run(): Promise<void> {
    const nextFrame = { n: 0 };
    let attempts = 0;
    while (!abort.signal.aborted) {
      state = 'connecting';
      try {
        const complaints = await readOnce(nextFrame);
        if (abort.signal.aborted) break;
        if (complaints) lastError = { message: `ended with: ${complaints}`, at: Date.now() };
        if (finite) {
          state = 'ended';
          break;
        }
        lastError = { message: `${spec.url}: the stream ended`, at: Date.now() };
      } catch (error) {
        if (abort.signal.aborted) break;
        lastError = { message: (error as Error).message, at: Date.now() };
        log('warn', 'source lost', { source: spec.id, err: lastError.message });
        if (finite) {
          state = 'failed';
          break;
        }
      }
      // A source that delivered frames starts its backoff afresh.
      if (streaming()) attempts = 0;
      attempts++;
      if (spec.reconnect.maxAttempts !== null && attempts >= spec.reconnect.maxAttempts) {
        state = 'failed';
        break;
      }
      state = 'backoff';
      const backoff = Math.min(spec.reconnect.maxMs, spec.reconnect.baseMs * 2 ** (attempts - 1));
      const wait = backoff * (1 - spec.reconnect.jitter * Math.random());
      await sleep(wait, undefined, { signal: abort.signal }).catch(() => undefined);
      if (abort.signal.aborted) break;
      counts.reconnects++;
      recordReconnect(spec.id);
    }
    if (abort.signal.aborted) state = 'stopped';
    await busy;
  }

  const done = run();
  return {
    id: spec.id,
    done,
    stats() {
      const shown = counts.answered + counts.skipped;
      return {
        id: spec.id,
        url: spec.url,
        kind: spec.kind,
        state,
        ...counts,
        queued: queue.size,
        lastError,
        frameAgeMs: ages.percentiles(),
        deviceShare: shown > 0 ? onDevice / shown : null,
      };
    },
    async stop() {
      abort.abort();
      const waiting = queue.clear();
      counts.dropped += waiting.length;
      await done;
    },
  };
}
