import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCleaveProto } from '@cleave/wire';
import { countingDeserializer } from './offload-channel.js';
import {
  compactRequestWireBytes,
  inferRequestWireBytes,
  messageShares,
  packTurn,
  socketBytesOf,
} from './wire-size.js';

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

describe('agent - compact wire bytes', () => {
  it('agent - the counted size of a compact request equals what grpc-js serializes, plus the prefix', {
    timeout: 5000,
  }, () => {
    const serialize = loadCleaveProto().cleave.v1.SplitInference.service.InferStream.requestSerialize;
    const trace = new Uint8Array(26).fill(3);
    const cases = [
      { id: 1, frameBytes: 60 },
      { id: 200, frameBytes: 130, timeoutMs: 1234 },
      { id: 70_000, frameBytes: 90, traceBytes: 26, wantLogits: true },
      { id: 5, frameBytes: 80, parameters: { 'cleave-retry-of': 'ab12cd34-1/5' } },
    ];
    for (const c of cases) {
      const req = {
        id: c.id,
        frame: new Uint8Array(c.frameBytes).fill(7),
        ...(c.timeoutMs ? { timeout_ms: c.timeoutMs } : {}),
        ...(c.traceBytes ? { trace } : {}),
        ...(c.wantLogits ? { want_logits: true } : {}),
        ...(c.parameters ? { parameters: c.parameters } : {}),
      };
      assert.equal(compactRequestWireBytes(c), serialize(req).length + 5, JSON.stringify(c));
    }
    // The default case is the frame plus 10 bytes or less: prefix 5, frame tag and length 2, id 3.
    assert.ok(compactRequestWireBytes({ id: 9000, frameBytes: 100 }) <= 100 + 10);
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
      { id: 300, label: 3, score_e4: 9712, server_100us: 48 },
      { id: 1, label: 0, score_e4: 10_000, server_100us: 4, model: 'fmnist-c6b2@3' },
    ];
    for (const answer of answers) {
      const onWire = method.responseSerialize(answer);
      const { res, bytes } = deserialize(onWire);
      assert.equal(bytes, onWire.length + 5);
      assert.equal(res.request_id, answer.request_id ?? '');
      assert.equal(res.id, answer.id ?? 0);
    }
  });
});

describe('agent - bundle bytes', () => {
  const serialize = loadCleaveProto().cleave.v1.SplitInference.service.InferStream.requestSerialize;
  const compact = (id: number, frameBytes: number) => ({ id, frame: new Uint8Array(frameBytes).fill(3) });

  it('agent - the shares of a bundle add up to what grpc-js serializes for it, prefix included', {
    timeout: 5000,
  }, () => {
    for (const frames of [[80, 81], [60, 300, 5, 2000], Array.from({ length: 32 }, (_, i) => 70 + i)]) {
      const reqs = frames.map((f, i) => compact(i + 1, f));
      const alone = reqs.map((r) => compactRequestWireBytes({ id: r.id, frameBytes: r.frame.length }));
      const bundle = serialize({ bundle: reqs }).length + 5;
      const shares = messageShares(alone);
      const sum = shares.reduce((a, s) => a + s.message, 0);
      assert.ok(Math.abs(sum - bundle) < 1e-9, `${frames.length} frames: ${sum} against ${bundle}`);
      // Each pays less than alone; the socket share adds one DATA frame and segment, split.
      assert.ok(shares.every((s, i) => s.message < alone[i]!));
      const socket = shares.reduce((a, s) => a + s.socket, 0);
      assert.ok(Math.abs(socket - socketBytesOf(bundle)) < 1e-9);
    }
    // One request alone pays its own message.
    assert.deepEqual(messageShares([97]), [{ message: 97, socket: socketBytesOf(97) }]);
  });

  it('agent - a turn is packed into bundles of at most 256 requests and 64 KiB; a larger request goes alone', {
    timeout: 5000,
  }, () => {
    const lengths = (parts: number[][]) => parts.map((p) => p.length);
    assert.deepEqual(lengths(packTurn(Array(300).fill(90))), [256, 44]);
    assert.deepEqual(packTurn([100, 70_000, 100, 100]), [[0], [1], [2, 3]]);
    assert.deepEqual(lengths(packTurn(Array(3).fill(30_000))), [2, 1]);
    assert.deepEqual(packTurn([]), []);
    // Every index once, in order.
    assert.deepEqual(
      packTurn(Array(600).fill(500)).flat(),
      Array.from({ length: 600 }, (_, i) => i),
    );
  });
});
