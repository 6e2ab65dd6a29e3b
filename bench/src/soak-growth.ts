// RSS growth of a soak, judged over a whole window rather than from two samples: a least-squares
// line through every sample after warm-up gives the growth (slope × window, over the line's
// start), and the peak is read against the same start. Two endpoint samples can show a fall
// while the process grew by a fifth in between; the fit and the peak cannot hide that.

export interface RssSample {
  /** Seconds since the soak started. */
  t: number;
  mb: number;
}

export interface Growth {
  samples: number;
  windowSeconds: number;
  /** The fitted line's value at the window's start, MB. */
  startMb: number;
  /** Fitted slope, MB per minute. */
  slopeMbPerMin: number;
  /** slope × window ÷ start: the growth the trend implies over the window. */
  fitted: number;
  peakMb: number;
  /** peak ÷ start − 1. */
  peakOverStart: number;
}

/** Fits a line through `rows` (at least two, with distinct times); NaN fields otherwise. */
export function fitGrowth(rows: readonly RssSample[]): Growth {
  const n = rows.length;
  const t0 = rows[0]?.t ?? 0;
  const windowSeconds = (rows.at(-1)?.t ?? t0) - t0;
  if (n < 2 || windowSeconds <= 0) {
    const nan = Number.NaN;
    return {
      samples: n,
      windowSeconds,
      startMb: nan,
      slopeMbPerMin: nan,
      fitted: nan,
      peakMb: nan,
      peakOverStart: nan,
    };
  }
  const meanT = rows.reduce((s, r) => s + (r.t - t0), 0) / n;
  const meanY = rows.reduce((s, r) => s + r.mb, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const r of rows) {
    sxy += (r.t - t0 - meanT) * (r.mb - meanY);
    sxx += (r.t - t0 - meanT) ** 2;
  }
  const slope = sxy / sxx; // MB per second
  const startMb = meanY - slope * meanT;
  const peakMb = Math.max(...rows.map((r) => r.mb));
  return {
    samples: n,
    windowSeconds,
    startMb,
    slopeMbPerMin: slope * 60,
    fitted: (slope * windowSeconds) / startMb,
    peakMb,
    peakOverStart: peakMb / startMb - 1,
  };
}

/**
 * Splits a series sampled across several processes (a server killed and restarted) into one
 * series per process, each without its first `warmupS` seconds.
 */
export function perProcess<T extends { t: number; pid: number }>(rows: readonly T[], warmupS: number): T[][] {
  const byPid = new Map<number, T[]>();
  for (const r of rows) byPid.set(r.pid, [...(byPid.get(r.pid) ?? []), r]);
  return [...byPid.values()].map((life) => life.filter((r) => r.t - life[0]!.t >= warmupS));
}

export interface SoakSample {
  t: number;
  segment: 'fault-free' | 'kills';
  serverPid: number;
  serverRssMb: number;
  agentRssMb: number;
  answered: number;
}

export const SOAK_GOALS = {
  /** Fitted RSS growth over the fault-free segment after warm-up, server and agent. */
  faultFreeGrowth: 0.1,
  /** Under kills, no process's RSS peak above the fault-free fitted start by more than this. */
  peakUnderKills: 0.25,
} as const;

/**
 * The soak's memory verdicts. Fault-free: one server process and the agent, each fitted over the
 * segment after `warmupS`. Kills: every server process after its own `processWarmupS`, and the
 * agent over the whole segment, read against the fault-free fitted starts.
 */
export function judgeSoak(samples: readonly SoakSample[], warmupS: number, processWarmupS: number) {
  const measured = samples.filter((s) => Number.isFinite(s.serverRssMb));
  const free = measured.filter((s) => s.segment === 'fault-free' && s.t >= warmupS);
  const kills = measured.filter((s) => s.segment === 'kills');
  const series = (rows: readonly SoakSample[], key: 'serverRssMb' | 'agentRssMb') =>
    rows.map((s) => ({ t: s.t, mb: s[key] }));
  const faultFree = {
    server: fitGrowth(series(free, 'serverRssMb')),
    agent: fitGrowth(series(free, 'agentRssMb')),
  };
  const lives = perProcess(
    kills.map((s) => ({ t: s.t, pid: s.serverPid, mb: s.serverRssMb })),
    processWarmupS,
  ).filter((life) => life.length > 0);
  const serverPeaks = lives.map((life) => ({
    pid: life[0]!.pid,
    peakMb: Math.max(...life.map((r) => r.mb)),
    overFaultFreeStart: Math.max(...life.map((r) => r.mb)) / faultFree.server.startMb - 1,
    ownGrowth: fitGrowth(life),
  }));
  const agentUnderKills = fitGrowth(series(kills, 'agentRssMb'));
  const worstServerPeak = serverPeaks.length
    ? Math.max(...serverPeaks.map((p) => p.overFaultFreeStart))
    : Number.NaN;
  const agentPeak = agentUnderKills.peakMb / faultFree.agent.startMb - 1;
  return {
    faultFree,
    kills: {
      serverProcesses: serverPeaks,
      worstServerPeakOverFaultFreeStart: worstServerPeak,
      agent: agentUnderKills,
      agentPeakOverFaultFreeStart: agentPeak,
    },
    goals: SOAK_GOALS,
    met: {
      faultFreeGrowth:
        faultFree.server.fitted < SOAK_GOALS.faultFreeGrowth &&
        faultFree.agent.fitted < SOAK_GOALS.faultFreeGrowth,
      peakUnderKills:
        serverPeaks.length > 0 &&
        worstServerPeak < SOAK_GOALS.peakUnderKills &&
        agentPeak < SOAK_GOALS.peakUnderKills,
    },
  };
}
