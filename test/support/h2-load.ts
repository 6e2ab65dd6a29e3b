// A cheap open-loop load generator for InferStream: raw HTTP/2 with pre-encoded gRPC messages,
// many per write, so that on a small machine the load generator does not steal the CPU that the
// server under test needs. It speaks the real protocol (gRPC length-prefixed protobuf over h2);
// only the client library is left out.
import { connect } from 'node:http2';
import { PROTO_ROOT, SPLIT_INFERENCE_PROTO_FILE } from '@cleave/wire';
import protobuf from 'protobufjs';

export interface H2Outcome {
  id: number;
  /** 0 for a result, else the in-band error's gRPC code. */
  code: number;
  latencyMs: number;
}

export interface H2Load {
  /** Sends `count` requests now, in one write; ids continue from the last call. */
  send(count: number): void;
  readonly sent: number;
  readonly outcomes: H2Outcome[];
  /** Resolves once every sent request is answered, or rejects after timeoutMs. */
  settle(timeoutMs: number): Promise<void>;
  /** Stops reading answers (the HTTP/2 window then fills and the server must hold back). */
  pauseReading(): void;
  resumeReading(): void;
  close(): void;
}

export async function openH2Load(options: {
  port: number;
  model: string;
  frames: readonly Uint8Array[];
  timeoutMs: number;
}): Promise<H2Load> {
  const root = await new protobuf.Root().load(`${PROTO_ROOT}/${SPLIT_INFERENCE_PROTO_FILE}`, {
    keepCase: true,
  });
  const Request = root.lookupType('cleave.v1.InferRequest');
  const Response = root.lookupType('cleave.v1.InferResponse');
  const session = connect(`http://127.0.0.1:${options.port}`);
  const stream = session.request({
    ':method': 'POST',
    ':path': '/cleave.v1.SplitInference/InferStream',
    'content-type': 'application/grpc',
    te: 'trailers',
    'cleave-model': options.model,
  });
  const sentAt: number[] = [];
  const outcomes: H2Outcome[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let failure: Error | undefined;
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 5) {
      const length = pending.readUInt32BE(1);
      if (pending.length < 5 + length) break;
      const msg = Response.decode(pending.subarray(5, 5 + length)) as unknown as {
        request_id: string;
        error?: { grpc_code: number };
      };
      pending = pending.subarray(5 + length);
      const id = Number(msg.request_id);
      outcomes.push({ id, code: msg.error?.grpc_code ?? 0, latencyMs: performance.now() - sentAt[id]! });
    }
  });
  stream.on('error', (e: Error) => {
    failure = e;
  });
  session.on('error', (e: Error) => {
    failure = e;
  });
  const encoded = (id: number) => {
    const body = Request.encode(
      Request.create({
        request_id: String(id),
        frame: options.frames[id % options.frames.length],
        timeout_ms: options.timeoutMs,
      }),
    ).finish();
    const framed = Buffer.alloc(5 + body.length);
    framed.writeUInt32BE(body.length, 1);
    framed.set(body, 5);
    return framed;
  };
  return {
    send(count) {
      const parts: Buffer[] = [];
      const now = performance.now();
      for (let k = 0; k < count; k++) {
        sentAt.push(now);
        parts.push(encoded(sentAt.length - 1));
      }
      stream.write(Buffer.concat(parts));
    },
    get sent() {
      return sentAt.length;
    },
    outcomes,
    async settle(timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (outcomes.length < sentAt.length) {
        if (failure) throw failure;
        if (Date.now() > end) throw new Error(`${sentAt.length - outcomes.length} requests unanswered`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    pauseReading: () => stream.pause(),
    resumeReading: () => stream.resume(),
    close() {
      stream.close();
      session.close();
    },
  };
}
