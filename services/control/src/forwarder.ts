// Store and forward: records go into the on-disk spool at once (the caller never waits for
// NATS) and one pump publishes them to JetStream in order, a window at a time, each with its
// stable message id. A record leaves the spool only when JetStream acknowledged it (or
// reported it as a duplicate: stored before). On a failure the pump waits and starts again
// from the first unacknowledged record; what got through twice is dropped by the stream's
// deduplication, so every record is stored once.
import type { JetStreamClient } from 'nats';
import type { Spool, SpoolStats } from './spool.js';

export interface ForwarderOptions {
  /** Publishes in flight at once (in order on one connection). */
  window?: number;
  publishTimeoutMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface ForwarderStats extends SpoolStats {
  published: number;
  duplicates: number;
  failures: number;
  lastError: string | null;
}

export interface Forwarder {
  /** Queues a record for `subject`; false when the spool refused it (full, reject-new). */
  publish(subject: string, data: Uint8Array): boolean;
  stats(): ForwarderStats;
  /** Resolves true once the spool is empty, false if `timeoutMs` passed first. */
  drained(timeoutMs: number): Promise<boolean>;
  /** Stops the pump; what is queued stays on disk for the next start. */
  close(): Promise<void>;
}

export function createForwarder(
  js: JetStreamClient,
  spool: Spool,
  options: ForwarderOptions = {},
): Forwarder {
  const window = options.window ?? 32;
  const timeout = options.publishTimeoutMs ?? 2000;
  const retryMin = options.retryMinMs ?? 100;
  const retryMax = options.retryMaxMs ?? 2000;
  const counts = { published: 0, duplicates: 0, failures: 0, lastError: null as string | null };
  let closed = false;
  // `wake` ends the current sleep: any sleep on close, only the idle one on a new record.
  let wake: (() => void) | undefined;
  let idle = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function pump(): Promise<void> {
    let backoff = retryMin;
    while (!closed) {
      const batch = spool.peek(window);
      if (batch.length === 0) {
        idle = true;
        await sleep(60_000);
        idle = false;
        continue;
      }
      const results = await Promise.allSettled(
        batch.map((r) => js.publish(r.subject, r.data, { msgID: r.id, timeout })),
      );
      let through = -1;
      for (const [i, result] of results.entries()) {
        if (result.status === 'rejected') {
          counts.failures++;
          counts.lastError = (result.reason as Error)?.message ?? String(result.reason);
          break;
        }
        if (result.value.duplicate) counts.duplicates++;
        else counts.published++;
        through = batch[i]!.seq;
      }
      if (through >= 0) spool.ackThrough(through);
      if (through === batch[batch.length - 1]!.seq) {
        backoff = retryMin;
      } else {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, retryMax);
      }
    }
  }
  const running = pump();

  return {
    publish(subject, data) {
      const ok = spool.append(subject, data);
      if (ok && idle) wake?.();
      return ok;
    },
    stats: () => ({ ...spool.stats(), ...counts }),
    async drained(timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (spool.stats().queued > 0) {
        if (Date.now() > until) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    },
    async close() {
      closed = true;
      wake?.();
      await running;
      await spool.flush();
    },
  };
}
