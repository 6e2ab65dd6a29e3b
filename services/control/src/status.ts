// Each agent's last configuration and rollout outcome: a key of the status bucket (what
// `cleave fleet status` reads) and a message on `cleave.fleet.status.*` (what watchers see).
import type { KV, NatsConnection } from 'nats';
import { statusKey, statusSubject } from './subjects.js';

export interface ConfigStatus {
  id: string;
  ok: boolean;
  /** The KV key whose change was applied or refused (`fleet`, `group.G`, `agent.ID`, `discovery`). */
  key: string;
  revision: number;
  error: string | null;
  /** The live config in force after the change (the last good one when refused). */
  applied: unknown;
  at: string;
}

export type RolloutState = 'downloading' | 'loading' | 'active' | 'rolled-back';

export interface RolloutStatus {
  id: string;
  group: string | null;
  target: string;
  state: RolloutState;
  /** The step that failed: download, digest, sha256, load, configure, self-test. */
  step: string | null;
  reason: string | null;
  /** NAME@VERSION being served once this status was written. */
  serving: string;
  selfTest: unknown;
  at: string;
}

const enc = new TextEncoder();

/** Publishes and stores a status; NATS being unreachable only loses it (the next one replaces it). */
export async function reportStatus(
  nc: NatsConnection,
  kv: KV,
  what: 'config' | 'rollout',
  status: ConfigStatus | RolloutStatus,
): Promise<void> {
  const data = enc.encode(JSON.stringify(status));
  try {
    if (!nc.isClosed()) nc.publish(statusSubject(what, status.id), data);
    await kv.put(statusKey(what, status.id), data);
  } catch {
    // Best effort: status is state, not a record.
  }
}

export async function readStatuses<T>(kv: KV, what: 'config' | 'rollout'): Promise<T[]> {
  // A key updated while the listing runs can be listed twice: each status is read once.
  const keys = new Set<string>();
  for await (const key of await kv.keys(`${what}.*`)) keys.add(key);
  const out: T[] = [];
  for (const key of [...keys].sort()) {
    const e = await kv.get(key);
    if (e && e.operation === 'PUT' && e.length > 0) out.push(e.json<T>());
  }
  return out;
}
