// The two ways `cleave bench wire` offloads frames: the agent's own offload client (the compact
// form, frame version 3), and the form agents used before it (a request_id string, the timeout
// and a W3C traceparent on every request, frame version 2, the full InferResult back), which the
// server still serves. The legacy sender is a plain grpc-js stream written for the comparison.
import { randomBytes } from 'node:crypto';
import { encodeFrame, type FeatureFrame } from '@cleave/codec';
import { createOffloadClient } from '@cleave/edge-agent';
import { type InferResponse__Output, loadCleaveProto } from '@cleave/wire';
import { credentials, Metadata } from '@grpc/grpc-js';

export type WireForm = 'compact' | 'legacy';

export interface FrameSender {
  send(frame: Uint8Array): Promise<void>;
  close(): void;
}

const TIMEOUT_MS = 10_000;

/** The agent's offload client; `bundle`: a turn's requests share a message (docs/wire-format.md). */
export function compactSender(target: string, model: string, bundle: boolean): FrameSender {
  const client = createOffloadClient({
    target,
    model,
    bundle,
    timeoutMs: TIMEOUT_MS,
    maxQueuedWrites: 4096,
    keepaliveTimeMs: 30_000,
    keepaliveTimeoutMs: 10_000,
    maxMessageBytes: 4 << 20,
    maxStreamAgeMs: null,
    channelMaxAgeMs: null,
  });
  return {
    send: async (frame) => {
      await client.infer(frame, TIMEOUT_MS);
    },
    close: () => client.close(),
  };
}

/** A version 2 frame of the same fields (the dims written out), as agents sent before version 3. */
export function asVersion2(frame: FeatureFrame): Uint8Array {
  return encodeFrame({ ...frame, version: 2 });
}

export function legacySender(target: string, model: string): FrameSender {
  const proto = loadCleaveProto();
  const client = new proto.cleave.v1.SplitInference(target, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('cleave-model', model);
  const stream = client.InferStream(metadata);
  const waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  stream.on('data', (res: InferResponse__Output) => {
    const w = waiting.get(res.request_id);
    waiting.delete(res.request_id);
    if (res.error) w?.reject(new Error(res.error.message));
    else w?.resolve();
  });
  stream.on('error', (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  });
  let next = 1;
  return {
    send(frame) {
      const id = String(next++);
      // What an agent with a tracing SDK sent on every request: its offload span's traceparent.
      const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        stream.write({ request_id: id, frame, timeout_ms: TIMEOUT_MS, parameters: { traceparent } });
      });
    },
    close() {
      stream.end();
      client.close();
    },
  };
}
