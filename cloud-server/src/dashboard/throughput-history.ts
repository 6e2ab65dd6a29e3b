// The answer-rate history behind the throughput chart: polls of the answer and server-success
// counters turned into rates, one point per poll at most every 0.9 s.
export interface HistoryState {
  /** One sample per ≥ 0.9 s, for the throughput chart. */
  points: Array<{ t: number; answers: number | null; server: number | null }>;
  /** Every poll of the last few seconds, for the current rate. */
  raw: Array<{ t: number; answers: number | null }>;
}

const HISTORY_POINTS = 120;
const HISTORY_MIN_SPACING_MS = 900;
const RATE_WINDOW_MS = 5_500;
const RAW_POINTS = 64;

function rate(
  a: { t: number; v: number | null } | undefined,
  b: { t: number; v: number | null },
): number | null {
  if (!a || a.v === null || b.v === null || b.t <= a.t) return null;
  return Math.max(0, ((b.v - a.v) * 1000) / (b.t - a.t));
}

/** Adds this poll's counters; returns the chart's points and the current answer rate. */
export function recordPoll(
  state: HistoryState,
  now: number,
  answersTotal: number | null,
  serverSuccess: number | null,
): {
  history: Array<{ t: number; answersPerS: number | null; serverPerS: number | null }>;
  answersRate: number | null;
} {
  // Throughput history: one point per poll at most every 0.9 s, the last 120 kept.
  const points = state.points;
  const lastPoint = points.at(-1);
  if (!lastPoint || now - lastPoint.t >= HISTORY_MIN_SPACING_MS) {
    points.push({ t: now, answers: answersTotal, server: serverSuccess });
    while (points.length > HISTORY_POINTS + 1) points.shift();
  }
  const history = points.slice(1).map((p, i) => ({
    t: p.t,
    answersPerS: rate({ t: points[i]!.t, v: points[i]!.answers }, { t: p.t, v: p.answers }),
    serverPerS: rate({ t: points[i]!.t, v: points[i]!.server }, { t: p.t, v: p.server }),
  }));
  // The current rate: against the oldest poll of the last ~5 s (any poll, at least 0.5 s ago).
  const raw = state.raw;
  raw.push({ t: now, answers: answersTotal });
  while (raw.length > 0 && (now - raw[0]!.t > RATE_WINDOW_MS || raw.length > RAW_POINTS)) raw.shift();
  const base = raw.find((p) => p.answers !== null && now - p.t >= 500);
  const answersRate = base ? rate({ t: base.t, v: base.answers }, { t: now, v: answersTotal }) : null;

  return { history, answersRate };
}
