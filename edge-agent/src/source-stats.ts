// What a stream source reports about itself (`/healthz`, `hub.stats()`): its state, its counts,
// and its frame age over the last answers, kept in a ring so that no array shifts per frame.

export type SourceState = 'connecting' | 'streaming' | 'backoff' | 'ended' | 'failed' | 'stopped';

export interface SourceStats {
  id: string;
  url: string;
  kind: string;
  state: SourceState;
  /** Frames read from ffmpeg; `capped` of them were over the fps cap, the rest went `in`. */
  decoded: number;
  capped: number;
  in: number;
  answered: number;
  skipped: number;
  dropped: number;
  failed: number;
  /** Waiting in the queue now. */
  queued: number;
  reconnects: number;
  /** The last error (or, for a file that ended cleanly, ffmpeg's complaints), with its time. */
  lastError: { message: string; at: number } | null;
  /** Frame age over the last frames answered (ms). */
  frameAgeMs: { p50: number; p90: number; p99: number; max: number; count: number } | null;
  /** Answered on the device (skip, cache, exit, dual) over answered + skipped. */
  deviceShare: number | null;
}

const AGE_WINDOW = 4096;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The last AGE_WINDOW frame ages (ms). */
export class FrameAges {
  private readonly ring: number[] = [];
  private next = 0;

  add(ms: number): void {
    this.ring[this.next++ % AGE_WINDOW] = ms;
  }

  percentiles(): SourceStats['frameAgeMs'] {
    if (this.ring.length === 0) return null;
    const sorted = [...this.ring].sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.at(-1)!,
      count: sorted.length,
    };
  }
}
