import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LaneLoad, leastLoaded } from './lane-choice.js';

/** The choice as it was made with arrays before, kept as the reference. */
function reference<L extends LaneLoad>(lanes: L[], avoid: L | undefined, turn: number): L | undefined {
  let list = lanes.filter(
    (l) => !l.retiring && l !== avoid && (avoid?.peer === undefined || l.peer !== avoid.peer),
  );
  const known = avoid ? list.filter((l) => l.peer !== undefined) : [];
  if (known.length > 0) list = known;
  if (list.length === 0) return undefined;
  const cost = (l: L) => l.load + (l.blocked ? 1e9 : 0);
  const start = turn % list.length;
  let best = list[start]!;
  for (let i = 1; i < list.length; i++) {
    const l = list[(start + i) % list.length]!;
    if (cost(l) < cost(best)) best = l;
  }
  return best;
}

describe('agent - lane choice', () => {
  it('agent - picks the stream the array version picked, over random stream sets', { timeout: 5000 }, () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let k = 0; k < 5000; k++) {
      const lanes: LaneLoad[] = Array.from({ length: rand(6) }, () => ({
        retiring: rand(4) === 0,
        peer: rand(3) === 0 ? undefined : `10.0.0.${rand(3)}:50051`,
        load: rand(4),
        blocked: rand(5) === 0,
      }));
      const avoid = lanes.length > 0 && rand(2) === 0 ? lanes[rand(lanes.length)] : undefined;
      const turn = rand(100);
      assert.equal(leastLoaded(new Set(lanes), avoid, turn), reference(lanes, avoid, turn), `case ${k}`);
    }
  });

  it('agent - equal streams take turns', { timeout: 5000 }, () => {
    const lanes = [0, 1, 2].map(() => ({ retiring: false, peer: undefined, load: 1, blocked: false }));
    const picked = [0, 1, 2, 3].map((t) => lanes.indexOf(leastLoaded(lanes, undefined, t)!));
    assert.deepEqual(picked, [0, 1, 2, 0]);
  });
});
