import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCircuitBreaker } from './circuit-breaker.js';

function clocked() {
  let t = 0;
  const breaker = createCircuitBreaker({
    failureThreshold: 3,
    baseBackoffMs: 100,
    maxBackoffMs: 1000,
    jitter: 0,
    now: () => t,
    random: () => 0.5,
  });
  return { breaker, advance: (ms: number) => (t += ms) };
}

describe('policy - circuit breaker', () => {
  it('policy - opens after consecutive failures, not before', { timeout: 1000 }, () => {
    const { breaker } = clocked();
    breaker.failure();
    breaker.failure();
    assert.equal(breaker.state(), 'closed');
    breaker.success(); // a success resets the count
    breaker.failure();
    breaker.failure();
    assert.equal(breaker.allow(), true);
    breaker.failure();
    assert.equal(breaker.state(), 'open');
    assert.equal(breaker.allow(), false);
  });
  it('policy - half-open lets one probe through; success closes', { timeout: 1000 }, () => {
    const { breaker, advance } = clocked();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(99);
    assert.equal(breaker.state(), 'open');
    advance(1);
    assert.equal(breaker.state(), 'half-open');
    assert.equal(breaker.allow(), true);
    assert.equal(breaker.allow(), false, 'only one probe');
    breaker.success();
    assert.equal(breaker.state(), 'closed');
    assert.equal(breaker.allow(), true);
  });
  it('policy - a failed probe opens again with a doubled backoff, capped', { timeout: 1000 }, () => {
    const { breaker, advance } = clocked();
    for (let i = 0; i < 3; i++) breaker.failure();
    const backoffs: number[] = [];
    for (let round = 0; round < 6; round++) {
      backoffs.push(breaker.stats().retryInMs);
      advance(breaker.stats().retryInMs);
      assert.equal(breaker.allow(), true);
      breaker.failure();
    }
    assert.deepEqual(backoffs, [100, 200, 400, 800, 1000, 1000]);
    assert.equal(breaker.stats().opens, 7);
  });
  it('policy - jitter spreads the backoff within its bounds', { timeout: 1000 }, () => {
    for (const r of [0, 0.25, 0.999]) {
      let t = 0;
      const b = createCircuitBreaker({
        failureThreshold: 1,
        baseBackoffMs: 1000,
        maxBackoffMs: 10_000,
        jitter: 0.2,
        now: () => t,
        random: () => r,
      });
      b.failure();
      const wait = b.stats().retryInMs;
      assert.ok(wait >= 800 && wait <= 1200, String(wait));
      t += 1;
    }
  });
});
