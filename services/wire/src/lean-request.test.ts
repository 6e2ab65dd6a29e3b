import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeInferRequest,
  type InferRequest,
  type InferRequest__Output,
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
