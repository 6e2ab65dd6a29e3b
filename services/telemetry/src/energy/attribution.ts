// Per-inference compute energy from a power sampler. An inference's energy is the trapezoid integral of P over
// its own window, shared pro rata with the inferences that overlapped it: in each sub-interval the energy is
// divided by the number of inferences active then. A window holding fewer than two samples falls back to the
// mean recent power × its (pro-rata) duration and is tagged `estimated`.
import {
  countSamples,
  type EnergyWindow,
  integratePower,
  meanPower,
  type PowerSample,
  shareOfWindow,
} from './integrate.js';
import type { PowerSampler } from './sampler.js';
import type { EnergyMethod } from './types.js';

export interface EnergyToken {
  readonly id: number;
  /** Window start, ms (the sampler's clock). */
  readonly t0: number;
}

export interface InferenceEnergy {
  /** Compute energy charged to this inference; NaN when the sampler holds no sample at all. */
  readonly joules: number;
  readonly method: EnergyMethod;
  /** The meter's source description. */
  readonly source: string;
  /** The meter's id, e.g. `jetson-ina3221-hwmon`. */
  readonly meter: string;
  readonly windowMs: number;
  /** Samples inside the window. */
  readonly samples: number;
}

export interface EnergyAttributorOptions {
  /** Clock, ms; must be the sampler's clock. Default performance.now. */
  readonly now?: () => number;
  /** How far back "recent" reaches for the short-window fallback, ms. Default 2000. */
  readonly fallbackLookbackMs?: number;
}

export interface EnergyAttributor {
  begin(): EnergyToken;
  /** Closes the window; throws on a token that is unknown or already ended. */
  end(token: EnergyToken): InferenceEnergy;
  /** Windows begun and not yet ended. */
  readonly active: number;
}

export function createEnergyAttributor(
  sampler: PowerSampler,
  options: EnergyAttributorOptions = {},
): EnergyAttributor {
  const now = options.now ?? (() => performance.now());
  const lookbackMs = options.fallbackLookbackMs ?? 2000;
  const active = new Map<number, number>(); // id → t0
  let finished: EnergyWindow<number>[] = [];
  let nextId = 1;

  function prune(): void {
    if (active.size === 0) {
      finished = [];
      return;
    }
    const oldestActive = Math.min(...active.values());
    finished = finished.filter((w) => w.t1 > oldestActive);
  }

  return {
    get active() {
      return active.size;
    },
    begin() {
      const token = { id: nextId++, t0: now() };
      active.set(token.id, token.t0);
      return token;
    },
    end(token) {
      const t0 = active.get(token.id);
      if (t0 === undefined)
        throw new Error(`energy attributor: token ${token.id} is unknown or already ended`);
      active.delete(token.id);
      const t1 = Math.max(now(), t0);
      const self: EnergyWindow<number> = { id: token.id, t0, t1 };
      // Everyone active during [t0, t1], clipped to it; still-running windows count as active until t1.
      const others: EnergyWindow<number>[] = [
        ...finished,
        ...[...active].map(([id, start]) => ({ id, t0: start, t1 })),
      ]
        .filter((w) => w.t0 < t1 && w.t1 > t0)
        .map((w) => ({ id: w.id, t0: Math.max(w.t0, t0), t1: Math.min(w.t1, t1) }));
      finished.push(self);
      prune();

      const meter = sampler.meter;
      const near: PowerSample[] = sampler.samples(t0, t1);
      const inside = countSamples(near, t0, t1);
      const base = { source: meter.source, meter: meter.id, windowMs: t1 - t0, samples: inside };
      if (inside >= 2) {
        return {
          ...base,
          joules: shareOfWindow(
            self,
            others.filter((w) => w.id !== self.id),
            (a, b) => integratePower(near, a, b),
            near.map((x) => x.t),
          ),
          method: meter.method === 'measured' ? 'measured' : 'estimated',
        };
      }
      let watts = meanPower(sampler.samples(t1 - lookbackMs, t1), t1 - lookbackMs, t1);
      if (Number.isNaN(watts)) watts = sampler.latest()?.watts ?? Number.NaN;
      return {
        ...base,
        joules: shareOfWindow(
          self,
          others.filter((w) => w.id !== self.id),
          (a, b) => (watts * (b - a)) / 1000,
        ),
        method: 'estimated',
      };
    },
  };
}
