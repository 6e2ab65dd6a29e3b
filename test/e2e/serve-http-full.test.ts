// `serveFull`: a bundle's full model over the KServe v2 HTTP endpoints as `<name>:full`, for
// clients that send the input tensor itself. Its answers must equal full.onnx run directly, in the
// JSON and the binary-extension forms, and the tail keeps serving frames beside it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { loadFashionMnist } from '@cleave/dataset';
import { type Bundle, loadBundle } from '@cleave/models';
import * as ort from 'onnxruntime-node';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';

interface InferReply {
  model_name: string;
  model_version: string;
  outputs: Array<{ name: string; datatype: string; shape: number[]; data: number[] }>;
}

const FULL = `${DEFAULT_BUNDLE}:full`;
const N = 6;

describe('serve - full models over KServe v2 HTTP', { timeout: 120_000 }, () => {
  let server: TailServer;
  let plain: TailServer;
  let bundle: Bundle;
  let base: string;
  let input: Float32Array;
  let expected: Float32Array;
  let labels: Uint8Array;

  before(async () => {
    bundle = await loadBundle(join(MODELS_DIR, DEFAULT_BUNDLE));
    const m = bundle.manifest;
    const data = await loadFashionMnist({ split: 'test', limit: N });
    labels = data.labels;
    const { scale, mean, std } = m.input.normalization;
    input = Float32Array.from(data.images, (p) => (p * scale - mean[0]!) / std[0]!);
    const session = await ort.InferenceSession.create(bundle.files.full!.path);
    const spec = bundle.files.full!.spec;
    const out = await session.run({
      [spec.inputs[0]!.name]: new ort.Tensor('float32', input, [N, ...m.input.shape]),
    });
    expected = out[spec.outputs[0]!.name]!.data as Float32Array;
    await session.release();
    const common = {
      modelsDir: MODELS_DIR,
      models: [DEFAULT_BUNDLE],
      port: 0,
      http: { port: 0 },
      workers: 1,
    };
    server = await createTailServer({ ...common, serveFull: true });
    plain = await createTailServer(common);
    base = `http://127.0.0.1:${server.httpPort}`;
  });
  after(async () => {
    await server?.drain();
    await plain?.drain();
  });

  const inputName = () => bundle.files.full!.spec.inputs[0]!.name;
  const shape = () => [N, ...bundle.manifest.input.shape];
  const assertMatches = (reply: InferReply) => {
    assert.equal(reply.model_name, FULL);
    assert.equal(reply.model_version, bundle.manifest.version);
    const logits = reply.outputs.find((o) => o.name === 'logits')!;
    assert.deepEqual(logits.shape, [N, 10]);
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(logits.data[i]! - expected[i]!) < 1e-4);
    const label = reply.outputs.find((o) => o.name === 'label')!;
    const argmax = Array.from({ length: N }, (_, r) => {
      const row = Array.from(expected.subarray(r * 10, r * 10 + 10));
      return row.indexOf(Math.max(...row));
    });
    assert.deepEqual(label.data, argmax);
    // The teacher gets most of these six right (a sanity check that the input is laid out right).
    assert.ok(argmax.filter((l, i) => l === labels[i]).length >= 4, `${argmax} vs ${[...labels]}`);
  };

  it('serve - metadata and readiness of <name>:full', { timeout: 10_000 }, async () => {
    const res = await fetch(`${base}/v2/models/${encodeURIComponent(FULL)}`);
    assert.equal(res.status, 200);
    const md = (await res.json()) as {
      name: string;
      versions: string[];
      inputs: Array<{ name: string; datatype: string; shape: number[] }>;
    };
    assert.equal(md.name, FULL);
    assert.deepEqual(md.versions, [bundle.manifest.version]);
    assert.deepEqual(md.inputs, [{ name: inputName(), datatype: 'FP32', shape: [-1, 1, 28, 28] }]);
    assert.equal((await fetch(`${base}/v2/models/${FULL}/ready`)).status, 200);
    // Without serveFull there is no full model.
    const off = `http://127.0.0.1:${plain.httpPort}`;
    assert.equal((await fetch(`${off}/v2/models/${FULL}`)).status, 404);
    assert.equal((await fetch(`${off}/v2/models/${FULL}/ready`)).status, 404);
  });

  it('serve - JSON infer on <name>:full equals full.onnx run directly', { timeout: 20_000 }, async () => {
    const res = await fetch(`${base}/v2/models/${FULL}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: inputName(), datatype: 'FP32', shape: shape(), data: Array.from(input) }],
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assertMatches((await res.json()) as InferReply);
  });

  it('serve - binary-extension infer on <name>:full gives the same answer', { timeout: 20_000 }, async () => {
    const bytes = Buffer.alloc(input.length * 4);
    for (const [i, v] of input.entries()) bytes.writeFloatLE(v, i * 4);
    const header = JSON.stringify({
      inputs: [
        {
          name: inputName(),
          datatype: 'FP32',
          shape: shape(),
          parameters: { binary_data_size: bytes.length },
        },
      ],
    });
    const res = await fetch(`${base}/v2/models/${FULL}/versions/${bundle.manifest.version}/infer`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(Buffer.byteLength(header)),
      },
      body: Buffer.concat([Buffer.from(header), bytes]),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assertMatches((await res.json()) as InferReply);
  });

  it('serve - a wrong shape, datatype or size is a 400 that says what is expected', {
    timeout: 10_000,
  }, async () => {
    const post = (inputs: unknown[]) =>
      fetch(`${base}/v2/models/${FULL}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs }),
      });
    const bad = [
      [{ name: inputName(), datatype: 'FP32', shape: [1, 28, 28], data: new Array(784).fill(0) }],
      [{ name: inputName(), datatype: 'INT32', shape: [1, 1, 28, 28], data: new Array(784).fill(0) }],
      [{ name: inputName(), datatype: 'FP32', shape: [1, 1, 28, 28], data: new Array(783).fill(0) }],
      [{ name: 'frame', datatype: 'BYTES', shape: [1], data: ['AAAA'] }],
    ];
    for (const inputs of bad) {
      const res = await post(inputs);
      assert.equal(res.status, 400);
      assert.match(
        ((await res.json()) as { error: string }).error,
        /1, 28, 28|FP32|784|takes exactly one input/,
      );
    }
  });
});
