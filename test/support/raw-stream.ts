// A bare InferStream client for tests that need to send hand-made frames and see every
// response, in-band errors included.

import {
  type InferRequest,
  type InferResponse__Output,
  loadCleaveProto,
  type SplitInferenceClient,
} from '@cleave/wire';
import { type ClientDuplexStream, credentials, Metadata } from '@grpc/grpc-js';

export interface RawStream {
  client: SplitInferenceClient;
  stream: ClientDuplexStream<InferRequest, InferResponse__Output>;
  /** Sends requests and resolves with one response per request id (rejects on stream error). */
  exchange(requests: InferRequest[], timeoutMs: number): Promise<Map<string, InferResponse__Output>>;
  close(): void;
}

export function openRawStream(port: number, metadata: Record<string, string> = {}): RawStream {
  const proto = loadCleaveProto();
  const client = new proto.cleave.v1.SplitInference(`127.0.0.1:${port}`, credentials.createInsecure());
  const md = new Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  const stream = client.InferStream(md);
  const responses = new Map<string, InferResponse__Output>();
  const duplicates: string[] = [];
  let waiting: { ids: Set<string>; resolve: () => void } | undefined;
  let failure: Error | undefined;
  stream.on('data', (res: InferResponse__Output) => {
    if (responses.has(res.request_id)) duplicates.push(res.request_id);
    responses.set(res.request_id, res);
    if (waiting && [...waiting.ids].every((id) => responses.has(id))) waiting.resolve();
  });
  stream.on('error', (e: Error) => {
    failure = e;
    waiting?.resolve();
  });
  return {
    client,
    stream,
    async exchange(requests, timeoutMs) {
      const ids = new Set(requests.map((r) => r.request_id as string));
      const done = new Promise<void>((resolve) => {
        waiting = { ids, resolve };
      });
      for (const r of requests) stream.write(r);
      const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
      await Promise.race([done, timer]);
      if (failure) throw failure;
      if (duplicates.length) throw new Error(`duplicate responses for ${duplicates.join(', ')}`);
      return new Map([...responses].filter(([id]) => ids.has(id)));
    },
    close() {
      stream.cancel();
      client.close();
    },
  };
}
