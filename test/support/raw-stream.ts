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
  /** One waiter per request id in flight, so exchanges may overlap. */
  const waiters = new Map<string, () => void>();
  let failure: Error | undefined;
  stream.on('data', (res: InferResponse__Output) => {
    const key = res.request_id || (res.id > 0 ? `#${res.id}` : '');
    if (responses.has(key)) duplicates.push(key);
    responses.set(key, res);
    const wake = waiters.get(key);
    waiters.delete(key);
    wake?.();
  });
  stream.on('error', (e: Error) => {
    failure = e;
    for (const wake of waiters.values()) wake();
    waiters.clear();
  });
  return {
    client,
    stream,
    async exchange(requests, timeoutMs) {
      // A compact request (numeric id) is keyed "#ID" in the answers, a legacy one by its request_id.
      const ids = requests.map((r) => (r.request_id as string | undefined) || (r.id ? `#${r.id}` : ''));
      const done = Promise.all(
        ids.map((id) =>
          responses.has(id) || failure ? undefined : new Promise<void>((resolve) => waiters.set(id, resolve)),
        ),
      );
      for (const r of requests) stream.write(r);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([done, timeout]);
      clearTimeout(timer);
      for (const id of ids) waiters.delete(id);
      if (failure) throw failure;
      if (duplicates.length) throw new Error(`duplicate responses for ${duplicates.join(', ')}`);
      const out = new Map<string, InferResponse__Output>();
      for (const id of ids) {
        const res = responses.get(id);
        if (res) out.set(id, res);
        responses.delete(id);
      }
      return out;
    },
    close() {
      stream.cancel();
      client.close();
    },
  };
}
