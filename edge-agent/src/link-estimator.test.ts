import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLinkEstimator } from './link-estimator.js';

describe('policy - link estimator', () => {
  it('policy - no prediction before traffic, then SRTT follows the samples', { timeout: 1000 }, () => {
    const link = createLinkEstimator();
    assert.equal(link.predictMs(100), undefined);
    for (let i = 0; i < 50; i++) link.observe({ roundTripMs: 42, serverMs: 2, bytes: 100 });
    const e = link.estimate();
    assert.ok(Math.abs(e.srttMs - 40) < 1e-9);
    assert.equal(e.minRttMs, 40);
    assert.ok(Math.abs(link.predictMs(100)! - 42) < 1e-6);
  });
  it('policy - a slower link is learned within a few dozen samples', { timeout: 1000 }, () => {
    const link = createLinkEstimator();
    for (let i = 0; i < 20; i++) link.observe({ roundTripMs: 5, serverMs: 1, bytes: 100 });
    for (let i = 0; i < 40; i++) link.observe({ roundTripMs: 205, serverMs: 1, bytes: 100 });
    assert.ok(link.predictMs(100)! > 180);
  });
  it('policy - uplink bandwidth comes from how much longer big frames take', { timeout: 1000 }, () => {
    const link = createLinkEstimator();
    link.observe({ roundTripMs: 10, serverMs: 0, bytes: 100 }); // base delay
    // 100 kB more per frame at 8 Mbit/s is 100 ms more.
    for (let i = 0; i < 100; i++) link.observe({ roundTripMs: 110, serverMs: 0, bytes: 100_000 });
    const bps = link.estimate().uplinkBps;
    assert.ok(Math.abs(bps - 8e6) / 8e6 < 0.01, String(bps));
  });
});
