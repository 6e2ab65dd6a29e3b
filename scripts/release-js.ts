// The release tree runs plain JavaScript: pack-edge.ts compiles its TypeScript here, on the
// packing machine with this checkout's esbuild, so a device starts `node` on .js files and never
// compiles anything (no tsx, no esbuild at start: under emulation, or on a slow board, that was
// most of the start). Each .ts file becomes the .js file beside it, one for one (no bundling),
// so every path the code finds from its own location (import.meta.dirname, the session worker,
// proto files, dashboard assets) is where it was. The sources use NodeNext specifiers ('./x.js'),
// which then name the compiled files; the workspaces' package.json exports are pointed at them,
// and cli/bin/cleave.js becomes a launcher without tsx.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

/** cli/bin/cleave.js in a release: the compiled CLI, in this process (signals reach it). */
export const RELEASE_LAUNCHER = `#!/usr/bin/env node
// The release's cleave command: the CLI compiled to JavaScript when the release was packed
// (scripts/release-js.ts), so it starts with no TypeScript loader.
await import('../src/main.js');
`;

/** TypeScript sources under `dir`, without node_modules and declaration files. */
function typeScriptFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) typeScriptFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every package.json of the tree's own packages (the root and its workspaces). */
function packageJsons(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) packageJsons(path, out);
    else if (name === 'package.json') out.push(path);
  }
  return out;
}

/** An exports map (or a string in it) with each './….ts' target renamed to '.js'. */
function toJs(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith('./') ? value.replace(/\.ts$/, '.js') : value;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJs(v)]));
  }
  return value;
}

/** The exports' and main's file targets (patterns with '*' left out). */
function exportTargets(pkg: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!v.includes('*')) out.push(v);
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(pkg.exports);
  walk(pkg.main);
  return out;
}

/**
 * Compiles every .ts file of `tree` (outside node_modules) to .js for Node `nodeVersion` and
 * removes the .ts (unless `keepSources`: the test tree keeps them for the tests that start
 * `tsx` on one), with .js.map files if `sourceMaps`; points the packages' exports and main at the .js files; writes the launcher.
 * Returns how many files were compiled.
 */
export async function compileReleaseTree(
  tree: string,
  nodeVersion: string,
  { keepSources = false, sourceMaps = false }: { keepSources?: boolean; sourceMaps?: boolean } = {},
): Promise<number> {
  const sources = typeScriptFiles(tree);
  // Type stripping only: the sources use erasable syntax (tsconfig's erasableSyntaxOnly), so the
  // output is the same code without its types. Import attributes (JSON modules) are kept.
  await build({
    entryPoints: sources,
    outdir: tree,
    outbase: tree,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: `node${nodeVersion}`,
    // The test tree's stack traces name the .ts lines (a release ships no maps).
    ...(sourceMaps ? { sourcemap: 'linked' as const, sourcesContent: false } : {}),
    logLevel: 'silent',
  });
  if (!keepSources) for (const file of sources) rmSync(file);
  for (const file of packageJsons(tree)) {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    let changed = false;
    for (const field of ['exports', 'main'] as const) {
      if (pkg[field] === undefined) continue;
      const js = toJs(pkg[field]);
      if (JSON.stringify(js) !== JSON.stringify(pkg[field])) {
        pkg[field] = js;
        changed = true;
      }
    }
    if (!changed) continue;
    rmSync(file); // a new file: never a write through a hard link
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
    for (const target of exportTargets(pkg)) {
      if (!existsSync(join(dirname(file), target))) {
        throw new Error(`${relative(tree, file)} exports ${target}, which the release does not have`);
      }
    }
  }
  const launcher = join(tree, 'cli', 'bin', 'cleave.js');
  rmSync(launcher); // a new file, not a write through a hard link to the checkout's
  writeFileSync(launcher, RELEASE_LAUNCHER, { mode: 0o755 });
  return sources.length;
}
