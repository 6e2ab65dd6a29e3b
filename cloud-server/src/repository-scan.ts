// What the model folder holds: one bundle per folder, either `MODELS/NAME/manifest.json` or
// Triton-style `MODELS/NAME/VERSION/manifest.json`. Name and version come from the manifest.
// A scan reads manifests only; hashes are verified when a version is loaded.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface RepositoryEntry {
  dir: string;
  /** `dir` relative to the model folder. */
  path: string;
  name?: string;
  version?: string;
  /** Why the folder is not a usable bundle, when it is not. */
  error?: string;
  /** Changes when any file of the bundle changes (size or mtime): a reload is due. */
  signature: string;
}

const MANIFEST = 'manifest.json';

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function signatureOf(dir: string): Promise<string> {
  const names = (await readdir(dir)).sort();
  const parts = await Promise.all(
    names.map(async (n) => {
      const s = await stat(join(dir, n)).catch(() => undefined);
      return s?.isFile() ? `${n}:${s.size}:${s.mtimeMs}` : '';
    }),
  );
  return parts.filter(Boolean).join('|');
}

async function entryOf(modelsDir: string, dir: string): Promise<RepositoryEntry> {
  const path = relative(modelsDir, dir);
  const signature = await signatureOf(dir).catch(() => '');
  try {
    const json = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as {
      name?: unknown;
      version?: unknown;
    };
    if (typeof json.name !== 'string' || typeof json.version !== 'string') {
      return { dir, path, signature, error: `${MANIFEST}: name and version must be strings` };
    }
    return { dir, path, signature, name: json.name, version: json.version };
  } catch (error) {
    return { dir, path, signature, error: `${MANIFEST}: ${(error as Error).message}` };
  }
}

/** Every bundle folder under `modelsDir`, sorted by path. Unreadable folders are skipped. */
export async function scanRepository(modelsDir: string): Promise<RepositoryEntry[]> {
  const dirs: string[] = [];
  const top = await readdir(modelsDir, { withFileTypes: true });
  for (const entry of top.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    const dir = join(modelsDir, entry.name);
    if (await isFile(join(dir, MANIFEST))) {
      dirs.push(dir);
      continue;
    }
    const inner = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const sub of inner.sort((a, b) => a.name.localeCompare(b.name))) {
      if ((sub.isDirectory() || sub.isSymbolicLink()) && (await isFile(join(dir, sub.name, MANIFEST)))) {
        dirs.push(join(dir, sub.name));
      }
    }
  }
  return Promise.all(dirs.map((dir) => entryOf(modelsDir, dir)));
}
