// Runs every *.test.ts in the repository with node:test through tsx.
// Node 20's --test takes no globs, so the files are found here.
// `--unit` runs only the tests beside the code (no servers, no training).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const unitRoots = ['services', 'edge-agent', 'cloud-server', 'bench', 'cli'];
const integrationRoots = ['test'];

function findTests(dir: string, out: string[]): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));
const roots = unitOnly ? unitRoots : [...unitRoots, ...integrationRoots];
let files = roots.flatMap((r) => findTests(join(root, r), [])).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((pattern) => f.includes(pattern)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

// Every test file is bounded: a file that runs past this is failed, not waited on.
const fileTimeoutMs = Number(process.env.CLEAVE_TEST_TIMEOUT_MS ?? 600_000);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-timeout=${fileTimeoutMs}`, '--test-concurrency=1', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
