import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOffloadPolicy, type PolicyOptions } from './offload-policy.js';

const base: PolicyOptions = {
  latencyBudgetMs: null,
  energyBudgetMj: null,
  minConfidence: null,
  probeIntervalMs: 1000,
  breaker: { failureThreshold: 3, baseBackoffMs: 100, maxBackoffMs: 1000, jitter: 0 },
};

describe('policy - service-level goal', () => {
  it('policy - a local answer at least minConfidence sure is kept, not degraded', { timeout: 1000 }, () => {
    const policy = createOffloadPolicy({ ...base, minConfidence: 0.9 });
    const sure = policy.decide(80, 1, 0.95);
    assert.equal(sure.offload, false);
    assert.equal(!sure.offload && sure.degraded, false);
    assert.equal(policy.decide(80, 1, 0.5).offload, true);
    assert.equal(policy.stats().localConfident, 1);
  });

  it('policy - an offload whose radio energy exceeds the budget is answered locally', {
    timeout: 1000,
  }, () => {
    const calls: number[] = [];
    // 1 mJ per 100 bytes, a stand-in for the radio model.
    const predictRadioMj = (bytes: number) => {
      calls.push(bytes);
      return bytes / 100;
    };
    const policy = createOffloadPolicy({ ...base, energyBudgetMj: 2 }, { predictRadioMj });
    assert.equal(policy.decide(150, 1, 0.2).offload, true);
    const big = policy.decide(400, 1, 0.2);
    assert.equal(big.offload, false);
    assert.ok(!big.offload && big.degraded && /energy budget/.test(big.reason));
    assert.deepEqual(calls, [150, 400]);
    assert.equal(policy.stats().localForEnergy, 1);
  });

  it('policy - without an energy model the energy budget cannot refuse', { timeout: 1000 }, () => {
    const policy = createOffloadPolicy({ ...base, energyBudgetMj: 0.001 });
    assert.equal(policy.decide(10_000, 1, 0).offload, true);
  });
});
