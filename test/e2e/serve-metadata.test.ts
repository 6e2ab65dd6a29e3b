// The calls around inference: health, reflection, model metadata, readiness, unary Infer.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeRealFrames, type RealFrames } from '@cleave/bench';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { loadBundle } from '@cleave/models';
import {
  type InferResponse__Output,
  loadCleaveProto,
  loadHealthPackageDefinition,
  type ModelMetadataResponse__Output,
  type SplitInferenceClient,
} from '@cleave/wire';
import { type Client, credentials, loadPackageDefinition, Metadata, status } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

type Callback<T> = (err: (Error & { code?: number }) | null, res?: T) => void;
const call = <T>(fn: (cb: Callback<T>) => void) =>
  new Promise<T>((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));

describe('serve - metadata, health, reflection, unary Infer', { timeout: 120_000 }, () => {
  let server: TailServer;
  let client: SplitInferenceClient;
  let real: RealFrames;

  before(async () => {
    server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { port: 0 },
      workers: 1,
    });
    client = new (loadCleaveProto().cleave.v1.SplitInference)(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
    real = await makeRealFrames(await loadBundle(join(MODELS_DIR, DEFAULT_BUNDLE)), 16);
  });
  after(async () => {
    client?.close();
    await server?.drain();
  });

  it('serve - health reports SERVING for the server and the service', { timeout: 10_000 }, async () => {
    const pkg = loadPackageDefinition(loadHealthPackageDefinition()) as unknown as {
      grpc: {
        health: {
          v1: { Health: new (t: string, c: ReturnType<typeof credentials.createInsecure>) => Client };
        };
      };
    };
    const health = new pkg.grpc.health.v1.Health(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    ) as Client & {
      check(req: { service: string }, cb: Callback<{ status: string }>): void;
    };
    for (const service of ['', 'cleave.v1.SplitInference', 'liveness', 'readiness']) {
      const res = await call<{ status: string }>((cb) => health.check({ service }, cb));
      assert.equal(res.status, 'SERVING');
    }
    health.close();
  });

  it('serve - reflection lists the SplitInference and health services', { timeout: 10_000 }, async () => {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('@grpc/reflection/package.json'));
    const def = protoLoader.loadSync(join(root, 'build/proto/grpc/reflection/v1/reflection.proto'), {
      keepCase: true,
    });
    const pkg = loadPackageDefinition(def) as unknown as {
      grpc: {
        reflection: {
          v1: {
            ServerReflection: new (
              t: string,
              c: unknown,
            ) => Client & {
              ServerReflectionInfo(): NodeJS.ReadWriteStream & { write(m: unknown): boolean; end(): void };
            };
          };
        };
      };
    };
    const refl = new pkg.grpc.reflection.v1.ServerReflection(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
    const stream = refl.ServerReflectionInfo();
    const names = await new Promise<string[]>((resolve, reject) => {
      stream.on('data', (res: { list_services_response?: { service: Array<{ name: string }> } }) =>
        resolve(res.list_services_response?.service.map((s) => s.name) ?? []),
      );
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    stream.end();
    refl.close();
    assert.ok(names.includes('cleave.v1.SplitInference'), names.join(', '));
    assert.ok(names.includes('grpc.health.v1.Health'), names.join(', '));
  });

  it('serve - metadata, listing and readiness describe the served bundle', { timeout: 10_000 }, async () => {
    const md = await call<ModelMetadataResponse__Output>((cb) =>
      client.GetModelMetadata({ name: DEFAULT_BUNDLE }, cb),
    );
    assert.equal(md.name, DEFAULT_BUNDLE);
    assert.equal(md.labels.length, 10);
    assert.equal(md.head_sha256, real.codec.headSha256);
    assert.equal(md.bottleneck?.bits, real.codec.bits);
    await assert.rejects(
      call((cb) => client.GetModelMetadata({ name: 'nope' }, cb)),
      (e: { code?: number }) => e.code === status.NOT_FOUND,
    );
    const list = await call<{ models: Array<{ name: string }> }>((cb) => client.ListModels({}, cb));
    assert.deepEqual(
      list.models.map((m) => m.name),
      [DEFAULT_BUNDLE],
    );
    assert.equal((await call<{ ready: boolean }>((cb) => client.ServerReady({}, cb))).ready, true);
    assert.equal(
      (await call<{ ready: boolean }>((cb) => client.ModelReady({ name: DEFAULT_BUNDLE }, cb))).ready,
      true,
    );
    assert.equal(
      (await call<{ ready: boolean }>((cb) => client.ModelReady({ name: 'nope' }, cb))).ready,
      false,
    );
  });

  it('serve - unary Infer answers a real frame; bad frames get status codes', {
    timeout: 10_000,
  }, async () => {
    const res = await call<InferResponse__Output>((cb) =>
      client.Infer({ request_id: '1', frame: real.frames[0]! }, cb),
    );
    assert.equal(res.result?.model_name, DEFAULT_BUNDLE);
    assert.equal(res.result?.logits.length, 10);
    await assert.rejects(
      call((cb) => client.Infer({ request_id: '2', frame: new Uint8Array([1, 2, 3]) }, cb)),
      (e: { code?: number }) => e.code === status.INVALID_ARGUMENT,
    );
    // A deadline already passed on arrival is not run.
    await assert.rejects(
      call((cb) =>
        client.Infer(
          { request_id: '3', frame: real.frames[1]! },
          new Metadata(),
          { deadline: Date.now() - 1 },
          cb,
        ),
      ),
      (e: { code?: number }) => e.code === status.DEADLINE_EXCEEDED,
    );
  });
});
