import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCleaveProto } from '@cleave/wire';
import { countingDeserializer } from './offload-channel.js';
import { inferRequestWireBytes } from './wire-size.js';

describe('agent - wire bytes', () => {
  it('agent - the counted size equals what grpc-js serializes, plus the 5-byte prefix', {
    timeout: 5000,
  }, () => {
    const serialize = loadCleaveProto().cleave.v1.SplitInference.service.InferStream.requestSerialize;
    for (const [id, frameBytes, timeout] of [
      ['1', 60, 2000],
      ['123456', 0, 0],
      ['x'.repeat(200), 300, 1],
      ['42', 20_000, 600_000],
    ] as const) {
      const frame = new Uint8Array(frameBytes).fill(7);
      const bytes = serialize({ request_id: id, frame, timeout_ms: timeout }).length + 5;
      assert.equal(
        inferRequestWireBytes(id, frameBytes, timeout),
        bytes,
        `${id.length}/${frameBytes}/${timeout}`,
      );
    }
    // With trace context in the parameters map, as an offload inside a sampled trace sends it.
    const parameters = {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: `vendor=${'v'.repeat(150)}`,
    };
    const frame = new Uint8Array(80);
    const bytes = serialize({ request_id: '9', frame, timeout_ms: 2000, parameters }).length + 5;
    assert.equal(inferRequestWireBytes('9', 80, 2000, parameters), bytes);
  });
});

describe('agent - received bytes', () => {
  it('agent - the counted size of an answer is the message grpc-js decoded, plus the prefix', {
    timeout: 5000,
  }, () => {
    const proto = loadCleaveProto();
    const method = proto.cleave.v1.SplitInference.service.InferStream;
    const deserialize = countingDeserializer(proto);
    const answers = [
      {
        request_id: '1234',
        result: {
          model_name: 'fmnist-c6b2',
          model_version: '3',
          label: 0,
          score: 0.97,
          logits: Array.from({ length: 10 }, (_, i) => i - 4.5),
          batch_size: 32,
          timing: { queue_us: 812, compute_us: 4021, total_us: 5100 },
        },
      },
      { request_id: '7', error: { code: 'RESOURCE_EXHAUSTED', grpc_code: 8, message: 'queue full' } },
    ];
    for (const answer of answers) {
      const onWire = method.responseSerialize(answer);
      const { res, bytes } = deserialize(onWire);
      assert.equal(bytes, onWire.length + 5);
      assert.equal(res.request_id, answer.request_id);
      // The same figure the agent got before by serializing the decoded answer again.
      assert.equal(bytes, method.responseSerialize(res).length + 5);
    }
  });
});
