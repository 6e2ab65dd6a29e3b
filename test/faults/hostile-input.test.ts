// Bad input gets a clear error and the server keeps serving: well-formed protobuf with hostile
// contents at every SplitInference handler and the admin API — frames declaring huge shapes,
// lengths past the end, empty and oversized payloads, unknown codecs and heads, CRC-valid frames
// from no served head, absurd model names, empty and duplicate request ids, hostile timeouts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeRealFrames, type RealFrames } from '@cleave/bench';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { crc32c } from '@cleave/codec';
import { loadBundle } from '@cleave/models';
import {
  type InferResponse__Output,
  loadCleaveProto,
  loadModelRepositoryProto,
  type SplitInferenceClient,
} from '@cleave/wire';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { openRawStream } from '../support/raw-stream.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

const varint = (v: number) => {
  const out: number[] = [];
  let x = v;
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80);
    x = Math.floor(x / 128);
  }
  out.push(x);
  return out;
};

/** A frame with a valid CRC over whatever header fields it is given. */
function frame(opts: {
  codec?: number;
  bits?: number;
  dims: number[];
  fp?: number[];
  length: number;
  payload?: number;
}) {
  const { codec = 0, bits = 2, dims, fp = [1, 2, 3, 4], length, payload = length } = opts;
  const format = (codec << 5) | ((bits - 1) << 2) | (dims.length - 1);
  const head = [0xc2, format, ...fp, ...dims.flatMap(varint), ...varint(length)];
  const body = Uint8Array.from([...head, ...new Array(payload).fill(0)]);
  const crc = crc32c(body);
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc, true);
  return out;
}

describe('faults - hostile input', { timeout: 120_000 }, () => {
  let server: TailServer;
  let client: SplitInferenceClient;
  let real: RealFrames;

  before(async () => {
    server = await createTailServer({
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { enabled: false },
      workers: 1,
      admin: { token: 'admin-token-0123456789abcdef' },
    });
    client = new (loadCleaveProto().cleave.v1.SplitInference)(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
    real = await makeRealFrames(await loadBundle(join(MODELS_DIR, DEFAULT_BUNDLE)), 4);
  });
  after(async () => {
    client?.close();
    await server?.drain();
  });

  it('faults - hostile frames on the stream each get their own clear error; the stream lives on', {
    timeout: 30_000,
  }, async () => {
    const fp = Array.from(Buffer.from(real.codec.headFingerprint, 'hex'));
    const hostile: Record<string, Uint8Array> = {
      'huge shape': frame({ dims: [4096, 4096, 4096], length: 4 }),
      'dim zero': frame({ dims: [0, 7, 7], length: 4 }),
      'length past the end': frame({ dims: [6, 7, 7], length: 74, payload: 10 }),
      'length over the limit': frame({ dims: [6, 7, 7], length: 2 ** 21, payload: 0 }),
      'empty payload': frame({ dims: [6, 7, 7], length: 0 }),
      'unknown codec': frame({ codec: 7, dims: [6, 7, 7], length: 74 }),
      'no served head': frame({ dims: [6, 7, 7], length: 74 }),
      'served head, wrong shape': frame({ dims: [6, 7, 8], fp, length: 84 }),
      'served head, wrong bits': frame({ bits: 8, dims: [6, 7, 7], fp, length: 294 }),
      'empty frame': new Uint8Array(0),
    };
    const stream = openRawStream(server.port, { 'cleave-model': DEFAULT_BUNDLE });
    const unnamed = openRawStream(server.port);
    try {
      const names = Object.keys(hostile);
      const answers = await stream.exchange(
        names.map((n, i) => ({ request_id: `h${i}`, frame: hostile[n]!, timeout_ms: 2000 })),
        20_000,
      );
      const codes = names.map((n, i) => [n, answers.get(`h${i}`)?.error?.code] as const);
      for (const [name, code] of codes) {
        assert.ok(code === 'INVALID_ARGUMENT' || code === 'FAILED_PRECONDITION', `${name}: ${code}`);
      }
      const routed = await unnamed.exchange([{ request_id: 'n', frame: hostile['no served head']! }], 10_000);
      assert.equal(routed.get('n')?.error?.code, 'NOT_FOUND');
      // Empty and duplicate ids, an absurd timeout: answered in-band, and real work still flows.
      const more = await stream.exchange(
        [
          { request_id: '', frame: real.frames[0]! },
          { request_id: 'ok', frame: real.frames[1]!, timeout_ms: 4_294_967_295 },
        ],
        10_000,
      );
      assert.equal(more.get('')?.error?.code, 'INVALID_ARGUMENT');
      assert.ok(more.get('ok')?.result, 'the stream still serves');
    } finally {
      stream.close();
      unnamed.close();
    }
  });

  it('faults - unary calls and metadata with hostile names and frames', { timeout: 30_000 }, async () => {
    type Cb<T> = (e: (Error & { code?: number }) | null, r?: T) => void;
    const call = <T>(fn: (cb: Cb<T>) => void) =>
      new Promise<T>((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r as T))));
    const md = (name: string) => {
      const m = new Metadata();
      m.set('cleave-model', name);
      return m;
    };
    const refused = (code: number) => (e: { code?: number }) => e.code === code;
    await assert.rejects(
      call<InferResponse__Output>((cb) =>
        client.Infer({ request_id: '1', frame: frame({ dims: [4096, 4096], length: 4 }) }, cb),
      ),
      refused(status.INVALID_ARGUMENT),
    );
    for (const name of ['x'.repeat(10_000), '../../etc/passwd', '@', 'fmnist-c6b2@99.99.99']) {
      await assert.rejects(
        call<InferResponse__Output>((cb) =>
          client.Infer({ request_id: '1', frame: real.frames[0]! }, md(name), cb),
        ),
        refused(status.NOT_FOUND),
        name.slice(0, 20),
      );
      await assert.rejects(
        call((cb) => client.GetModelMetadata({ name }, cb)),
        refused(status.NOT_FOUND),
      );
      const ready = await call<{ ready: boolean }>((cb) => client.ModelReady({ name, version: name }, cb));
      assert.equal(ready.ready, false);
    }
    // The admin API with hostile names behind a valid token, and with a hostile token.
    const repo = new (loadModelRepositoryProto().cleave.v1.ModelRepository)(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
    try {
      const auth = new Metadata();
      auth.set('authorization', 'Bearer admin-token-0123456789abcdef');
      await assert.rejects(
        call((cb) => repo.Unload({ name: '../models' }, auth, cb)),
        refused(status.FAILED_PRECONDITION),
      );
      const evil = new Metadata();
      evil.set('authorization', `Bearer ${'a'.repeat(8000)}`);
      await assert.rejects(
        call((cb) => repo.Index({}, evil, cb)),
        refused(status.UNAUTHENTICATED),
      );
    } finally {
      repo.close();
    }
    // Still serving.
    const ok = await call<InferResponse__Output>((cb) =>
      client.Infer({ request_id: 'z', frame: real.frames[2]! }, cb),
    );
    assert.ok(ok.result);
  });
});
