// A circuit breaker for the offload link: after `failureThreshold` consecutive failures it
// opens and the agent answers locally at once instead of waiting for timeouts; after a backoff
// (exponential, with jitter) one probe goes through (half-open); its outcome closes the
// breaker or opens it again for longer.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** 0..1: the backoff is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  now?: () => number;
  random?: () => number;
}

export interface CircuitBreaker {
  state(): BreakerState;
  /** Whether a request may use the link now. In half-open, only one probe is let through. */
  allow(): boolean;
  success(): void;
  failure(): void;
  stats(): { state: BreakerState; opens: number; consecutiveFailures: number; retryInMs: number };
}

export function createCircuitBreaker(options: BreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  let state: BreakerState = 'closed';
  let failures = 0;
  let opens = 0;
  let level = 0;
  let retryAt = 0;
  let probing = false;

  function open(): void {
    const backoff = Math.min(options.maxBackoffMs, options.baseBackoffMs * 2 ** level);
    const jittered = backoff * (1 + options.jitter * (2 * random() - 1));
    retryAt = now() + jittered;
    state = 'open';
    probing = false;
    opens++;
    level++;
  }

  return {
    state() {
      if (state === 'open' && now() >= retryAt) state = 'half-open';
      return state;
    },
    allow() {
      const s = this.state();
      if (s === 'closed') return true;
      if (s === 'half-open' && !probing) {
        probing = true;
        return true;
      }
      return false;
    },
    success() {
      failures = 0;
      level = 0;
      probing = false;
      state = 'closed';
    },
    failure() {
      failures++;
      if (state === 'half-open' || (state === 'closed' && failures >= options.failureThreshold)) open();
    },
    stats() {
      const s = this.state();
      return {
        state: s,
        opens,
        consecutiveFailures: failures,
        retryInMs: s === 'open' ? Math.max(0, retryAt - now()) : 0,
      };
    },
  };
}
