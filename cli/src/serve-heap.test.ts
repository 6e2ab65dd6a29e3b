import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVE_NODE_FLAGS, semiSpaceFlagMb } from './serve-heap.js';
import { serveCommand } from './serve-process.js';

const opts = { timeout: 10_000 };

describe('serve heap', () => {
  it('semiSpaceFlagMb - reads the flag from node arguments and NODE_OPTIONS, in every spelling', opts, () => {
    assert.equal(semiSpaceFlagMb([], ''), undefined);
    assert.equal(semiSpaceFlagMb(['--max-semi-space-size=64'], ''), 64);
    assert.equal(semiSpaceFlagMb(['--max_semi_space_size', '32'], ''), 32);
    assert.equal(semiSpaceFlagMb([], '--max-old-space-size=512 --max-semi-space-size=16'), 16);
    // The command line comes after NODE_OPTIONS, and node takes its value.
    assert.equal(semiSpaceFlagMb(['--max-semi-space-size=8'], '--max-semi-space-size=16'), 8);
    assert.equal(semiSpaceFlagMb(['--max-old-space-size=64', '--inspect'], ''), undefined);
  });

  it('serveCommand - starts the server with its young generation unless the caller sets one', opts, () => {
    const flag = SERVE_NODE_FLAGS[0]!;
    const plain = serveCommand(['--models', 'm'], { env: { NODE_OPTIONS: '' } }, '/tmp/ready');
    assert.deepEqual(plain.command.slice(1, 2), [flag]);
    assert.equal(plain.command[0], process.execPath);
    assert.deepEqual(plain.nodeArgs, [flag]);
    const own = serveCommand([], { nodeArgs: ['--max-semi-space-size=8', '--cpu-prof'], env: {} }, '/r');
    assert.ok(!own.command.includes(flag));
    assert.deepEqual(own.command.slice(1, 3), ['--max-semi-space-size=8', '--cpu-prof']);
    assert.deepEqual(own.nodeArgs, ['--max-semi-space-size=8', '--cpu-prof']);
    const fromEnv = serveCommand([], { env: { NODE_OPTIONS: '--max-semi-space-size=32' } }, '/r');
    assert.ok(!fromEnv.command.includes(flag));
    // Pinned: taskset first (it execs node, so the child's pid is the server's).
    const pinned = serveCommand([], { cpus: [1], env: { NODE_OPTIONS: '' } }, '/r');
    assert.equal(pinned.command[0], 'taskset');
    assert.ok(pinned.command.includes(flag));
  });
});
