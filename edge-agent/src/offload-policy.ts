// Per request: offload now, or answer on the device? The service-level goal decides: a minimum
// confidence (a local answer at least this sure is kept, not degraded), a latency budget (can the
// round trip make it?), a device-energy budget (would the radio cost more?), and the circuit
// breaker (is the cloud reachable?).
import { status } from '@grpc/grpc-js';
import { recordDecision } from './agent-metrics.js';
import { type CircuitBreaker, createCircuitBreaker } from './circuit-breaker.js';
import { createLinkEstimator, type LinkEstimate, type LinkEstimator } from './link-estimator.js';

export interface PolicyOptions {
  latencyBudgetMs: number | null;
  /** Radio energy an offload may cost the device, mJ; null for no limit. */
  energyBudgetMj: number | null;
  /** A best local answer with a score at least this is kept (not degraded); null to always offload. */
  minConfidence: number | null;
  probeIntervalMs: number;
  breaker: { failureThreshold: number; baseBackoffMs: number; maxBackoffMs: number; jitter: number };
}

export type OffloadDecision =
  | { offload: true }
  /**
   * Answer locally; `probe` asks for a shadow offload whose answer only feeds the estimate;
   * `degraded` is false when the local answer meets the goal by itself (minConfidence).
   */
  | { offload: false; reason: string; probe: boolean; degraded: boolean };

export interface PolicyStats {
  offloaded: number;
  localForBudget: number;
  localForEnergy: number;
  localConfident: number;
  localForBreaker: number;
  probes: number;
  breaker: ReturnType<CircuitBreaker['stats']>;
  link: LinkEstimate;
}

export interface OffloadPolicy {
  /** `localScore`: the best local answer's gate score. */
  decide(frameBytes: number, elapsedMs: number, localScore?: number): OffloadDecision;
  /** Record an offload's outcome: its round trip, the server's time, or the gRPC failure code. */
  observe(
    outcome: { ok: true; roundTripMs: number; serverMs: number; bytes: number } | { ok: false; code: status },
  ): void;
  stats(): PolicyStats;
  /** Changes the budgets at run time (the breaker and the link estimate keep their state). */
  update(options: Partial<Omit<PolicyOptions, 'breaker'>>): void;
}

// Failures that say the link or the server is in trouble; other errors are answers.
const LINK_FAILURES = new Set<status>([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
]);

export interface PolicyDeps {
  now?: () => number;
  /** Predicted radio energy of an offload of this many bytes at this uplink rate (bit/s), mJ. */
  predictRadioMj?: (bytes: number, uplinkBps: number) => number;
}

export function createOffloadPolicy(initial: PolicyOptions, deps: PolicyDeps = {}): OffloadPolicy {
  // A copy: update() swaps budgets in place, each decision reads the values of its moment.
  const options: PolicyOptions = { ...initial };
  const now = deps.now ?? Date.now;
  const breaker = createCircuitBreaker({ ...options.breaker, now });
  const link: LinkEstimator = createLinkEstimator();
  const counts = {
    offloaded: 0,
    localForBudget: 0,
    localForEnergy: 0,
    localConfident: 0,
    localForBreaker: 0,
    probes: 0,
  };
  let lastOffloadAt = Number.NEGATIVE_INFINITY;

  return {
    decide(frameBytes, elapsedMs, localScore) {
      if (options.minConfidence !== null && localScore !== undefined && localScore >= options.minConfidence) {
        counts.localConfident++;
        recordDecision('local-confident');
        return {
          offload: false,
          probe: false,
          degraded: false,
          reason: `local answer is sure enough (${localScore.toFixed(3)} >= ${options.minConfidence})`,
        };
      }
      if (options.energyBudgetMj !== null && deps.predictRadioMj) {
        const uplink = link.estimate().uplinkBps;
        const mj = deps.predictRadioMj(frameBytes, Number.isFinite(uplink) ? uplink : Number.NaN);
        if (mj > options.energyBudgetMj) {
          counts.localForEnergy++;
          recordDecision('local-energy');
          return {
            offload: false,
            probe: false,
            degraded: true,
            reason: `energy budget: the offload would cost ~${mj.toFixed(1)} mJ of radio, budget ${options.energyBudgetMj} mJ`,
          };
        }
      }
      const budget = options.latencyBudgetMs;
      if (budget !== null) {
        const predicted = link.predictMs(frameBytes);
        const left = budget - elapsedMs;
        if (predicted !== undefined && predicted > left) {
          const probe = now() - lastOffloadAt >= options.probeIntervalMs && breaker.allow();
          if (probe) {
            counts.probes++;
            recordDecision('probe');
            lastOffloadAt = now();
          }
          counts.localForBudget++;
          recordDecision('local-budget');
          return {
            offload: false,
            probe,
            degraded: true,
            reason: `latency budget: the link needs ~${predicted.toFixed(1)} ms, ${Math.max(0, left).toFixed(1)} ms left`,
          };
        }
      }
      if (!breaker.allow()) {
        counts.localForBreaker++;
        recordDecision('local-breaker');
        const retry = breaker.stats().retryInMs;
        return {
          offload: false,
          probe: false,
          degraded: true,
          reason: `circuit open: the cloud failed recently, retry in ${retry.toFixed(0)} ms`,
        };
      }
      counts.offloaded++;
      recordDecision('offload');
      lastOffloadAt = now();
      return { offload: true };
    },
    observe(outcome) {
      if (outcome.ok) {
        breaker.success();
        link.observe(outcome);
      } else if (LINK_FAILURES.has(outcome.code)) {
        breaker.failure();
      } else {
        breaker.success();
      }
    },
    stats: () => ({ ...counts, breaker: breaker.stats(), link: link.estimate() }),
    update(next) {
      for (const [key, value] of Object.entries(next))
        if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
    },
  };
}
