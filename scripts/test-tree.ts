// The suite runs on a compiled copy of the checkout, made once per run: under tsx every test
// file and every `cleave` it starts paid for the TypeScript loader (its module hooks run on a
// second thread, one round trip per module), about 1 CPU-s per process before any test ran;
// the suite starts some 250 such processes on 2 cores. The copy is test-results/tree:
//
// - the checkout's files as hard links (nothing is copied; a test that wrote to a tracked file
//   would change the checkout, as it would without the copy), package.json files as copies;
// - each .ts compiled to the .js beside it by release-js.ts, the same type stripping a release
//   gets (and what tsx does per module), the packages' exports pointed at the .js; the .ts stay,
//   for the tests that start `tsx` on one on purpose;
// - cli/bin/cleave.js the release's launcher: the CLI the tests start is the compiled one; the
//   checkout's own (tsx) launcher stays as cli/bin/cleave-tsx.js, for cli/bin/launcher.test.ts;
// - node_modules a folder of links to the checkout's, with @cleave/* pointing into the copy;
// - test-artifacts a link to the checkout's, so screenshots land where the docs say.
//
// Tests find the repository from their own location (import.meta.dirname), so inside the copy
// they find the copy. git still answers there: the copy lies inside the work tree.
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { compileReleaseTree } from './release-js.js';

/** Where the copy goes, under the ignored test-results folder. */
export const testTreeOf = (root: string) => join(root, 'test-results', 'tree');

// Not copied: the copy itself, build and test outputs, caches, and what is linked instead.
const SKIP = new Set([
  '.git',
  'node_modules',
  'test-results',
  'test-artifacts',
  'bench-results',
  '.cache',
  '__pycache__',
]);

function mirror(from: string, to: string, stats: { files: number }): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) mirror(src, dst, stats);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (entry.isFile()) {
      if (entry.name.endsWith('.js') && existsSync(src.replace(/\.js$/, '.ts'))) {
        // The compiled .js would be written through the link, into the checkout.
        throw new Error(`${src} sits beside its .ts: the test tree would overwrite it`);
      }
      if (entry.name === 'package.json') copyFileSync(src, dst);
      else linkSync(src, dst);
      stats.files++;
    }
  }
}

/** node_modules of links to the checkout's packages, the workspaces' own links aimed at the copy. */
function linkModules(root: string, tree: string): void {
  const from = join(root, 'node_modules');
  const to = join(tree, 'node_modules');
  mkdirSync(to);
  for (const name of readdirSync(from)) {
    if (name === '@cleave') {
      // Relative links (../../services/codec), so the same link text lands in the copy.
      mkdirSync(join(to, name));
      for (const pkg of readdirSync(join(from, name))) {
        symlinkSync(readlinkSync(join(from, name, pkg)), join(to, name, pkg));
      }
    } else symlinkSync(join(from, name), join(to, name));
  }
}

/** Builds the copy afresh and returns its path, with how many files it holds and compiled. */
export async function buildTestTree(
  root: string,
): Promise<{ tree: string; files: number; compiled: number }> {
  const tree = testTreeOf(root);
  rmSync(tree, { recursive: true, force: true });
  const stats = { files: 0 };
  mirror(root, tree, stats);
  linkModules(root, tree);
  mkdirSync(join(root, 'test-artifacts'), { recursive: true });
  symlinkSync(join(root, 'test-artifacts'), join(tree, 'test-artifacts'));
  const launcher = join(root, 'cli', 'bin', 'cleave.js');
  if (existsSync(launcher)) linkSync(launcher, join(tree, 'cli', 'bin', 'cleave-tsx.js'));
  const compiled = await compileReleaseTree(tree, process.versions.node, {
    keepSources: true,
    sourceMaps: true,
  });
  return { tree, files: stats.files, compiled };
}

/** The compiled file a test file runs as. */
export const compiledTest = (file: string) => file.replace(/\.ts$/, '.js');
