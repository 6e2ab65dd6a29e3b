import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = join(import.meta.dirname, 'testing', 'pool-launch-check.ts');
const repoRoot = join(import.meta.dirname, '..', '..', '..');
const tsxBin = join(repoRoot, 'node_modules', '.bin', 'tsx');
const opts = { timeout: 60_000 };

async function launch(command: string, args: string[]): Promise<{ y: number[] }> {
  const { stdout } = await run(command, args, { cwd: repoRoot, timeout: 50_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
}

// Workers do not inherit a TypeScript loader on Node 20, so the worker is plain JavaScript
// (session-worker.mjs). These prove both ways of starting the process work.
describe('session worker launch', () => {
  it('session worker launch - works under the tsx CLI', opts, async () => {
    assert.deepEqual((await launch(tsxBin, [script])).y, [4, 6]);
  });

  it('session worker launch - works under node --import tsx', opts, async () => {
    assert.deepEqual((await launch(process.execPath, ['--import', 'tsx', script])).y, [4, 6]);
  });
});
