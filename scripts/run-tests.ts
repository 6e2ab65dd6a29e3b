// Runs every *.test.ts in the repository with node:test, one child process per file, several
// files at a time, and ends with a per-file time summary so the slow ones are visible. The files
// run compiled, in a copy of the checkout made first (scripts/test-tree.ts): plain `node` on
// each .js, with source maps, so no process pays for a TypeScript loader.
//
//   tsx scripts/run-tests.ts [--unit] [--jobs N] [PATTERN ...]
//
// - `--unit` runs only the tests beside the code (no servers, no training).
// - `--jobs N` (or CLEAVE_TEST_JOBS) files run at once; default: the machine's CPU count.
//   A file whose first lines hold the marker `cleave-test: exclusive` (it trains a model, measures
//   throughput, or loads every core) runs with no other file beside it.
// - The spec reporter in a terminal; TAP on stdout and one JUnit file per test file under
//   test-results/ when CI is set or stdout is not a terminal.
// - Each file is bounded by CLEAVE_TEST_TIMEOUT_MS (default 10 min): one that runs past it fails.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type FileResult, findTests, isExclusive, isLight, runFile, summary } from './test-files.js';
import { buildTestTree } from './test-tree.js';

const root = join(import.meta.dirname, '..');
const unitRoots = ['services', 'edge-agent', 'cloud-server', 'bench', 'cli', 'scripts'];
const integrationRoots = ['test'];

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const jobsAt = args.indexOf('--jobs');
const jobs = Math.max(
  1,
  Number(jobsAt >= 0 ? args[jobsAt + 1] : (process.env.CLEAVE_TEST_JOBS ?? availableParallelism())),
);
const filters = args.filter((a, i) => !a.startsWith('--') && !(jobsAt >= 0 && i === jobsAt + 1));
// The integration files first: they are the long ones, and the quick unit files fill the end.
const roots = unitOnly ? unitRoots : [...integrationRoots, ...unitRoots];
let files = roots.flatMap((r) => findTests(root, r).sort());
if (filters.length > 0) files = files.filter((f) => filters.some((pattern) => f.includes(pattern)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

const ci = process.env.CI === 'true' || !process.stdout.isTTY;
const timeoutMs = Number(process.env.CLEAVE_TEST_TIMEOUT_MS ?? 600_000);
const exclusive = files.filter((f) => isExclusive(join(root, f)));
const light = jobs > 1 ? files.filter((f) => !exclusive.includes(f) && isLight(join(root, f))) : [];
const shared = files.filter((f) => !exclusive.includes(f) && !light.includes(f));
const started = Date.now();
const results: FileResult[] = [];
const built = await buildTestTree(root);
console.log(
  `# test tree: ${built.files} files linked, ${built.compiled} compiled, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

async function pool(queue: string[], width: number): Promise<void> {
  const next = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      results.push(await runFile(root, file, { ci, timeoutMs, tree: built.tree }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, queue.length) }, next));
}

// The exclusive files first, one at a time, then the rest side by side, the light ones in their lane.
await pool([...exclusive], 1);
await Promise.all([pool([...shared], jobs), pool([...light], 1)]);
console.log(summary(results, Date.now() - started, jobs + (light.length > 0 ? 1 : 0)));
// Every file's time, for comparing runs (the summary above shows only the slowest).
mkdirSync(join(root, 'test-results'), { recursive: true });
writeFileSync(
  join(root, 'test-results', 'times.json'),
  `${JSON.stringify(
    results.map(({ file, ok, ms, cpuS }) => ({ file, ok, seconds: ms / 1000, cpuSeconds: cpuS ?? null })),
    null,
    1,
  )}\n`,
);
process.exit(results.every((r) => r.ok) ? 0 : 1);
