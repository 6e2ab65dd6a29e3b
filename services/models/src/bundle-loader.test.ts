import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BundleError, type BundleErrorCode } from './bundle-error.js';
import { bundleSessionModels, listBundles, loadBundle, sha256File } from './bundle-loader.js';
import { writeFixtureBundle } from './testing/bundle-fixture.js';

const opts = { timeout: 20_000 };
let root: string;
let count = 0;

/** A fresh fixture bundle in its own folder. */
async function freshBundle(): Promise<string> {
  const dir = join(root, `bundle-${count++}`);
  await writeFixtureBundle(dir);
  return dir;
}

async function refusal(promise: Promise<unknown>, code: BundleErrorCode): Promise<BundleError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BundleError, `expected BundleError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail('bundle was accepted');
}

describe('bundle loader', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cleave-bundles-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('bundle loader - loads and verifies a bundle', opts, async () => {
    const dir = await freshBundle();
    const bundle = await loadBundle(dir);
    assert.equal(bundle.dir, dir);
    assert.equal(bundle.verified, true);
    assert.deepEqual(Object.keys(bundle.files).sort(), ['dual-a', 'dual-b', 'full', 'head', 'tail']);
    assert.equal(bundle.files.head.path, join(dir, 'head.onnx'));
    assert.equal(bundle.files.head.sha256, await sha256File(join(dir, 'head.onnx')));
    // What frames carry: the first 4 bytes of the head's sha256.
    assert.equal(bundle.headFingerprint, bundle.files.head.sha256.slice(0, 8));
    assert.equal(bundle.files.tail.spec.role, 'tail');
  });

  it('bundle loader - refuses a file whose bytes changed, naming the file', opts, async () => {
    const dir = await freshBundle();
    const tail = join(dir, 'tail.onnx');
    const bytes = await readFile(tail);
    bytes.writeUInt8(bytes.readUInt8(0) ^ 0xff, 0); // same size, different content
    await writeFile(tail, bytes);
    const error = await refusal(loadBundle(dir), 'HASH_MISMATCH');
    assert.equal(error.file, tail);
    assert.equal(error.field, 'files[1].sha256');
    assert.ok(error.message.startsWith(`${tail}: files[1].sha256: sha256 is `), error.message);
  });

  it('bundle loader - refuses a file whose size changed', opts, async () => {
    const dir = await freshBundle();
    await appendFile(join(dir, 'full.onnx'), 'x');
    const error = await refusal(loadBundle(dir), 'HASH_MISMATCH');
    assert.equal(error.field, 'files[2].bytes');
  });

  it('bundle loader - skips hashing with verify: false', opts, async () => {
    const dir = await freshBundle();
    await appendFile(join(dir, 'full.onnx'), 'x');
    const bundle = await loadBundle(dir, { verify: false });
    assert.equal(bundle.verified, false);
    assert.equal(bundleSessionModels(bundle, { roles: ['full'] })[0]?.sha256, undefined);
  });

  it('bundle loader - refuses a missing file, naming it', opts, async () => {
    const dir = await freshBundle();
    await unlink(join(dir, 'dual-a.onnx'));
    const error = await refusal(loadBundle(dir, { verify: false }), 'FILE_MISSING');
    assert.equal(error.file, join(dir, 'dual-a.onnx'));
    assert.equal(error.field, 'files[3].path');
  });

  it('bundle loader - refuses a folder without manifest.json', opts, async () => {
    const dir = join(root, 'empty');
    await mkdir(dir);
    const error = await refusal(loadBundle(dir), 'MANIFEST_MISSING');
    assert.equal(error.file, join(dir, 'manifest.json'));
  });

  it('bundle loader - refuses a manifest that breaks the schema, naming file and field', opts, async () => {
    const dir = await freshBundle();
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    manifest.bottleneck.bits = 12;
    await writeFile(path, JSON.stringify(manifest));
    const error = await refusal(loadBundle(dir), 'MANIFEST_INVALID');
    assert.equal(error.message, `${path}: bottleneck.bits: expected integer 1..8`);
  });

  it('bundle loader - refuses a symlink that leads out of the folder', opts, async () => {
    const dir = await freshBundle();
    const outside = join(root, 'outside.onnx');
    await writeFile(outside, await readFile(join(dir, 'tail.onnx')));
    await unlink(join(dir, 'tail.onnx'));
    await symlink(outside, join(dir, 'tail.onnx'));
    const error = await refusal(loadBundle(dir), 'PATH_ESCAPE');
    assert.equal(error.field, 'files[1].path');
  });

  it('bundle loader - lists the subfolders that hold a manifest', opts, async () => {
    const models = join(root, 'models');
    await writeFixtureBundle(join(models, 'b-model'));
    await writeFixtureBundle(join(models, 'a-model'));
    await mkdir(join(models, 'no-manifest'));
    await writeFile(join(models, 'stray.txt'), 'x');
    assert.deepEqual(await listBundles(models), [join(models, 'a-model'), join(models, 'b-model')]);
  });

  it('bundle loader - gives a session pool its models, with hashes when verified', opts, async () => {
    const bundle = await loadBundle(await freshBundle());
    const models = bundleSessionModels(bundle, { roles: ['head', 'tail'], keyPrefix: 'fixture/' });
    assert.deepEqual(models, [
      { key: 'fixture/head', path: bundle.files.head.path, sha256: bundle.files.head.sha256 },
      { key: 'fixture/tail', path: bundle.files.tail.path, sha256: bundle.files.tail.sha256 },
    ]);
    assert.throws(() =>
      bundleSessionModels(
        { ...bundle, files: { head: bundle.files.head, tail: bundle.files.tail } },
        { roles: ['full'] },
      ),
    );
  });
});
