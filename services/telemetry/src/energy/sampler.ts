// Samples a meter at a fixed rate into a ring buffer of (t ms from performance.now(), P watts). Instantaneous
// meters give P directly; energy counters (RAPL) give the mean power between consecutive reads, placed at the
// middle of that interval. Started and stopped explicitly; the timer is unref()ed so it never keeps the
// process alive.
import type { PowerSample } from './integrate.js';
import type { EnergyReading, PowerMeter } from './types.js';

export const MIN_SAMPLER_HZ = 10;

export interface PowerSamplerOptions {
  readonly meter: PowerMeter;
  /** Samples per second; at least 10. Default 10. */
  readonly hz?: number;
  /** Samples kept; default one minute's worth (hz × 60). At least 2. */
  readonly capacity?: number;
  /** Clock, ms; default performance.now. */
  readonly now?: () => number;
  /** Called when a read fails; the sampler keeps going. */
  readonly onError?: (err: unknown) => void;
}

export interface PowerSampler {
  readonly meter: PowerMeter;
  readonly hz: number;
  readonly capacity: number;
  readonly running: boolean;
  /** Samples currently held (≤ capacity). */
  readonly size: number;
  /** Failed reads so far. */
  readonly errors: number;
  start(): void;
  stop(): void;
  /** Reads the meter once now (what the timer does each tick). Resolves with the sample added, if any. */
  sampleOnce(): Promise<PowerSample | undefined>;
  /** Adds an externally obtained sample; samples older than the newest held are ignored. */
  record(sample: PowerSample): void;
  /** Held samples in time order; with bounds, those in [from, to] plus one neighbour on each side. */
  samples(from?: number, to?: number): PowerSample[];
  latest(): PowerSample | undefined;
}

export function createPowerSampler(options: PowerSamplerOptions): PowerSampler {
  const hz = options.hz ?? MIN_SAMPLER_HZ;
  if (!Number.isFinite(hz) || hz < MIN_SAMPLER_HZ) {
    throw new RangeError(`createPowerSampler: hz must be ≥ ${MIN_SAMPLER_HZ}, got ${hz}`);
  }
  const capacity = options.capacity ?? Math.ceil(hz * 60);
  if (!Number.isInteger(capacity) || capacity < 2) {
    throw new RangeError(`createPowerSampler: capacity must be an integer ≥ 2, got ${capacity}`);
  }
  const { meter } = options;
  const now = options.now ?? (() => performance.now());
  const times = new Float64Array(capacity);
  const watts = new Float64Array(capacity);
  let head = 0; // next write position
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let errors = 0;
  let previousEnergy: { t: number; reading: EnergyReading } | undefined;

  const at = (i: number): PowerSample => {
    const k = (head - count + i + capacity) % capacity;
    return { t: times[k]!, watts: watts[k]! };
  };

  function record(sample: PowerSample): void {
    if (!Number.isFinite(sample.t) || !Number.isFinite(sample.watts)) return;
    if (count > 0 && sample.t < at(count - 1).t) return;
    times[head] = sample.t;
    watts[head] = sample.watts;
    head = (head + 1) % capacity;
    count = Math.min(count + 1, capacity);
  }

  async function sampleOnce(): Promise<PowerSample | undefined> {
    if (busy) return undefined;
    busy = true;
    try {
      const start = now();
      if (meter.kind === 'power') {
        const reading = await meter.read();
        const sample = { t: (start + now()) / 2, watts: reading.totalWatts };
        record(sample);
        return sample;
      }
      const reading = await meter.readEnergy();
      const t = (start + now()) / 2;
      const before = previousEnergy;
      previousEnergy = { t, reading };
      if (before === undefined || t <= before.t) return undefined;
      const sample = {
        t: (before.t + t) / 2,
        watts: (reading.totalJoules - before.reading.totalJoules) / ((t - before.t) / 1000),
      };
      record(sample);
      return sample;
    } catch (err) {
      errors++;
      options.onError?.(err);
      return undefined;
    } finally {
      busy = false;
    }
  }

  return {
    meter,
    hz,
    capacity,
    get running() {
      return timer !== undefined;
    },
    get size() {
      return count;
    },
    get errors() {
      return errors;
    },
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => void sampleOnce(), 1000 / hz);
      timer.unref();
      void sampleOnce();
    },
    stop() {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
    },
    sampleOnce,
    record,
    samples(from?: number, to?: number) {
      // Binary searches over the ring (times are non-decreasing in logical order).
      const firstAtOrAfter = (t: number, strict: boolean) => {
        let lo = 0;
        let hi = count;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          const tm = at(mid).t;
          if (strict ? tm <= t : tm < t) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      const begin = from === undefined ? 0 : Math.max(0, firstAtOrAfter(from, false) - 1);
      const end = to === undefined ? count : Math.min(count, firstAtOrAfter(to, true) + 1);
      const out: PowerSample[] = [];
      for (let i = begin; i < end; i++) out.push(at(i));
      return out;
    },
    latest() {
      return count === 0 ? undefined : at(count - 1);
    },
  };
}
