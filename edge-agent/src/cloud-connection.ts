// The agent's connection to the cloud: one offload client per (cloud settings, model name).
// When a live change or a bundle swap changes either, a new client takes the new requests and the
// old one closes once its requests are answered (or their budget is spent).
import { readFileSync } from 'node:fs';
import type { ResolvedAgentOptions } from './agent-options.js';
import { createOffloadClient, type OffloadClient } from './offload-client.js';

const cloudKey = (o: ResolvedAgentOptions, model: string) => JSON.stringify([o.cloud, model]);

function makeOffload(options: ResolvedAgentOptions, model: string): OffloadClient | undefined {
  return options.cloud.target
    ? // The name only: the server serves the version whose head made the frames, so a rollout
      // that keeps the head (a new tail) reaches agents with no change on the device.
      createOffloadClient({
        ...options.cloud,
        target: options.cloud.target,
        model,
        token:
          options.cloud.token ??
          (options.cloud.tokenFile ? readFileSync(options.cloud.tokenFile, 'utf8').trim() : undefined),
      })
    : undefined;
}

/** Closes a replaced offload client once its requests are answered (or their budget is spent). */
function retireOffload(client: OffloadClient, budgetMs: number): void {
  const until = Date.now() + budgetMs + 1000;
  const tick = () => {
    if (client.inFlight() === 0 || Date.now() > until) client.close();
    else setTimeout(tick, 25).unref();
  };
  tick();
}

export interface CloudConnection {
  /** The client of the current settings; undefined when no cloud target is set. */
  current(): OffloadClient | undefined;
  /** Switches to `o`'s cloud settings for `model`; a no-op when neither changed. */
  use(o: ResolvedAgentOptions, model: string, retireBudgetMs: number): void;
  close(): void;
}

export function createCloudConnection(): CloudConnection {
  let offload: OffloadClient | undefined;
  let offloadKey = '';
  return {
    current: () => offload,
    use(o, model, retireBudgetMs) {
      const key = cloudKey(o, model);
      if (key === offloadKey) return;
      const old = offload;
      offload = makeOffload(o, model);
      offloadKey = key;
      if (old) retireOffload(old, retireBudgetMs);
    },
    close: () => offload?.close(),
  };
}
