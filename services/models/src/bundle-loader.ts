import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { headFingerprintOf } from '@cleave/codec';
import { BundleError, BundleErrorCode } from './bundle-error.js';
import { type FileRole, type FileSpec, MANIFEST_FILE, type Manifest } from './manifest-schema.js';
import { parseManifest } from './manifest-validator.js';

export interface BundleFile {
  /** Absolute path of the ONNX file. */
  path: string;
  sha256: string;
  spec: FileSpec;
}

export type BundleFiles = { head: BundleFile; tail: BundleFile } & Partial<Record<FileRole, BundleFile>>;

export interface Bundle {
  /** Absolute path of the bundle folder. */
  dir: string;
  manifest: Manifest;
  files: BundleFiles;
  /** The first 8 hex digits (4 bytes) of the head's sha256; frames carry it to pair heads with tails. */
  headFingerprint: string;
  /** Whether every file's size and sha256 were checked on load. */
  verified: boolean;
}

export interface LoadBundleOptions {
  /** Check every file's size and sha256 against the manifest. Default true. */
  verify?: boolean;
}

/** The sha256 of a file, hashed as a stream so large models are never held in memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

async function readManifestText(manifestPath: string): Promise<string> {
  try {
    return await readFile(manifestPath, 'utf8');
  } catch (cause) {
    if (errnoCode(cause) === 'ENOENT' || errnoCode(cause) === 'ENOTDIR') {
      throw new BundleError(
        BundleErrorCode.MANIFEST_MISSING,
        manifestPath,
        'no manifest.json in the bundle folder',
        {
          cause,
        },
      );
    }
    throw cause;
  }
}

/** Checks one listed file: present, a regular file inside the folder, and (if asked) the right bytes. */
async function checkFile(realDir: string, filePath: string, spec: FileSpec, field: string, verify: boolean) {
  let real: string;
  try {
    real = await realpath(filePath);
  } catch (cause) {
    if (errnoCode(cause) !== 'ENOENT') throw cause;
    throw new BundleError(BundleErrorCode.FILE_MISSING, filePath, `listed in the manifest but not found`, {
      field: `${field}.path`,
      cause,
    });
  }
  // A symlink could point anywhere; the bundle must be self-contained.
  if (!real.startsWith(realDir + sep)) {
    throw new BundleError(
      BundleErrorCode.PATH_ESCAPE,
      filePath,
      `resolves outside the bundle folder (${real})`,
      {
        field: `${field}.path`,
      },
    );
  }
  const info = await stat(real);
  if (!info.isFile()) {
    throw new BundleError(BundleErrorCode.FILE_MISSING, filePath, 'not a regular file', {
      field: `${field}.path`,
    });
  }
  if (!verify) return;
  if (info.size !== spec.bytes) {
    throw new BundleError(
      BundleErrorCode.HASH_MISMATCH,
      filePath,
      `file has ${info.size} bytes, manifest says ${spec.bytes}`,
      { field: `${field}.bytes` },
    );
  }
  const actual = await sha256File(real);
  if (actual !== spec.sha256) {
    throw new BundleError(
      BundleErrorCode.HASH_MISMATCH,
      filePath,
      `sha256 is ${actual}, manifest says ${spec.sha256}`,
      { field: `${field}.sha256` },
    );
  }
}

/**
 * Reads `dir/manifest.json`, validates it, and checks every file it lists (sha256 by default).
 * Whether the ONNX files parse is checked when a session pool loads them.
 * @throws BundleError naming the offending file (and field)
 */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<Bundle> {
  const verify = options.verify ?? true;
  const manifestPath = join(dir, MANIFEST_FILE);
  const manifest = parseManifest(await readManifestText(manifestPath), manifestPath);
  const absDir = resolve(dir);
  const realDir = await realpath(absDir);

  const files: Partial<Record<FileRole, BundleFile>> = {};
  // One at a time: hashing is disk-bound, and the first bad file is the one reported.
  for (const [i, spec] of manifest.files.entries()) {
    await checkFile(realDir, join(dir, spec.path), spec, `files[${i}]`, verify);
    files[spec.role] = { path: join(absDir, spec.path), sha256: spec.sha256, spec };
  }
  const { head, tail } = files;
  // The validator guarantees both roles; this narrows the type.
  if (head === undefined || tail === undefined) throw new Error('unreachable: head and tail are validated');
  const headFingerprint = headFingerprintOf(head.sha256);
  return { dir: absDir, manifest, files: { ...files, head, tail }, headFingerprint, verified: verify };
}

/** The subfolders of `modelsDir` that hold a manifest.json, sorted by name. */
export async function listBundles(modelsDir: string): Promise<string[]> {
  const entries = await readdir(modelsDir, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    const dir = join(modelsDir, entry.name);
    const info = await stat(join(dir, MANIFEST_FILE)).catch(() => undefined);
    if (info?.isFile()) found.push(dir);
  }
  return found;
}

/**
 * The model list a session pool needs for some roles of a bundle (all present roles by default),
 * keyed `${keyPrefix}${role}`. For a verified bundle each entry carries its sha256, so the workers
 * load exactly the bytes that were checked.
 */
export function bundleSessionModels(
  bundle: Bundle,
  options: { roles?: readonly FileRole[]; keyPrefix?: string } = {},
): Array<{ key: string; path: string; sha256?: string }> {
  const prefix = options.keyPrefix ?? '';
  const roles = options.roles ?? (Object.keys(bundle.files) as FileRole[]);
  return roles.map((role) => {
    const file = bundle.files[role];
    if (file === undefined) throw new Error(`bundle ${bundle.manifest.name} has no "${role}" file`);
    const key = `${prefix}${role}`;
    return bundle.verified ? { key, path: file.path, sha256: file.sha256 } : { key, path: file.path };
  });
}
