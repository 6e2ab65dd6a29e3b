// Issue 10's "Must show" list, checked against this run's figures. A must-show that is not met
// says so with the measured figure; one this run could not check (e.g. a --quick subset) is null.
import type { Regime, Results, ScaleRun } from './results-schema.js';

type MustShows = Results['mustShows'];
type AccuracyRow = Results['accuracy'][number];

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;

export function rateMustShow(
  accuracy: readonly AccuracyRow[],
  cascadeBundles: readonly string[],
  rawInputBytes: number,
): MustShows['rate'] {
  const teacher = accuracy.find((a) => a.strategy === 'local-only');
  const rows = cascadeBundles.flatMap((bundle) => {
    const a = accuracy.find((x) => x.strategy === `cascade-${bundle}`);
    if (!a || !teacher) return [];
    const shareOfRaw = a.bytesUpPerInference / rawInputBytes;
    const dropPt = (teacher.accuracy - a.accuracy) * 100;
    return [
      {
        bundle,
        bytesPerInference: a.bytesUpPerInference,
        shareOfRaw,
        accuracy: a.accuracy,
        teacherAccuracy: teacher.accuracy,
        dropPt,
        met: shareOfRaw <= 0.05 && dropPt <= 0.5,
      },
    ];
  });
  const passing = rows.filter((r) => r.met).map((r) => r.bundle);
  const figures = rows
    .map(
      (r) =>
        `${r.bundle}: ${r.bytesPerInference.toFixed(1)} B/inference = ${pct(r.shareOfRaw)} of the ${rawInputBytes}-byte input, ${pct(r.accuracy, 2)} (${r.dropPt.toFixed(2)} pt below the teacher)`,
    )
    .join('; ');
  return {
    met: rows.length === 0 ? null : passing.length > 0,
    summary: rows.length
      ? `${passing.length ? `met by ${passing.join(', ')}` : 'not met by any bundle'} (goal ≤ 5% and ≤ 0.5 pt): ${figures}`
      : 'no cascade run',
    rows,
  };
}

export function policyMustShow(regimes: readonly Regime[]): MustShows['policy'] {
  const rows = regimes.filter((r) => r.policy);
  if (rows.length === 0) return { met: null, summary: 'no policy run' };
  const within = rows.filter((r) => r.policy!.within5Percent).length;
  const better = rows.filter((r) => r.policy!.strictlyBetter).length;
  const worst = rows.reduce((w, r) => (r.policy!.ratio > w.policy!.ratio ? r : w));
  return {
    met: within === rows.length && better >= 1,
    summary:
      `within 5% of the best fixed strategy's energy in ${within} of ${rows.length} regimes, strictly better in ${better}; ` +
      `worst ratio ${worst.policy!.ratio.toFixed(3)} (${worst.link}, ${worst.device}, F=${worst.fps}: ${worst.policy!.bestFixed})`,
  };
}

export function latencyMustShow(regimes: readonly Regime[], cascade: string): MustShows['latency'] {
  const rows = regimes
    .filter((r) => r.link === 'lte' || r.link === '3g')
    .flatMap((r) => {
      const c = r.strategies.find((s) => s.strategy === `cascade-${cascade}`);
      const w = r.strategies.find((s) => s.strategy === 'offload-webp');
      if (!c || !w) return [];
      const row = { link: r.link, device: r.device, fps: r.fps, strategy: c.strategy };
      return [
        {
          ...row,
          p95Ms: c.latencyMs.p95,
          webpP95Ms: w.latencyMs.p95,
          met: c.latencyMs.p95 < w.latencyMs.p95,
        },
      ];
    });
  const met = rows.filter((r) => r.met).length;
  return {
    met: rows.length === 0 ? null : met === rows.length,
    summary: rows.length
      ? `cascade-${cascade} p95 below lossless-WebP offload in ${met} of ${rows.length} lte/3g regimes: ` +
        rows
          .map(
            (r) => `${r.link}/${r.device}/F=${r.fps} ${r.p95Ms.toFixed(1)} vs ${r.webpP95Ms.toFixed(1)} ms`,
          )
          .join('; ')
      : 'no lte or 3g regime in this run',
    rows,
  };
}

export function scaleMustShow(runs: readonly ScaleRun[] | null): MustShows['scale'] {
  if (!runs || runs.length === 0) return { met: null, summary: 'scale not run' };
  const max = Math.max(...runs.map((r) => r.agents));
  const top = runs.filter((r) => r.agents === max);
  const errors = top.reduce((n, r) => n + r.errors, 0);
  const p99 = runs
    .filter((r) => r.batching)
    .map((r) => `N=${r.agents} ${r.latencyMs.p99.toFixed(1)} ms`)
    .join(', ');
  return {
    met: max >= 1000 ? errors === 0 : null,
    summary: `${max} agents: ${errors} errors (batching on and off); p99 with batching: ${p99}${max < 1000 ? ' (1,000 agents not run in this configuration)' : ''}`,
  };
}

export function ciMustShow(quick: boolean, seconds: number): MustShows['ci'] {
  return {
    met: quick ? seconds <= 180 : null,
    summary: quick
      ? `--quick took ${seconds.toFixed(0)} s (limit 180 s); its JSON is checked against the schema by test/bench`
      : 'full run (the CI figure is the --quick run)',
    seconds,
    limitSeconds: 180,
  };
}
