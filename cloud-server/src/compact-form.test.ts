import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type InferRequest__Output, loadCleaveProto } from '@cleave/wire';
import { Metadata } from '@grpc/grpc-js';
import { answerOf, type CompactStreamState, streamDefaultsOf, streamKeyOf } from './compact-form.js';

const result = (over: Record<string, unknown> = {}) => ({
  model_name: 'm',
  model_version: '1',
  label: 3,
  score: 0.97123,
  logits: [0.5, -1, 2.25],
  batch_size: 4,
  timing: { queue_us: 800, compute_us: 3000, total_us: 4321 },
  ...over,
});
const compactReq = (id: number, want = false) =>
  ({
    id,
    request_id: '',
    frame: Buffer.alloc(0),
    timeout_ms: 0,
    parameters: {},
    trace: Buffer.alloc(0),
    want_logits: want,
    bundle: [] as InferRequest__Output[],
  }) as const;

describe('compact form', () => {
  it('compact form - id, label, score_e4, server_100us; the model once per stream and again when it changes', {
    timeout: 2000,
  }, () => {
    const stream: CompactStreamState = { lastModel: undefined, logits: false };
    const first = answerOf(compactReq(1), { result: result() }, stream);
    assert.deepEqual(first, { id: 1, label: 3, score_e4: 9712, server_100us: 44, model: 'm@1' });
    const second = answerOf(compactReq(2), { result: result({ label: 0 }) }, stream);
    // A label 0 is left out: protobufjs writes any field present, zeros included.
    assert.deepEqual(second, { id: 2, score_e4: 9712, server_100us: 44 });
    const reloaded = answerOf(compactReq(3), { result: result({ model_version: '2' }) }, stream);
    assert.equal(reloaded.model, 'm@2');
    const method = loadCleaveProto().cleave.v1.SplitInference.service.InferStream;
    // id 2 B, score 3 B, time 2 B: nothing else on the wire.
    assert.equal(method.responseSerialize(second).length, 2 + 3 + 2);
  });

  it('compact form - logits only when the request or the stream asks; errors keep the id', {
    timeout: 2000,
  }, () => {
    const stream: CompactStreamState = { lastModel: 'm@1', logits: false };
    assert.equal(answerOf(compactReq(1), { result: result() }, stream).logits, undefined);
    assert.deepEqual(answerOf(compactReq(2, true), { result: result() }, stream).logits, [0.5, -1, 2.25]);
    const everyAnswer: CompactStreamState = { lastModel: 'm@1', logits: true };
    assert.deepEqual(answerOf(compactReq(3), { result: result() }, everyAnswer).logits, [0.5, -1, 2.25]);
    const error = { code: 'INVALID_ARGUMENT', grpc_code: 3, message: 'bad' };
    assert.deepEqual(answerOf(compactReq(4), { error }, stream), { id: 4, error });
  });

  it('compact form - a legacy request gets the legacy answer; keys and stream defaults', {
    timeout: 2000,
  }, () => {
    const legacy = { ...compactReq(0), request_id: 'r-1' };
    const r = result();
    assert.deepEqual(answerOf(legacy, { result: r }, { lastModel: undefined, logits: false }), {
      request_id: 'r-1',
      result: r,
    });
    assert.equal(streamKeyOf(legacy), 'r-1');
    assert.equal(streamKeyOf(compactReq(7)), '#7');
    const md = new Metadata();
    md.set('cleave-timeout-ms', '2500');
    md.set('cleave-logits', '1');
    md.set('cleave-stream', 'ab12cd34-2');
    assert.deepEqual(streamDefaultsOf(md), { timeoutMs: 2500, logits: true, tag: 'ab12cd34-2' });
    assert.deepEqual(streamDefaultsOf(new Metadata()), { timeoutMs: 0, logits: false, tag: undefined });
  });
});
