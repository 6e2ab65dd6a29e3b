import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCleaveProto } from '@cleave/wire';
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
      tracestate: 'vendor=' + 'v'.repeat(150),
    };
    const frame = new Uint8Array(80);
    const bytes = serialize({ request_id: '9', frame, timeout_ms: 2000, parameters }).length + 5;
    assert.equal(inferRequestWireBytes('9', 80, 2000, parameters), bytes);
  });
});
