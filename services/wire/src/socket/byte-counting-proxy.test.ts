import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentials, Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  type InferRequest__Output,
  type InferResponse,
  loadCleaveProto,
  type SplitInferenceClient,
} from '../index.js';
import { startByteCountingProxy } from './byte-counting-proxy.js';
import { createHttp2FrameCounter } from './http2-frame-counter.js';

const frameHeader = (length: number, type: number, flags: number, stream: number) =>
  Buffer.from([length >> 16, (length >> 8) & 255, length & 255, type, flags, 0, 0, 0, stream]);

describe('socket - HTTP/2 frame counter', () => {
  it('socket - sorts gRPC messages from framing, across chunk and frame boundaries, padding left out', {
    timeout: 2000,
  }, () => {
    const counter = createHttp2FrameCounter({ client: true });
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
    const settings = frameHeader(6, 4, 0, 0);
    // Two gRPC messages (3 and 10 bytes) in a padded DATA frame, the second spilling into another.
    const m1 = Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]);
    const m2 = Buffer.from([0, 0, 0, 0, 10, ...Array(10).fill(9)]);
    const firstPart = Buffer.concat([m1, m2.subarray(0, 6)]);
    const padded = Buffer.concat([
      frameHeader(1 + firstPart.length + 4, 0, 0x8, 1),
      Buffer.from([4]),
      firstPart,
      Buffer.alloc(4),
    ]);
    const rest = m2.subarray(6);
    const data2 = Buffer.concat([frameHeader(rest.length, 0, 0, 1), rest]);
    const all = Buffer.concat([preface, settings, Buffer.alloc(6), padded, data2]);
    // Fed a byte at a time: the reader keeps its place across any split.
    for (const b of all) counter.push(Uint8Array.of(b));
    const c = counter.counts();
    assert.equal(c.bytes, all.length);
    assert.equal(c.messageBytes, m1.length + m2.length);
    assert.equal(c.messages, 2);
    assert.equal(c.frames, 3);
    assert.equal(c.dataFrames, 2);
    assert.deepEqual(c.framesByType, { SETTINGS: 1, DATA: 2 });
  });
});

describe('socket - byte-counting proxy', () => {
  it('socket - counts every gRPC message of a real InferStream, its HTTP/2 framing and its segments', {
    timeout: 20_000,
  }, async (t) => {
    const proto = loadCleaveProto();
    const server = new Server();
    server.addService(proto.cleave.v1.SplitInference.service, {
      InferStream(call: ServerDuplexStream<InferRequest__Output, InferResponse>) {
        call.on('data', (req: InferRequest__Output) => call.write({ id: req.id, label: 3, score_e4: 9000 }));
        call.on('end', () => call.end());
      },
    });
    const serverPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const proxy = await startByteCountingProxy({ host: '127.0.0.1', port: serverPort });
    const client: SplitInferenceClient = new proto.cleave.v1.SplitInference(
      `127.0.0.1:${proxy.port}`,
      credentials.createInsecure(),
    );
    const method = proto.cleave.v1.SplitInference.service.InferStream;
    try {
      const n = 50;
      const stream = client.InferStream();
      const ended = new Promise((resolve) => stream.on('status', resolve));
      stream.on('error', () => undefined); // the status above reports it
      let answered = 0;
      const done = new Promise<void>((resolve) =>
        stream.on('data', () => {
          if (++answered === n) resolve();
        }),
      );
      let sentBytes = 0;
      let answerBytes = 0;
      for (let id = 1; id <= n; id++) {
        const req = { id, frame: new Uint8Array(60 + (id % 7)).fill(id) };
        sentBytes += method.requestSerialize(req).length + 5;
        answerBytes += method.responseSerialize({ id, label: 3, score_e4: 9000 }).length + 5;
        stream.write(req);
      }
      await done;
      const c = proxy.counts();
      const brief = ({ bytes, messageBytes, http2Bytes, segments, dataSegments }: typeof c.up) => ({
        bytes,
        messageBytes,
        http2Bytes,
        segments,
        dataSegments,
      });
      t.diagnostic(JSON.stringify({ up: brief(c.up), down: brief(c.down) }));
      stream.end();
      await ended;
      assert.equal(c.connections, 1);
      assert.equal(c.up.messages, n);
      assert.equal(c.up.messageBytes, sentBytes);
      assert.equal(c.down.messages, n);
      assert.equal(c.down.messageBytes, answerBytes);
      for (const d of [c.up, c.down]) {
        assert.equal(d.bytes, d.messageBytes + d.http2Bytes);
        assert.ok(d.http2Bytes >= 9 * d.dataFrames, 'a 9-byte header per DATA frame at least');
        assert.ok(d.framesByType.HEADERS! >= 1);
        if (d.segments !== null) {
          assert.ok(d.segments >= 1 && d.dataSegments! <= d.segments);
          assert.equal(d.ipBytes, d.bytes + 40 * d.segments);
        }
      }
    } finally {
      client.close();
      await proxy.close();
      server.forceShutdown();
    }
  });
});
