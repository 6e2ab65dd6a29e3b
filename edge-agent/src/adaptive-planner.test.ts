import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AdaptivePlannerOptions, createAdaptivePlanner } from './adaptive-planner.js';

// Offloading is cheap and the teacher on the device dear, so a measured link wins.
const options = (link: { samples: number; srttMs: number }): AdaptivePlannerOptions => ({
  metrics: { exitCoverage: 0.5, dualCoverage: 0.2, meanFrameBytes: 40 },
  mj: { head: 2, dualA: 1, dualB: 1, full: 60, encode: 0.5 },
  ms: { head: 1, dualA: 0.5, dualB: 0.5, full: 3, encode: 0.2 },
  radio: 'wifi',
  sloMs: 100,
  inputBytes: { up: 800, down: 60 },
  link: () => ({ ...link, serverMs: 1, uplinkBps: Number.POSITIVE_INFINITY }),
});

test('adaptive planner - plans from the first frame and reports each change once', () => {
  const planner = createAdaptivePlanner(options({ samples: 5, srttMs: 10 }));
  const chosen = Array.from({ length: 25 }, (_, k) => planner.next(k * 100));
  assert.equal(chosen[0], 'cascade-offload');
  assert.equal(planner.plans[0]!.at, 0);
  assert.equal(planner.plans[0]!.plan, chosen[0]);
  assert.ok(Object.keys(planner.plans[0]!.estimates).includes('local-full'));
  // A change is listed where the chosen plan changed, and only there.
  const changes = chosen.flatMap((p, k) => (k === 0 || p !== chosen[k - 1] ? [{ at: k, plan: p }] : []));
  assert.deepEqual(
    planner.plans.map(({ at, plan }) => ({ at, plan })),
    changes,
  );
});

test('adaptive planner - a link that cannot meet the goal leaves the offload plans', () => {
  const slow = createAdaptivePlanner(options({ samples: 5, srttMs: 500 }));
  const plan = slow.next(0);
  assert.ok(!['exit-offload', 'cascade-offload'].includes(plan), plan);
  // A measured raw-input round trip over the goal rules input offload out as well.
  slow.observeInputOffload(400, 800, 60);
  for (let k = 1; k <= 10; k++) assert.ok(slow.next(k * 100) !== 'input-offload');
});

test('adaptive planner - a fixed plan is held, and startRun forgets the warm-up', () => {
  const planner = createAdaptivePlanner({ ...options({ samples: 0, srttMs: 0 }), fixedPlan: 'exit-local' });
  for (let k = 0; k < 12; k++) assert.equal(planner.next(k), 'exit-local');
  assert.equal(planner.plans.length, 1);
  planner.startRun();
  assert.equal(planner.plans.length, 0);
  assert.equal(planner.next(0), 'exit-local');
  assert.equal(planner.plans.length, 1);
});
