// Per request: offload now, or answer on the device? Combines the circuit breaker (is the cloud
// reachable?) and the link estimate (can the round trip meet the latency budget?).
import { status } from '@grpc/grpc-js';
import { recordDecision } from './agent-metrics.js';
import { type CircuitBreaker, createCircuitBreaker } from './circuit-breaker.js';
import { createLinkEstimator, type LinkEstimate, type LinkEstimator } from './link-estimator.js';

export interface PolicyOptions {
  latencyBudgetMs: number | null;
  probeIntervalMs: number;
  breaker: { failureThreshold: number; baseBackoffMs: number; maxBackoffMs: number; jitter: number };
}

export type OffloadDecision =
  | { offload: true }
  /** Answer locally; `probe` asks for a shadow offload whose answer only feeds the estimate. */
  | { offload: false; reason: string; probe: boolean };

export interface PolicyStats {
  offloaded: number;
  localForBudget: number;
  localForBreaker: number;
  probes: number;
  breaker: ReturnType<CircuitBreaker['stats']>;
  link: LinkEstimate;
}

export interface OffloadPolicy {
  decide(frameBytes: number, elapsedMs: number): OffloadDecision;
  /** Record an offload's outcome: its round trip, the server's time, or the gRPC failure code. */
  observe(
    outcome: { ok: true; roundTripMs: number; serverMs: number; bytes: number } | { ok: false; code: status },
  ): void;
  stats(): PolicyStats;
}

// Failures that say the link or the server is in trouble; other errors are answers.
const LINK_FAILURES = new Set<status>([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
]);

export function createOffloadPolicy(options: PolicyOptions, now: () => number = Date.now): OffloadPolicy {
  const breaker = createCircuitBreaker({ ...options.breaker, now });
  const link: LinkEstimator = createLinkEstimator();
  const counts = { offloaded: 0, localForBudget: 0, localForBreaker: 0, probes: 0 };
  let lastOffloadAt = Number.NEGATIVE_INFINITY;

  return {
    decide(frameBytes, elapsedMs) {
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
  };
}
