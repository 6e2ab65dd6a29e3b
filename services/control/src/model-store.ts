// Bundles in the NATS Object Store: one object per file, `NAME/VERSION/FILE` (manifest.json,
// each ONNX file the manifest lists, and selftest.json when the bundle has one). Download
// streams each object to a staging folder while hashing it, checks the bytes against the
// object's digest (SHA-256 as the Object Store records it) and against the manifest's sha256,
// and only then moves the folder into place.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPlainFileName, loadBundle, MANIFEST_FILE, type Manifest, parseManifest } from '@cleave/models';
import type { ObjectInfo, ObjectStore } from 'nats';
import { ControlError } from './connection.js';

export const SELF_TEST_OBJECT = 'selftest.json';

export const objectName = (name: string, version: string, file: string) => `${name}/${version}/${file}`;

/** A bundle the rollout refuses before loading it; `step` says which check failed. */
export class BundleTransferError extends Error {
  override name = 'BundleTransferError';
  readonly step: 'download' | 'digest' | 'sha256';
  constructor(step: BundleTransferError['step'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.step = step;
  }
}

export interface PushOptions {
  /** Check every file's sha256 against the manifest before pushing (default true). */
  verify?: boolean;
  /** Replace objects of the same NAME/VERSION (versions are otherwise immutable). */
  force?: boolean;
  /** A self-test document to store as selftest.json when the folder has none. */
  selfTest?: unknown;
}

export interface PushedBundle {
  name: string;
  version: string;
  objects: Array<{ name: string; size: number; digest: string }>;
}

export async function pushBundle(
  os: ObjectStore,
  dir: string,
  options: PushOptions = {},
): Promise<PushedBundle> {
  const manifestText = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  const manifest = parseManifest(manifestText, join(dir, MANIFEST_FILE));
  if (options.verify !== false) await loadBundle(dir);
  const { name, version } = manifest;
  if (!options.force && (await os.info(objectName(name, version, MANIFEST_FILE))) !== null) {
    throw new ControlError(
      `${name}@${version} is already in the object store (versions are immutable; --force replaces)`,
    );
  }
  const files: Array<[string, Uint8Array]> = [];
  for (const f of manifest.files) files.push([f.path, await readFile(join(dir, f.path))]);
  let selfTest: Uint8Array | undefined;
  try {
    selfTest = await readFile(join(dir, SELF_TEST_OBJECT));
  } catch {
    if (options.selfTest !== undefined) selfTest = new TextEncoder().encode(JSON.stringify(options.selfTest));
  }
  if (selfTest) files.push([SELF_TEST_OBJECT, selfTest]);
  // The manifest last: its presence marks the bundle complete.
  files.push([MANIFEST_FILE, new TextEncoder().encode(manifestText)]);
  const objects = [];
  for (const [file, data] of files) {
    const info = await os.putBlob(
      { name: objectName(name, version, file), description: `${name}@${version} ${file}` },
      data,
    );
    objects.push({ name: info.name, size: info.size, digest: info.digest });
  }
  return { name, version, objects };
}

/** Bundles in the store: NAME@VERSION with their total size, complete ones only. */
export async function listStoredBundles(
  os: ObjectStore,
): Promise<Array<{ ref: string; bytes: number; files: number }>> {
  const by = new Map<string, { bytes: number; files: number; complete: boolean }>();
  for (const info of await os.list()) {
    const parts = info.name.split('/');
    if (parts.length !== 3 || info.deleted) continue;
    const ref = `${parts[0]}@${parts[1]}`;
    const e = by.get(ref) ?? { bytes: 0, files: 0, complete: false };
    e.bytes += info.size;
    e.files++;
    if (parts[2] === MANIFEST_FILE) e.complete = true;
    by.set(ref, e);
  }
  return [...by.entries()]
    .filter(([, e]) => e.complete)
    .map(([ref, e]) => ({ ref, bytes: e.bytes, files: e.files }))
    .sort((a, b) => a.ref.localeCompare(b.ref));
}

/** The digest the Object Store records for these bytes: `SHA-256=` + base64url (padded). */
export function objectDigestOf(sha256: Buffer): string {
  const b64 = sha256.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return `SHA-256=${b64}`;
}

/** Streams one object to `path`, returning its sha256; checks the object's digest and size. */
async function fetchObject(os: ObjectStore, info: ObjectInfo, path: string): Promise<Buffer> {
  const result = await os.get(info.name);
  if (!result) throw new BundleTransferError('download', `${info.name}: gone from the object store`);
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  let size = 0;
  try {
    const reader = result.data.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      size += value.byteLength;
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  } catch (cause) {
    throw new BundleTransferError('download', `${info.name}: ${(cause as Error).message}`, { cause });
  } finally {
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  const streamError = await result.error;
  if (streamError) throw new BundleTransferError('download', `${info.name}: ${streamError.message}`);
  const digest = hash.digest();
  const expected = info.digest.replace(/^sha-256=/i, 'SHA-256=');
  if (size !== info.size || objectDigestOf(digest) !== expected) {
    throw new BundleTransferError(
      'digest',
      `${info.name}: ${size} bytes with digest ${objectDigestOf(digest)}, the object store recorded ${info.size} bytes with ${info.digest}`,
    );
  }
  return digest;
}

/**
 * Downloads NAME@VERSION into `root/NAME/VERSION` (replacing an earlier download) after checking
 * every object's digest and every file's sha256 and size against the manifest.
 */
export async function downloadBundle(
  os: ObjectStore,
  ref: { name: string; version: string },
  root: string,
): Promise<{ dir: string; manifest: Manifest }> {
  const manifestInfo = await os.info(objectName(ref.name, ref.version, MANIFEST_FILE));
  if (!manifestInfo || manifestInfo.deleted)
    throw new BundleTransferError('download', `${ref.name}@${ref.version} is not in the object store`);
  const staging = join(root, `.incoming-${ref.name}-${ref.version}-${randomBytes(4).toString('hex')}`);
  await mkdir(staging, { recursive: true });
  try {
    await fetchObject(os, manifestInfo, join(staging, MANIFEST_FILE));
    const manifest = parseManifest(await readFile(join(staging, MANIFEST_FILE), 'utf8'), manifestInfo.name);
    if (manifest.name !== ref.name || manifest.version !== ref.version) {
      throw new BundleTransferError(
        'download',
        `${manifestInfo.name} describes ${manifest.name}@${manifest.version}`,
      );
    }
    for (const f of manifest.files) {
      const bad = checkPlainFileName(f.path);
      if (bad) throw new BundleTransferError('download', `manifest file "${f.path}": ${bad}`);
      const info = await os.info(objectName(ref.name, ref.version, f.path));
      if (!info || info.deleted)
        throw new BundleTransferError('download', `${f.path}: listed but not in the object store`);
      const sha = (await fetchObject(os, info, join(staging, f.path))).toString('hex');
      if (sha !== f.sha256 || (await stat(join(staging, f.path))).size !== f.bytes) {
        throw new BundleTransferError(
          'sha256',
          `${f.path}: sha256 ${sha} does not match the manifest's ${f.sha256} (${f.role})`,
        );
      }
    }
    const selfTest = await os.info(objectName(ref.name, ref.version, SELF_TEST_OBJECT));
    if (selfTest && !selfTest.deleted) await fetchObject(os, selfTest, join(staging, SELF_TEST_OBJECT));
    const dir = join(root, ref.name, ref.version);
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(root, ref.name), { recursive: true });
    await rename(staging, dir);
    return { dir, manifest };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
