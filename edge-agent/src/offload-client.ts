// The agent's side of InferStream: one long-lived bidirectional stream, many requests in
// flight, matched by request_id. Every request settles exactly once: with the cloud's
// answer, an in-band error, a deadline, or the stream's failure.

import { readFileSync } from 'node:fs';
import { startRpcCallTimer } from '@cleave/telemetry';
import {
  type InferRequest,
  type InferResponse__Output,
  type InferResult__Output,
  loadCleaveProto,
  type SplitInferenceClient,
} from '@cleave/wire';
import {
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
  credentials,
  Metadata,
  status,
} from '@grpc/grpc-js';
import { inferRequestWireBytes } from './wire-size.js';

export class OffloadError extends Error {
  override name = 'OffloadError';
  /** gRPC status code of the failure (in-band or call-level). */
  readonly code: status;
  /** 'local': refused before it left the device (link backlog full, client closed, deadline). */
  readonly origin: 'local' | 'remote';
  constructor(code: status, message: string, options?: ErrorOptions & { origin?: 'local' | 'remote' }) {
    super(message, options);
    this.origin = options?.origin ?? 'remote';
    this.code = code;
  }
}

export interface OffloadClientOptions {
  /** host:port, or any grpc-js target such as dns:///tail.example:50051. */
  target: string;
  /** name@version sent once per stream as `cleave-model` metadata, so frames need not name it. */
  model?: string;
  /** Writes allowed to wait for the transport's 'drain'; more fail at once. */
  maxQueuedWrites: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  maxMessageBytes: number;
  /** Extra grpc-js channel options, e.g. 'grpc.use_local_subchannel_pool' for a connection of its own. */
  channelOptions?: ChannelOptions;
  /** TLS to the server (PEM files); with certFile/keyFile, mutual TLS. Absent: plaintext. */
  tls?:
    | { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined }
    | undefined;
  /** Bearer token sent as `authorization` metadata on each stream. */
  token?: string | undefined;
}

function channelCredentials(tls: OffloadClientOptions['tls']): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const read = (f: string | undefined) => (f ? readFileSync(f) : null);
  return credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}

export interface OffloadResult {
  result: InferResult__Output;
  /** Serialized request bytes as sent, including the gRPC length prefix. */
  wireBytes: number;
  /** Serialized response bytes received, including the gRPC length prefix. */
  responseBytes: number;
}

export interface OffloadClient {
  /** `parameters` travel with the request (the trace context of the offload span, for one). */
  infer(frame: Uint8Array, timeoutMs: number, parameters?: Record<string, string>): Promise<OffloadResult>;
  /** Requests written or waiting to be written and not yet answered. */
  inFlight(): number;
  /** Whether a stream is open right now. */
  connected(): boolean;
  close(): void;
}

type Stream = ClientDuplexStream<InferRequest, InferResponse__Output>;

interface Pending {
  stream: Stream;
  wireBytes: number;
  timer: NodeJS.Timeout;
  resolve: (r: OffloadResult) => void;
  reject: (e: OffloadError) => void;
}

export function createOffloadClient(options: OffloadClientOptions): OffloadClient {
  const proto = loadCleaveProto();
  // Received bytes are counted by serializing the answer again with the same codec grpc-js used.
  const serializeResponse = proto.cleave.v1.SplitInference.service.InferStream.responseSerialize;
  const responseSize = (res: InferResponse__Output) => serializeResponse(res).length + 5;
  const client: SplitInferenceClient = new proto.cleave.v1.SplitInference(
    options.target,
    channelCredentials(options.tls),
    {
      'grpc.keepalive_time_ms': options.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_send_message_length': options.maxMessageBytes,
      'grpc.max_receive_message_length': options.maxMessageBytes,
      ...options.channelOptions,
    },
  );
  const pending = new Map<string, Pending>();
  let stream: Stream | undefined;
  let backlog: InferRequest[] = [];
  // Set when write() returned false; cleared on 'drain'. Until then requests wait in backlog.
  let blocked = false;
  let nextId = 1;
  let closed = false;

  function settle(id: string): Pending | undefined {
    const p = pending.get(id);
    if (!p) return undefined;
    pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  function failStream(s: Stream, code: status, message: string): void {
    if (stream === s) {
      stream = undefined;
      backlog = [];
      blocked = false;
    }
    for (const [id, p] of pending) {
      if (p.stream === s) settle(id)?.reject(new OffloadError(code, message));
    }
  }

  function flush(s: Stream): void {
    if (stream !== s) return;
    blocked = false;
    while (backlog.length > 0 && !blocked) {
      const req = backlog.shift()!;
      if (!pending.has(req.request_id as string)) continue; // timed out while waiting
      blocked = !s.write(req);
    }
  }

  function openStream(): Stream {
    if (stream) return stream;
    const metadata = new Metadata();
    if (options.model) metadata.set('cleave-model', options.model);
    if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
    const s: Stream = client.InferStream(metadata);
    // rpc.client.call.duration measures the whole call: this stream, from open to its end.
    const [host, port] = options.target.replace(/^dns:\/*/, '').split(':');
    const call = startRpcCallTimer('client', {
      method: 'cleave.v1.SplitInference/InferStream',
      ...(host ? { serverAddress: host } : {}),
      ...(port ? { serverPort: Number(port) } : {}),
    });
    s.on('status', (st: { code: number }) => call.end(st.code));
    s.on('data', (res: InferResponse__Output) => {
      const p = settle(res.request_id);
      if (!p) return; // already timed out: the late answer is dropped
      if (res.result)
        p.resolve({ result: res.result, wireBytes: p.wireBytes, responseBytes: responseSize(res) });
      else {
        const e = res.error;
        p.reject(
          new OffloadError((e?.grpc_code ?? status.UNKNOWN) as status, e?.message ?? 'empty response'),
        );
      }
    });
    s.on('error', (err: Error & { code?: number; details?: string }) => {
      failStream(s, (err.code ?? status.UNAVAILABLE) as status, err.details || err.message);
    });
    s.on('end', () => failStream(s, status.UNAVAILABLE, 'stream ended by the server'));
    s.on('drain', () => flush(s));
    stream = s;
    return s;
  }

  return {
    infer(frame, timeoutMs, parameters = {}) {
      const local = { origin: 'local' } as const;
      if (closed)
        return Promise.reject(new OffloadError(status.CANCELLED, 'offload client is closed', local));
      if (backlog.length >= options.maxQueuedWrites) {
        return Promise.reject(
          new OffloadError(
            status.RESOURCE_EXHAUSTED,
            `${backlog.length} offloads already wait for the link`,
            local,
          ),
        );
      }
      const id = String(nextId++);
      const s = openStream();
      const req: InferRequest = { request_id: id, frame, timeout_ms: timeoutMs, parameters };
      const wireBytes = inferRequestWireBytes(id, frame.byteLength, timeoutMs, parameters);
      return new Promise<OffloadResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          settle(id)?.reject(
            new OffloadError(status.DEADLINE_EXCEEDED, `no answer within ${timeoutMs} ms`, local),
          );
        }, timeoutMs);
        pending.set(id, { stream: s, wireBytes, timer, resolve, reject });
        if (blocked || backlog.length > 0) backlog.push(req);
        else blocked = !s.write(req);
      });
    },
    inFlight: () => pending.size,
    connected: () => stream !== undefined,
    close() {
      closed = true;
      const s = stream;
      if (s) {
        failStream(s, status.CANCELLED, 'offload client closed');
        s.cancel();
      }
      client.close();
    },
  };
}
