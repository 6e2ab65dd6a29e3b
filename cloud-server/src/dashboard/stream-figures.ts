// The dashboard's streams part: per camera or video source of an agent in this process, frames
// per second in, answered, skipped and dropped (the change of `cleave.stream.frames` between
// polls), frame age p50/p99 (estimated from `cleave.stream.frame_age`'s buckets) and the share
// answered on the device (skip, cache, exit, dual) from the same histogram's counts.
import { type CollectedMetrics, METRIC } from '@cleave/telemetry';
import { histogramQuantile, histograms, sumBy } from './metric-queries.js';

export interface StreamRow {
  source: string;
  /** Totals since the agent started. */
  frames: Record<'in' | 'answered' | 'skipped' | 'dropped' | 'failed', number>;
  /** Per second since the previous poll (null on the first). */
  perSecond: Record<'in' | 'answered' | 'skipped' | 'dropped', number | null> | null;
  ageP50Ms: number | null;
  ageP99Ms: number | null;
  deviceShare: number | null;
  /** 1 while streaming, 0 otherwise, with the state (`cleave.stream.up`). */
  state: string | null;
}

/** The previous poll's totals per source, kept between polls. */
export type StreamPolls = Map<string, { t: number; frames: StreamRow['frames'] }>;

const OUTCOMES = ['in', 'answered', 'skipped', 'dropped', 'failed'] as const;
const ON_DEVICE = new Set(['skip', 'cache', 'exit', 'dual']);

export function streamFigures(c: CollectedMetrics, polls: StreamPolls, now: number): StreamRow[] | null {
  const bySource = sumBy(c, METRIC.streamFrames, 'source');
  if (!bySource) return null;
  const ages = histograms(c, METRIC.streamFrameAge, (a) => a.source);
  const byAnswer = histograms(c, METRIC.streamFrameAge, (a) => `${a.source}\u0000${a.answered_by}`);
  const states = new Map<string, string>();
  for (const m of c.metrics.filter((x) => x.name === METRIC.streamUp)) {
    for (const p of m.points)
      if (p.attributes.source) states.set(p.attributes.source, p.attributes.state ?? '');
  }
  const rows: StreamRow[] = [];
  for (const source of Object.keys(bySource).sort()) {
    const outcome = sumBy(c, METRIC.streamFrames, 'outcome', (a) => a.source === source) ?? {};
    const frames = Object.fromEntries(OUTCOMES.map((o) => [o, outcome[o] ?? 0])) as StreamRow['frames'];
    const prev = polls.get(source);
    const dt = prev ? (now - prev.t) / 1000 : 0;
    const rate = (o: 'in' | 'answered' | 'skipped' | 'dropped') =>
      prev && dt > 0 ? Math.max(0, (frames[o] - prev.frames[o]) / dt) : null;
    polls.set(source, { t: now, frames });
    const h = ages?.get(source);
    let device = 0;
    let total = 0;
    for (const [key, hist] of byAnswer ?? []) {
      const [s, by] = key.split('\u0000');
      if (s !== source) continue;
      total += hist.count;
      if (ON_DEVICE.has(by ?? '')) device += hist.count;
    }
    const ms = (q: number) => {
      const v = h ? histogramQuantile(q, h) : undefined;
      return v === undefined ? null : v * 1000;
    };
    rows.push({
      source,
      frames,
      perSecond: prev
        ? { in: rate('in'), answered: rate('answered'), skipped: rate('skipped'), dropped: rate('dropped') }
        : null,
      ageP50Ms: ms(0.5),
      ageP99Ms: ms(0.99),
      deviceShare: total > 0 ? device / total : null,
      state: states.get(source) ?? null,
    });
  }
  return rows;
}
