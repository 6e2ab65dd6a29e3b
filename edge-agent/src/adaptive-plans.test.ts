import assert from 'node:assert/strict';
import { test } from 'node:test';
import { radioEnergy } from '@cleave/telemetry';
import {
  choosePlan,
  createCoverageTracker,
  estimatePlans,
  type PlanInputs,
  radioPerOffloadMj,
} from './adaptive-plans.js';

const base: PlanInputs = {
  mj: { head: 2, dualA: 1, dualB: 1, full: 6, encode: 0.5 },
  ms: { head: 1, dualA: 0.5, dualB: 0.5, full: 3, encode: 0.2 },
  coverage: { exit: 0.5, dual: 0.2, bRuns: 0.3 },
  radioMj: () => 1,
  inputRadioMj: () => 10,
  offloadMs: 50,
  inputOffloadMs: 60,
  arrivalsPerSec: 10,
  sloMs: 150,
};

const energy = (x: PlanInputs) => Object.fromEntries(estimatePlans(x).map((e) => [e.plan, e.energyMj]));

test('plan energies add the stages each plan runs, weighted by the shares that reach them', () => {
  const e = energy(base);
  assert.equal(e['local-full'], 6);
  assert.equal(e['input-offload'], 10); // nothing on the device, the radio for every input
  assert.equal(e['exit-offload'], 2 + 0.5 * (0.5 + 1)); // head, half offloaded
  assert.equal(e['exit-local'], 2 + 0.5 * 6);
  // head + dual A on the half the exit left + B where it ran + the 30% nobody was sure of
  assert.ok(Math.abs(e['cascade-offload']! - (2 + 0.5 * 1 + 0.3 * 1 + 0.3 * 1.5)) < 1e-12);
  assert.ok(Math.abs(e['cascade-local']! - (2 + 0.5 + 0.3 + 0.3 * 6)) < 1e-12);
  assert.equal(choosePlan(estimatePlans(base)).plan, 'exit-offload');
});

test('an expensive radio sends the policy back to the device; a tight SLO rules out the link', () => {
  const costly = { ...base, radioMj: () => 100, inputRadioMj: () => 100 };
  assert.equal(choosePlan(estimatePlans(costly)).plan, 'cascade-local');
  // A head that costs nearly the teacher: the teacher alone.
  assert.equal(choosePlan(estimatePlans({ ...costly, mj: { ...base.mj, head: 5 } })).plan, 'local-full');
  // With a cheap enough head and a good exit gate, the exit then the teacher beats the teacher alone.
  const goodExit = {
    ...costly,
    mj: { ...base.mj, head: 1, dualA: 2 },
    coverage: { exit: 0.7, dual: 0.1, bRuns: 0.2 },
  };
  assert.equal(choosePlan(estimatePlans(goodExit)).plan, 'exit-local');
  // A radio nearly free (a LAN): sending the input whole costs the device least.
  assert.equal(choosePlan(estimatePlans({ ...base, inputRadioMj: () => 0.01 })).plan, 'input-offload');
  const slow = { ...base, offloadMs: 200 };
  const e = estimatePlans(slow);
  assert.equal(e.find((x) => x.plan === 'exit-offload')!.feasible, false);
  assert.notEqual(choosePlan(e).plan, 'exit-offload');
  // An unmeasured link may be tried (that is how it gets measured).
  assert.equal(
    estimatePlans({ ...base, offloadMs: undefined }).find((x) => x.plan === 'exit-offload')!.feasible,
    true,
  );
  // Nothing feasible: the teacher on the device, which needs no link.
  assert.equal(choosePlan(estimatePlans({ ...base, sloMs: 0.1 })).plan, 'local-full');
});

test('radio per offload: isolated offloads pay promotion and the whole tail; frequent ones share it', () => {
  const bytes = { up: 400, down: 60 };
  const mbps = { up: 5, down: 20 };
  const isolated =
    radioEnergy('lte', { bytesUp: 400, bytesDown: 60, uplinkMbps: 5, downlinkMbps: 20 }).joules * 1000;
  assert.ok(Math.abs(radioPerOffloadMj('lte', bytes, mbps, 0) - isolated) < 1e-9);
  // Every 100 ms on LTE (tail 11.6 s): no promotion, 100 ms of tail each, plus the transfer.
  const frequent = radioPerOffloadMj('lte', bytes, mbps, 10);
  assert.ok(frequent < isolated / 50, `${frequent} vs ${isolated}`);
  assert.ok(frequent > 1060 * 0.09, `${frequent}`); // at least ~90 ms of the 1.06 W tail
  // Ethernet has no promotion and no tail: the rate does not matter.
  const a = radioPerOffloadMj('ethernet', bytes, { up: 100, down: 100 }, 0);
  const b = radioPerOffloadMj('ethernet', bytes, { up: 100, down: 100 }, 30);
  assert.ok(Math.abs(a - b) < 1e-12);
});

test('coverage starts at the bundle figures and moves with what the gates answer', () => {
  const prior = { exit: 0.5, dual: 0.2, bRuns: 0.3 };
  const t = createCoverageTracker(prior, 10);
  assert.deepEqual(t.current(), { exit: 0.5, dual: 0.2, bRuns: 0.3 });
  for (let i = 0; i < 10; i++) t.observe({ exitPass: true, dualRan: false, dualPass: false, bRan: false });
  assert.equal(t.current().exit, 0.75);
});
