import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createInferError,
  decodeInferRequest,
  encodeInferResponse,
  type InferRequest,
  type InferRequest__Output,
  type InferResponse,
  loadCleaveProto,
} from './index.js';

const method = loadCleaveProto().cleave.v1.SplitInference.service.InferStream;
const viaProtoLoader = (req: InferRequest) => method.requestDeserialize(method.requestSerialize(req));
const lean = (req: InferRequest) => decodeInferRequest(method.requestSerialize(req));

/** The fields the server reads, as plain data, for comparing two decodings. */
function fields(r: InferRequest__Output): unknown {
  return {
    request_id: r.request_id,
    frame: [...r.frame],
    timeout_ms: r.timeout_ms,
    parameters: { ...r.parameters },
    id: r.id,
    trace: [...r.trace],
    want_logits: r.want_logits,
    bundle: r.bundle.map(fields),
  };
}

describe('wire - lean InferRequest decoding', () => {
  it('decodeInferRequest - reads every field as proto-loader does, defaults and bundles included', {
    timeout: 10_000,
  }, () => {
    const frame = Uint8Array.from([0x53, 1, 2, 3, 250]);
    const cases: InferRequest[] = [
      { id: 7, frame },
      {},
      {
        request_id: 'r-1',
        frame,
        timeout_ms: 250,
        parameters: { priority: 'high', 'cleave-retry-of': 'ab-1/3' },
      },
      { id: 300, frame, trace: new Uint8Array(26).fill(9), want_logits: true },
      {
        bundle: [
          { id: 1, frame },
          { id: 2, frame, timeout_ms: 9 },
          { id: 3, frame, want_logits: true },
        ],
      },
    ];
    for (const req of cases)
      assert.deepEqual(fields(lean(req)), fields(viaProtoLoader(req)), JSON.stringify(req));
  });

  it('decodeInferRequest - unset fields answer the defaults InferRequest__Output promises', {
    timeout: 10_000,
  }, () => {
    const r = lean({ id: 1 });
    assert.equal(r.request_id, '');
    assert.ok(Buffer.isBuffer(r.frame) && r.frame.length === 0);
    assert.ok(Buffer.isBuffer(r.trace) && r.trace.length === 0);
    assert.equal(r.timeout_ms, 0);
    assert.equal(r.want_logits, false);
    assert.deepEqual(Object.keys(r.parameters), []);
    assert.equal(r.bundle.length, 0);
    // A frame is a view into the message, not a copy.
    const message = method.requestSerialize({ id: 2, frame: Uint8Array.from([1, 2, 3]) });
    const decoded = decodeInferRequest(message);
    assert.equal(decoded.frame.buffer, message.buffer);
  });

  it('decodeInferRequest - malformed protobuf throws', { timeout: 10_000 }, () => {
    assert.throws(() => decodeInferRequest(Buffer.from([0x12, 0x7f, 0x01])));
  });
});

describe('wire - lean InferResponse encoding', () => {
  it('encodeInferResponse - writes the bytes proto-loader writes, for every form the server answers in', {
    timeout: 10_000,
  }, () => {
    const result = {
      model_name: 'fmnist-c6b2',
      model_version: '1',
      label: 3,
      score: 0.875,
      logits: [0.5, -1.25, 3, 1e-8],
      batch_size: 32,
      timing: { queue_us: 912_345, compute_us: 13_001, total_us: 930_000 },
    };
    const cases: InferResponse[] = [
      {},
      { id: 7, label: 3, score_e4: 8750, server_100us: 9300, model: 'fmnist-c6b2@1' },
      { id: 8, label: 0, score_e4: 9999, server_100us: 1, logits: [0.5, -1.25, 3] },
      { id: 9, error: createInferError(8, 'batch queue full') },
      { request_id: 'r-1', result },
      { request_id: 'r-2', error: createInferError(4, 'deadline passed while queued') },
      { id: 4_000_000_000, server_100us: 0xffffffff },
      {
        bundle: [
          { id: 1, label: 2, score_e4: 5000, server_100us: 12, model: 'm@2' },
          { id: 2, error: createInferError(9, 'no such model') },
          {
            id: 3,
            label: 9,
            score_e4: 10_000,
            server_100us: 65_535,
            logits: Array.from(new Float32Array([0.1, 0.2])),
          },
        ],
      },
    ];
    for (const res of cases) {
      const want = Buffer.from(method.responseSerialize(res));
      assert.deepEqual(encodeInferResponse(res), want, JSON.stringify(res));
    }
  });
});
