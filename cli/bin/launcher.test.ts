import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

// The launcher a checkout runs (`npx cleave`) starts the TypeScript CLI through tsx. The suite's
// compiled copy (scripts/test-tree.ts) puts the release's launcher in its place and keeps the
// checkout's beside it as cleave-tsx.js; run from the checkout, this file finds it as cleave.js.
const copy = join(import.meta.dirname, 'cleave-tsx.js');
const launcher = existsSync(copy) ? copy : join(import.meta.dirname, 'cleave.js');

test('cli launcher - the checkout launcher runs the TypeScript sources', { timeout: 60_000 }, () => {
  const run = spawnSync(process.execPath, [launcher, 'serve', '--help'], {
    encoding: 'utf8',
    timeout: 50_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^cleave serve \[options\]/);
});
