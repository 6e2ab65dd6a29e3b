// Model versions change under load without a restart: a new version found by folder polling is
// swapped in with no failed request, every answer names the version that served it, a broken
// bundle is refused while the old version keeps serving, and the admin API loads and unloads
// in the explicit mode behind its own token.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeRealFrames } from '@cleave/bench';
import { createTailServer, type RegistryEvent, type TailServer } from '@cleave/cloud-server';
import { loadBundle } from '@cleave/models';
import { loadModelRepositoryProto, type RepositoryIndexResponse__Output } from '@cleave/wire';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { openRawStream } from '../support/raw-stream.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

/** A copy of the shipped bundle under `dir/sub` whose manifest says `version`. */
function copyBundle(dir: string, sub: string, version: string): string {
  const target = join(dir, sub);
  cpSync(join(MODELS_DIR, DEFAULT_BUNDLE), target, { recursive: true });
  const path = join(target, 'manifest.json');
  const json = JSON.parse(readFileSync(path, 'utf8'));
  json.version = version;
  writeFileSync(path, JSON.stringify(json));
  return target;
}

const until = async (what: string, check: () => boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('serve - model versions change without a restart', { timeout: 240_000 }, () => {
  it('serve - a polled new version swaps in under load with no failed request; a broken one is refused', {
    timeout: 180_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-reload-'));
    const events: RegistryEvent[] = [];
    let server: TailServer | undefined;
    try {
      copyBundle(dir, 'v1', '1.0.0');
      const real = await makeRealFrames(await loadBundle(join(dir, 'v1')), 64);
      server = await createTailServer(
        {
          modelsDir: dir,
          port: 0,
          http: { port: 0 },
          workers: 1,
          modelControl: { mode: 'poll', pollIntervalMs: 200 },
        },
        { onRegistryEvent: (e) => events.push(e) },
      );
      const stream = openRawStream(server.port, { 'cleave-model': DEFAULT_BUNDLE });
      const versions: string[] = [];
      const failures: string[] = [];
      let stop = false;
      let sent = 0;
      // Steady load: rounds of 32 requests in flight until told to stop.
      const load = (async () => {
        while (!stop) {
          const batch = Array.from({ length: 32 }, () => {
            const id = String(sent++);
            return {
              request_id: id,
              frame: real.frames[Number(id) % real.frames.length]!,
              timeout_ms: 10_000,
            };
          });
          const answers = await stream.exchange(batch, 20_000);
          for (const r of batch) {
            const res = answers.get(r.request_id);
            if (!res) failures.push(`${r.request_id}: no answer`);
            else if (res.error) failures.push(`${r.request_id}: ${res.error.code} ${res.error.message}`);
            else versions.push(res.result!.model_version);
          }
        }
      })();
      await until('answers from 1.0.0', () => versions.length > 200, 30_000);
      copyBundle(dir, 'v2', '1.0.1');
      await until('answers from 1.0.1', () => versions.at(-1) === '1.0.1', 60_000);
      await until(
        '1.0.0 retired',
        () => events.some((e) => e.type === 'retired' && e.version === '1.0.0'),
        30_000,
      );
      // A newer version whose tail does not match its manifest hash: refused, 1.0.1 keeps serving.
      const broken = copyBundle(dir, 'v3', '1.0.2');
      const tail = join(broken, 'tail.onnx');
      const bytes = readFileSync(tail);
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
      writeFileSync(tail, bytes);
      await until('the refusal', () => events.some((e) => e.type === 'refused' && e.path === 'v3'), 30_000);
      const before = versions.length;
      await until('more answers', () => versions.length > before + 200, 30_000);
      stop = true;
      await load;
      stream.close();

      assert.deepEqual(failures, [], 'no request failed during the swap');
      assert.equal(versions.length, sent, 'every request was answered');
      assert.ok(versions.includes('1.0.0') && versions.includes('1.0.1'));
      assert.ok(!versions.includes('1.0.2'), 'the broken version never served');
      assert.ok(
        versions.slice(-200).every((v) => v === '1.0.1'),
        'after the refusal 1.0.1 still serves',
      );
      const refusal = events.find((e) => e.type === 'refused' && e.path === 'v3');
      assert.match(refusal?.type === 'refused' ? refusal.reason : '', /tail\.onnx|sha256/);
      assert.deepEqual(
        server.registry.models.map((m) => m.version),
        ['1.0.1'],
      );
    } finally {
      await server?.drain();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serve - the admin API loads and unloads in the explicit mode, behind its own token', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleave-admin-'));
    const token = 'test-admin-token-0123456789';
    let server: TailServer | undefined;
    const Repo = loadModelRepositoryProto().cleave.v1.ModelRepository;
    try {
      copyBundle(dir, 'v1', '1.0.0');
      server = await createTailServer({
        modelsDir: dir,
        port: 0,
        http: { port: 0 },
        workers: 1,
        modelControl: { mode: 'explicit' },
        versionPolicy: 'all',
        admin: { token },
      });
      const client = new Repo(`127.0.0.1:${server.port}`, credentials.createInsecure());
      const auth = (t: string) => {
        const md = new Metadata();
        md.set('authorization', `Bearer ${t}`);
        return md;
      };
      type Cb = (e: (Error & { code?: number }) | null, r?: RepositoryIndexResponse__Output) => void;
      const rpc = (fn: (cb: Cb) => void) =>
        new Promise<RepositoryIndexResponse__Output>((resolve, reject) =>
          fn((e, r) => (e ? reject(e) : resolve(r!))),
        );
      await assert.rejects(
        rpc((cb) => client.Index({}, auth('wrong-token-wrong-token'), cb)),
        (e: { code?: number }) => e.code === status.UNAUTHENTICATED,
      );
      await assert.rejects(
        rpc((cb) => client.Index({}, new Metadata(), cb)),
        (e: { code?: number }) => e.code === status.UNAUTHENTICATED,
      );
      copyBundle(dir, 'v2', '1.0.1');
      // Explicit mode: a new folder is not picked up until Load is called.
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(
        server.registry.models.map((m) => m.version),
        ['1.0.0'],
      );
      const loaded = await rpc((cb) => client.Load({ name: DEFAULT_BUNDLE }, auth(token), cb));
      assert.deepEqual(
        loaded.models
          .filter((m) => m.state === 'READY')
          .map((m) => m.version)
          .sort(),
        ['1.0.0', '1.0.1'],
      );
      await rpc((cb) => client.Unload({ name: DEFAULT_BUNDLE, version: '1.0.0' }, auth(token), cb));
      assert.deepEqual(
        server.registry.models.map((m) => m.version),
        ['1.0.1'],
      );
      const index = await rpc((cb) => client.Index({}, auth(token), cb));
      const v1 = index.models.find((m) => m.version === '1.0.0');
      assert.equal(v1?.state, 'UNAVAILABLE');
      await assert.rejects(
        rpc((cb) => client.Load({ name: 'no-such-model' }, auth(token), cb)),
        (e: { code?: number }) => e.code === status.FAILED_PRECONDITION,
      );
      client.close();
    } finally {
      await server?.drain();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
