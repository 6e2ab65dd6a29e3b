// The registry: agents and tail servers announce themselves and heartbeat with summary stats.
// The latest record of each member is a key of the registry KV bucket (`agent.ID`,
// `server.ID`; the bucket's TTL clears members that stopped beating), and every announce,
// heartbeat and goodbye is also published on `cleave.fleet.*` for live watchers.
import { hostname } from 'node:os';
import type { KV, KvEntry, NatsConnection } from 'nats';
import { fleetSubject, type MemberKind, memberKey } from './subjects.js';

export interface MemberRecord {
  kind: MemberKind;
  id: string;
  group: string | null;
  /** Device class: an emulated board profile, or the platform. */
  device: string;
  host: string;
  /** Agent: the bundle it serves (NAME@VERSION); server: every model version it serves. */
  versions: string[];
  /** Where to reach it: a server's `grpc` host:port, an agent's local `http`. */
  endpoints: Record<string, string>;
  capabilities: string[];
  ready: boolean;
  startedAt: string;
  lastSeen: string;
  heartbeatMs: number;
  /** Agents: requests, where answers came from, bytes, energy; servers: what they report. */
  stats: Record<string, unknown>;
}

export type MemberDescription = Omit<MemberRecord, 'lastSeen' | 'startedAt' | 'heartbeatMs' | 'host'>;

export interface Member {
  /** Publishes a heartbeat now (also done every heartbeatMs). Never throws. */
  beat(event?: 'announce' | 'heartbeat'): Promise<void>;
  /** Heartbeats that could not be sent (NATS unreachable). */
  failures(): number;
  /** Stops beating and says goodbye (removes the registry key). */
  stop(): Promise<void>;
}

const enc = new TextEncoder();

export function startMember(
  nc: NatsConnection,
  registry: KV,
  describe: () => MemberDescription,
  heartbeatMs: number,
): Member {
  const startedAt = new Date().toISOString();
  const host = hostname();
  let failed = 0;
  let stopped = false;
  let last: MemberDescription | undefined;
  async function beat(event: 'announce' | 'heartbeat' = 'heartbeat'): Promise<void> {
    if (stopped) return;
    try {
      last = describe();
      const record: MemberRecord = {
        ...last,
        host,
        startedAt,
        heartbeatMs,
        lastSeen: new Date().toISOString(),
      };
      const data = enc.encode(JSON.stringify(record));
      if (!nc.isClosed()) nc.publish(fleetSubject(event, record.kind, record.id), data);
      await registry.put(memberKey(record.kind, record.id), data);
    } catch {
      failed++;
    }
  }
  const timer = setInterval(() => void beat(), heartbeatMs);
  timer.unref();
  void beat('announce');
  return {
    beat,
    failures: () => failed,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (!last) return;
      try {
        nc.publish(fleetSubject('bye', last.kind, last.id), enc.encode(JSON.stringify({ id: last.id })));
        await registry.delete(memberKey(last.kind, last.id));
      } catch {
        // Unreachable: the bucket's TTL clears the entry.
      }
    },
  };
}

export function recordOf(entry: KvEntry): MemberRecord | undefined {
  if (entry.operation !== 'PUT' || entry.length === 0) return undefined;
  try {
    return entry.json<MemberRecord>();
  } catch {
    return undefined;
  }
}

/** Every member in the registry, servers first, then by id. */
export async function listMembers(registry: KV): Promise<MemberRecord[]> {
  const keys: string[] = [];
  for await (const key of await registry.keys()) keys.push(key);
  const records = await Promise.all(keys.map(async (k) => registry.get(k)));
  return records
    .flatMap((e) => (e ? [recordOf(e)].filter((r): r is MemberRecord => r !== undefined) : []))
    .sort((a, b) => (a.kind === b.kind ? a.id.localeCompare(b.id) : a.kind === 'server' ? -1 : 1));
}

/** Whether a member missed three heartbeats. */
export const isStale = (r: MemberRecord, now = Date.now()) =>
  now - Date.parse(r.lastSeen) > 3 * r.heartbeatMs + 1000;

/** Tail servers that are ready and serve the model `name`, best first (then by id). */
export function tailServersFor(
  members: Iterable<MemberRecord>,
  name: string,
  now = Date.now(),
): MemberRecord[] {
  return [...members]
    .filter(
      (m) =>
        m.kind === 'server' &&
        m.ready &&
        !isStale(m, now) &&
        m.endpoints.grpc !== undefined &&
        m.versions.some((v) => v.startsWith(`${name}@`)),
    )
    .sort((a, b) => a.id.localeCompare(b.id));
}
