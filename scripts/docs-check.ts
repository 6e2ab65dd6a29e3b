// `npm run docs:check`: every figure that README.md, training/README.md and docs/ mark is compared
// with the artifact it names (the form is in scripts/docs-figures.ts and docs/benchmarks.md, "Marked figures").
// Prints one line per disagreement as file:line and exits 1 if there is any.
//   tsx scripts/docs-check.ts [FILE.md ...]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkMarks } from './docs-figures.js';

const root = join(import.meta.dirname, '..');

function markdownUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) markdownUnder(path, out);
    else if (name.endsWith('.md')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
// training/README.md holds the model-zoo table too (scripts/model-zoo-report.ts writes both).
const files =
  args.length > 0
    ? args.map((f) => join(process.cwd(), f))
    : [join(root, 'README.md'), join(root, 'training', 'README.md'), ...markdownUnder(join(root, 'docs'))];
const cache = new Map<string, unknown>();
const load = (artifact: string): unknown => {
  if (!cache.has(artifact)) cache.set(artifact, JSON.parse(readFileSync(join(root, artifact), 'utf8')));
  return cache.get(artifact);
};

let checked = 0;
let failed = 0;
const counts: string[] = [];
for (const file of files) {
  const name = relative(root, file);
  const result = checkMarks(readFileSync(file, 'utf8'), load);
  checked += result.checked;
  failed += result.problems.length;
  if (result.checked > 0) counts.push(`${name} ${result.checked}`);
  for (const p of result.problems) console.error(`${name}:${p.line}: ${p.message}`);
}
console.log(`docs:check: ${checked} marked figures (${counts.join(', ') || 'none'}); ${failed} disagree`);
process.exit(failed > 0 ? 1 : 0);
