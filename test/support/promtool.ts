// `promtool check metrics` (Debian's prometheus package) on a Prometheus text page: parse
// errors and lint problems both fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PROMTOOL = '/usr/bin/promtool';

export function promtoolCheck(text: string): { status: number | null; output: string } {
  assert.ok(
    existsSync(PROMTOOL),
    `${PROMTOOL} is missing: apt-get install -y prometheus (scripts/ensure-system-deps.sh)`,
  );
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}
