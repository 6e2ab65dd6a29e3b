import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitGrowth, perProcess } from './soak-growth.js';

describe('soak growth', () => {
  it('a steady climb is growth even when the last sample has fallen back', () => {
    // 260 → 315 MB over 80 s, then back to 250 at the end: the endpoints say −4%.
    const rows = [
      ...Array.from({ length: 17 }, (_, i) => ({ t: i * 5, mb: 260 + (55 * i) / 16 })),
      { t: 85, mb: 250 },
    ];
    const g = fitGrowth(rows);
    assert.ok(g.fitted > 0.1, `fitted growth ${g.fitted}`);
    assert.ok(Math.abs(g.peakMb - 315) < 1e-9);
    assert.ok(g.peakOverStart > 0.15, `peak over start ${g.peakOverStart}`);
  });

  it('a flat noisy series has no growth, and the slope is per minute', () => {
    const rows = Array.from({ length: 121 }, (_, i) => ({ t: i * 5, mb: 300 + (i % 2 === 0 ? 2 : -2) }));
    const g = fitGrowth(rows);
    assert.ok(Math.abs(g.fitted) < 0.002, `fitted ${g.fitted}`);
    assert.equal(g.windowSeconds, 600);
    const line = fitGrowth([
      { t: 10, mb: 100 },
      { t: 70, mb: 103 },
    ]);
    assert.ok(Math.abs(line.slopeMbPerMin - 3) < 1e-9);
    assert.ok(Math.abs(line.fitted - 0.03) < 1e-9);
  });

  it('too few samples give NaN, not a figure', () => {
    assert.ok(Number.isNaN(fitGrowth([{ t: 0, mb: 1 }]).fitted));
    assert.ok(Number.isNaN(fitGrowth([]).peakOverStart));
  });

  it('per process: one series each, without its own warm-up', () => {
    const rows = [
      { t: 0, pid: 1 },
      { t: 30, pid: 1 },
      { t: 60, pid: 1 },
      { t: 65, pid: 2 },
      { t: 100, pid: 2 },
    ];
    assert.deepEqual(
      perProcess(rows, 30).map((l) => l.map((r) => r.t)),
      [[30, 60], [100]],
    );
  });
});
