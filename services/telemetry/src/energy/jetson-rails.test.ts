import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isJetsonRailLabel, jetsonTotal } from './jetson-rails.js';

const opts = { timeout: 10_000 };

describe('jetson input-rail rule', () => {
  it('takes the input rail alone, never adding its sub-rails (jetson-stats #51)', opts, () => {
    const t = jetsonTotal([
      { name: 'VDD_IN', watts: 6 },
      { name: 'VDD_CPU_GPU_CV', watts: 2 },
      { name: 'VDD_SOC', watts: 3 },
    ]);
    assert.equal(t.rule, 'input-rail');
    assert.equal(t.totalWatts, 6);
    assert.deepEqual(t.from, ['VDD_IN']);
  });

  it('accepts POM_5V_IN and adds the parallel carrier input VDD_MUX', opts, () => {
    assert.equal(
      jetsonTotal([
        { name: 'POM_5V_CPU', watts: 1 },
        { name: 'POM_5V_IN', watts: 4 },
      ]).totalWatts,
      4,
    );
    const tx2 = jetsonTotal([
      { name: 'VDD_SYS_GPU', watts: 1 },
      { name: 'VDD_IN', watts: 5 },
      { name: 'VDD_MUX', watts: 2 },
    ]);
    assert.equal(tx2.totalWatts, 7);
    assert.deepEqual(tx2.from, ['VDD_IN', 'VDD_MUX']);
  });

  it('sums the rails when there is no input rail; VIN_SYS_5V0 is a branch, not the input', opts, () => {
    const t = jetsonTotal([
      { name: 'VDD_GPU_SOC', watts: 10 },
      { name: 'VDD_CPU_CV', watts: 4 },
      { name: 'VIN_SYS_5V0', watts: 5 },
    ]);
    assert.equal(t.rule, 'sum-of-rails');
    assert.equal(t.totalWatts, 19);
  });

  it('NC channels and the shunt-sum channel are not rails', opts, () => {
    assert.equal(isJetsonRailLabel('NC'), false);
    assert.equal(isJetsonRailLabel('sum of shunt voltages'), false);
    assert.equal(isJetsonRailLabel('Sum of shunt voltages'), false);
    assert.equal(isJetsonRailLabel('VDD_IN'), true);
  });
});
