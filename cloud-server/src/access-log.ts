// The access log: one JSON line per answer the server writes, as web servers keep one. Each line
// is written to the file with its own write(2) before the answer goes out, so what a client was
// answered is on disk even when the process is SIGKILLed the next moment. That is the point: an
// audit of "which request ids did this server answer, and how often", across kills and restarts.
// It costs one system call per answer; leave it off where that matters.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { InferResponse, InferResult } from '@cleave/wire';

/** One answer as the log records it. */
export interface AccessEntry {
  /** The request's id on its stream: its request_id, or for the compact form TAG/ID (the agent's
   * `cleave-stream` tag) or #ID when the stream has no tag. */
  id: string;
  /** A retried request: the TAG/ID it had on its first stream. */
  retryOf?: string | undefined;
  res: InferResponse;
  /** The full result behind a compact answer (which names its model only once per stream). */
  result?: InferResult | undefined;
}

export interface AccessLog {
  /** One answer: the call's method, its stream number in this process (0 for unary), its peer. */
  answered(method: 'Infer' | 'InferStream', stream: number, peer: string, entry: AccessEntry): void;
  close(): void;
}

/** Opens `path` for appending ('-' is standard output); undefined when no path is given. */
export function openAccessLog(path: string | undefined): AccessLog | undefined {
  if (!path) return undefined;
  const fd = path === '-' ? 1 : openSync(path, 'a');
  return {
    answered(method, stream, peer, { id, retryOf, res, result }) {
      const r = result ?? res.result;
      const line = {
        t: Date.now(),
        pid: process.pid,
        method,
        stream,
        peer,
        id,
        ...(retryOf ? { retryOf } : {}),
        code: res.error ? (res.error.grpc_code ?? 2) : 0,
        ...(r ? { model: `${r.model_name}@${r.model_version}`, label: r.label, batch: r.batch_size } : {}),
      };
      writeSync(fd, `${JSON.stringify(line)}\n`);
    },
    close() {
      if (fd !== 1) closeSync(fd);
    },
  };
}
