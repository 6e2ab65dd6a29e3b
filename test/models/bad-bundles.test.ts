// Broken bundles are refused with an error that names the file and the field.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BundleError, bundleSessionModels, createSessionPool, loadBundle } from '@cleave/models';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

describe('models - bad bundles are refused', { timeout: 60_000 }, () => {
  let dir: string;
  const manifestPath = () => join(dir, 'manifest.json');
  const readManifest = () => JSON.parse(readFileSync(manifestPath(), 'utf8'));
  const isBundleError =
    (code: string, ...mustName: string[]) =>
    (e: unknown) =>
      e instanceof BundleError && e.code === code && mustName.every((s) => e.message.includes(s));

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'cleave-bad-')), DEFAULT_BUNDLE);
    cpSync(join(MODELS_DIR, DEFAULT_BUNDLE), dir, { recursive: true });
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('models - a corrupted ONNX file fails its hash, naming the file', async () => {
    const head = join(dir, 'head.onnx');
    const bytes = readFileSync(head);
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(head, bytes);
    await assert.rejects(loadBundle(dir), isBundleError('HASH_MISMATCH', 'head.onnx'));
  });

  it('models - a manifest with a wrong hash is refused, naming the file', async () => {
    const m = readManifest();
    m.files.find((f: { role: string }) => f.role === 'tail').sha256 = '0'.repeat(64);
    writeFileSync(manifestPath(), JSON.stringify(m));
    await assert.rejects(loadBundle(dir), isBundleError('HASH_MISMATCH', 'tail.onnx'));
  });

  it('models - a manifest path that escapes its bundle folder is refused', async () => {
    // A real file next to the bundle, with its real hash: only the path is wrong.
    cpSync(join(dir, 'tail.onnx'), join(dir, '..', 'outside.onnx'));
    const m = readManifest();
    m.files.find((f: { role: string }) => f.role === 'tail').path = '../outside.onnx';
    writeFileSync(manifestPath(), JSON.stringify(m));
    await assert.rejects(loadBundle(dir), (e: unknown) => {
      assert.ok(e instanceof BundleError, String(e));
      assert.match(e.message, /files\[1\]\.path: expected a plain file name/);
      return true;
    });
    // A plain name that is a symlink to the same file outside is refused too.
    m.files.find((f: { role: string }) => f.role === 'tail').path = 'tail.onnx';
    writeFileSync(manifestPath(), JSON.stringify(m));
    rmSync(join(dir, 'tail.onnx'));
    symlinkSync(join(dir, '..', 'outside.onnx'), join(dir, 'tail.onnx'));
    await assert.rejects(loadBundle(dir), (e: unknown) => {
      assert.ok(e instanceof BundleError, String(e));
      assert.equal(e.code, 'PATH_ESCAPE');
      assert.match(e.message, /outside the bundle folder/);
      return true;
    });
  });

  it('models - a missing field is refused, naming manifest.json and the field', async () => {
    const m = readManifest();
    delete m.bottleneck.bits;
    writeFileSync(manifestPath(), JSON.stringify(m));
    await assert.rejects(
      loadBundle(dir),
      isBundleError('MANIFEST_INVALID', 'manifest.json', 'bottleneck.bits'),
    );
  });

  it('models - ONNX garbage whose hash matches is refused by the runtime, naming the file', async () => {
    const garbage = Buffer.from('this is not an ONNX model at all');
    writeFileSync(join(dir, 'tail.onnx'), garbage);
    const m = readManifest();
    const tail = m.files.find((f: { role: string }) => f.role === 'tail');
    tail.sha256 = createHash('sha256').update(garbage).digest('hex');
    tail.bytes = garbage.length;
    writeFileSync(manifestPath(), JSON.stringify(m));
    const bundle = await loadBundle(dir);
    const pool = createSessionPool({ models: bundleSessionModels(bundle, { roles: ['tail'] }) });
    await assert.rejects(pool.ready, isBundleError('ONNX_INVALID', 'tail.onnx'));
    await pool.close();
  });
});
