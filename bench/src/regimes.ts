// Regimes (link × device × F): every strategy's figures, the energy and p95 winners, whether
// cutting the model pays, and the policy against the best fixed strategy.
import { runFigures } from './accounting.js';
import type { ModelCosts } from './compute-costs.js';
import type { LinkProfile } from './link-profiles.js';
import type { CameraRun } from './records.js';
import type { Regime } from './results-schema.js';
import type { StrategyInfo } from './strategy-list.js';

export interface LinkRuns {
  profile: LinkProfile;
  runs: CameraRun[];
}

/** "Strictly better" means at least 1% less energy than the best fixed strategy. */
export const STRICT_MARGIN = 0.99;

const argmin = <T>(xs: readonly T[], f: (x: T) => number): T | undefined =>
  xs.reduce<T | undefined>((best, x) => (best === undefined || f(x) < f(best) ? x : best), undefined);

export function buildRegimes(
  links: readonly LinkRuns[],
  devices: readonly string[],
  costs: ModelCosts,
  info: readonly StrategyInfo[],
): Regime[] {
  const byId = new Map(info.map((s) => [s.id, s]));
  const regimes: Regime[] = [];
  for (const { profile, runs } of links) {
    const fpsList = [...new Set(runs.map((r) => r.fps))];
    for (const device of devices) {
      for (const fps of fpsList) {
        const here = runs.filter((r) => {
          if (r.fps !== fps) return false;
          const s = byId.get(r.strategy);
          return s?.role !== 'policy' || r.strategy === `policy-${device}`;
        });
        const strategies = here.map((r) => ({
          strategy: r.strategy,
          ...runFigures(r, device, profile, costs),
        }));
        const role = (id: string) => byId.get(id)?.role;
        const family = (id: string) => byId.get(id)?.family;
        const fixed = strategies.filter((s) => role(s.strategy) === 'fixed');
        const compared = strategies.filter((s) => role(s.strategy) !== 'cache');
        const energy = (s: (typeof strategies)[number]) => s.energyMj.total;
        const p95 = (s: (typeof strategies)[number]) => s.latencyMs.p95;
        const splits = fixed.filter((s) => family(s.strategy) === 'split');
        const whole = fixed.filter((s) => family(s.strategy) !== 'split');
        const best = (xs: typeof fixed, f: (s: (typeof strategies)[number]) => number) =>
          xs.length ? f(argmin(xs, f)!) : Number.POSITIVE_INFINITY;
        const policyRun = strategies.find((s) => role(s.strategy) === 'policy');
        const bestFixed = argmin(fixed, energy);
        regimes.push({
          link: profile.name,
          device,
          fps,
          strategies,
          energyWinner: argmin(compared, energy)?.strategy ?? '-',
          p95Winner: argmin(compared, p95)?.strategy ?? '-',
          splitPays: {
            energy: best(splits, energy) < best(whole, energy),
            p95: best(splits, p95) < best(whole, p95),
          },
          policy:
            policyRun && bestFixed
              ? {
                  strategy: policyRun.strategy,
                  energyMj: energy(policyRun),
                  bestFixed: bestFixed.strategy,
                  bestFixedMj: energy(bestFixed),
                  ratio: energy(policyRun) / energy(bestFixed),
                  within5Percent: energy(policyRun) <= 1.05 * energy(bestFixed),
                  // By a margin the measurement can carry: radio figures follow real send times.
                  strictlyBetter: energy(policyRun) < STRICT_MARGIN * energy(bestFixed),
                }
              : null,
        });
      }
    }
  }
  return regimes;
}
