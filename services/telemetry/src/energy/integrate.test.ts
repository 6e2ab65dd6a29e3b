import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  countSamples,
  integratePower,
  meanPower,
  type PowerSample,
  powerAt,
  shareConstantPower,
  shareEnergy,
} from './integrate.js';

const opts = { timeout: 10_000 };
const close = (a: number | undefined, b: number) =>
  assert.ok(a !== undefined && Math.abs(a - b) < 1e-9, `${a} ≉ ${b}`);

const tent: PowerSample[] = [
  { t: 0, watts: 10 },
  { t: 1000, watts: 20 },
  { t: 2000, watts: 10 },
];

/** P = 10·s W with s in seconds, sampled every 100 ms from 0 to 3 s. */
const ramp: PowerSample[] = Array.from({ length: 31 }, (_, i) => ({ t: i * 100, watts: i }));
const flat = (watts: number): PowerSample[] => Array.from({ length: 31 }, (_, i) => ({ t: i * 100, watts }));

describe('power curve', () => {
  it('interpolates linearly and holds flat beyond the ends', opts, () => {
    assert.equal(powerAt(tent, 500), 15);
    assert.equal(powerAt(tent, 1500), 15);
    assert.equal(powerAt(tent, 1000), 20);
    assert.equal(powerAt(tent, -50), 10);
    assert.equal(powerAt(tent, 9999), 10);
    assert.ok(Number.isNaN(powerAt([], 0)));
  });

  it('counts samples in a closed window and averages them', opts, () => {
    assert.equal(countSamples(tent, 0, 2000), 3);
    assert.equal(countSamples(tent, 1, 1999), 1);
    assert.equal(countSamples(tent, 1000, 1000), 1);
    assert.equal(countSamples(tent, 2001, 3000), 0);
    assert.equal(meanPower(tent, 0, 1000), 15);
    assert.ok(Number.isNaN(meanPower(tent, 3000, 4000)));
  });
});

describe('trapezoid integral', () => {
  it('integrates between samples exactly', opts, () => {
    close(integratePower(tent, 0, 2000), 30);
    close(integratePower(tent, 0, 1000), 15);
  });

  it('interpolates at window edges that fall between samples', opts, () => {
    close(integratePower(tent, 500, 1500), 17.5); // 0.5 s × 17.5 W + 0.5 s × 17.5 W
    close(integratePower(tent, 250, 750), 7.5); // inside one segment: 0.5 s × (12.5 + 17.5) / 2
    close(integratePower(ramp, 0, 1000), 5); // ∫0^1 10 s ds
    close(integratePower(ramp, 1050, 1950), 0.9 * 15); // mean of a linear P over the window × 0.9 s
  });

  it('holds the end values outside the sampled range; empty window → 0; no samples → NaN', opts, () => {
    close(integratePower(tent, -1000, 0), 10);
    close(integratePower(tent, 2000, 2500), 5);
    assert.equal(integratePower(tent, 700, 700), 0);
    assert.equal(integratePower(tent, 800, 700), 0);
    assert.ok(Number.isNaN(integratePower([], 0, 1000)));
  });
});

describe('pro-rata sharing', () => {
  it('splits overlapping sub-intervals equally and conserves the total', opts, () => {
    const shares = shareEnergy(ramp, [
      { id: 'a', t0: 0, t1: 2000 },
      { id: 'b', t0: 1000, t1: 3000 },
    ]);
    close(shares.get('a'), 5 + 15 / 2);
    close(shares.get('b'), 15 / 2 + 25);
    close((shares.get('a') ?? 0) + (shares.get('b') ?? 0), integratePower(ramp, 0, 3000));
  });

  it('three windows with nested overlaps (worked example at 12 W)', opts, () => {
    const windows = [
      { id: 'a', t0: 0, t1: 3000 },
      { id: 'b', t0: 1000, t1: 2000 },
      { id: 'c', t0: 1500, t1: 2500 },
    ];
    // pieces: [0,1] a:12 | [1,1.5] a,b: 6/2 | [1.5,2] a,b,c: 6/3 | [2,2.5] a,c: 6/2 | [2.5,3] a: 6
    for (const shares of [shareEnergy(flat(12), windows), shareConstantPower(12, windows)]) {
      close(shares.get('a'), 12 + 3 + 2 + 3 + 6);
      close(shares.get('b'), 3 + 2);
      close(shares.get('c'), 2 + 3);
    }
  });

  it('a window alone gets its whole integral; disjoint windows do not share', opts, () => {
    const shares = shareEnergy(tent, [
      { id: 1, t0: 0, t1: 500 },
      { id: 2, t0: 1500, t1: 2000 },
    ]);
    close(shares.get(1), integratePower(tent, 0, 500));
    close(shares.get(2), integratePower(tent, 1500, 2000));
  });
});
