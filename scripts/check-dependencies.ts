// `npm run check`'s dependency rules, over every workspace's own files:
//  1. each package its files import is declared in its package.json (dependencies or
//     devDependencies), and each declared package is imported by some file of it;
//  2. no file under services/ imports @cleave/edge-agent or @cleave/cloud-server (the libraries sit
//     below the agent and the server; DESIGN.md's layering).
// madge follows relative imports only, so it cannot see either rule. Exits 1 with one line per
// finding. A declared package no file imports may be kept by listing it in the package.json's
// "cleave": { "unimportedDependencies": { "name": "why" } }, with the reason.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const FORBIDDEN_IN_SERVICES = ['@cleave/edge-agent', '@cleave/cloud-server'];
const SOURCE = /\.(ts|js|mjs|cjs)$/;
// Every way a file names a package: static and dynamic imports, re-exports, require and resolve.
const SPECIFIER =
  /(?:(?<![-'"\w$.])from\s*|\bimport\s*\(\s*|\bimport\s+|\brequire(?:\.resolve)?\s*\(\s*|import\.meta\.resolve\s*\(\s*)(['"])([^'"\n]+)\1/g;

interface Manifest {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  cleave?: { unimportedDependencies?: Record<string, string> };
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Manifest;

function workspaceDirs(): string[] {
  const patterns = readJson(join(root, 'package.json')).workspaces ?? [];
  return patterns.flatMap((p) =>
    p.endsWith('/*') ? readdirSync(join(root, p.slice(0, -2))).map((d) => join(p.slice(0, -2), d)) : [p],
  );
}

/** Source files of a workspace, without node_modules, generated code or nested workspaces. */
function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'generated' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (SOURCE.test(name)) out.push(path);
  }
  return out;
}

/** The package a bare specifier names ('@scope/name/sub' → '@scope/name'); undefined for builtins and paths. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  // A specifier built in a template string (code that writes code) names no package of its own.
  if (specifier.includes('${')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/** Comments out of the way, so an example in a comment is not an import. */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

export function importsOf(text: string): string[] {
  return [...withoutComments(text).matchAll(SPECIFIER)].map((m) => m[2]!);
}

const findings: string[] = [];
for (const dir of workspaceDirs()) {
  const manifestPath = join(root, dir, 'package.json');
  let manifest: Manifest;
  try {
    manifest = readJson(manifestPath);
  } catch {
    continue;
  }
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
  ]);
  const kept = manifest.cleave?.unimportedDependencies ?? {};
  const used = new Map<string, string>();
  for (const file of sourceFiles(join(root, dir))) {
    const rel = relative(root, file);
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const pkg = packageOf(specifier);
      if (pkg === undefined || pkg === manifest.name) continue;
      if (!used.has(pkg)) used.set(pkg, rel);
      if (dir.startsWith('services/') && FORBIDDEN_IN_SERVICES.includes(pkg))
        findings.push(
          `${rel}: imports ${pkg}; a library under services/ never imports the agent or the server`,
        );
    }
  }
  for (const [pkg, file] of used)
    if (!declared.has(pkg) && !pkg.startsWith('@types/'))
      findings.push(`${dir}/package.json: ${pkg} is imported (${file}) but not declared`);
  for (const pkg of declared) {
    // @types/x backs the import of x; it is never imported itself.
    const typed = pkg.startsWith('@types/') && used.has(pkg.slice('@types/'.length).replace('__', '/'));
    if (!used.has(pkg) && !typed && !(pkg in kept))
      findings.push(`${dir}/package.json: ${pkg} is declared but no file of ${dir} imports it`);
  }
}

if (findings.length > 0) {
  process.stderr.write(
    `check-dependencies: ${findings.length} finding(s)\n${findings.map((f) => `  ${f}\n`).join('')}`,
  );
  process.exit(1);
}
process.stdout.write('check-dependencies: every workspace declares exactly what it imports\n');
