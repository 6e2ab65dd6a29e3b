// The bench's link set-up on this machine: netem between two namespaces when the kernel has it,
// otherwise the in-process shaper with the exact reason; never a namespace left behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { createBenchLink, LINK_PROFILES } from '@cleave/bench';

const namespaces = () => {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return '';
  }
};

test('auto emulation: netem in namespaces, or the shaper and why; nothing left behind', {
  timeout: 60_000,
}, async () => {
  const mine = new RegExp(`cleave-bench-(edge|cloud)-${process.pid % 100_000}\\b`);
  const link = await createBenchLink('auto', LINK_PROFILES.lte);
  try {
    if (link.emulation.kind === 'netem') {
      assert.match(namespaces(), mine);
      assert.equal(link.edgePrefix[0], 'ip');
      await link.apply(LINK_PROFILES['3g']);
      await link.apply(null);
    } else {
      assert.match(
        link.emulation.reason,
        /^in-process shaper: netem could not be set up: `|not root|not Linux/,
      );
      assert.doesNotMatch(namespaces(), mine);
      assert.deepEqual(link.edgePrefix, []);
      assert.match(await link.endpoint(50051), /^127\.0\.0\.1:\d+$/);
    }
  } finally {
    await link.close();
  }
  assert.doesNotMatch(namespaces(), mine);
});
