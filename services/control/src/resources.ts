// The JetStream resources of the fleet, created on first use with the same settings by whoever
// comes first (operator CLI, agent or server); creating an existing one with them is a no-op.
import type { JetStreamManager, KV, NatsConnection, ObjectStore } from 'nats';
import { DiscardPolicy, RetentionPolicy, StorageType } from 'nats';
import {
  CONFIG_BUCKET,
  HARD_EXAMPLE_STREAM,
  MODELS_BUCKET,
  REGISTRY_BUCKET,
  STATUS_BUCKET,
  SUBJECT_ROOT,
  TELEMETRY_STREAM,
} from './subjects.js';

export interface FleetResourceOptions {
  /** JetStream domain of the hub, when reached through a leaf node. */
  domain?: string | undefined;
  timeoutMs?: number;
  /** How long a message id is remembered for deduplication; covers the longest replay expected. */
  duplicateWindowMs?: number;
  /** Registry entries vanish this long after their last heartbeat. */
  registryTtlMs?: number;
}

const ns = (ms: number) => ms * 1_000_000;

export interface FleetResources {
  config: KV;
  registry: KV;
  status: KV;
  models: () => Promise<ObjectStore>;
  jsm: JetStreamManager;
}

export async function openFleetResources(
  nc: NatsConnection,
  options: FleetResourceOptions = {},
): Promise<FleetResources> {
  const js = nc.jetstream({
    ...(options.domain ? { domain: options.domain } : {}),
    timeout: options.timeoutMs ?? 5000,
  });
  const jsm = await nc.jetstreamManager({
    ...(options.domain ? { domain: options.domain } : {}),
    timeout: options.timeoutMs ?? 5000,
  });
  const [config, registry, status] = await Promise.all([
    js.views.kv(CONFIG_BUCKET, { history: 10, storage: StorageType.File }),
    js.views.kv(REGISTRY_BUCKET, {
      history: 1,
      storage: StorageType.File,
      ttl: options.registryTtlMs ?? 10 * 60_000,
    }),
    js.views.kv(STATUS_BUCKET, { history: 5, storage: StorageType.File }),
  ]);
  const window = options.duplicateWindowMs ?? 60 * 60_000;
  for (const [name, subject] of [
    [TELEMETRY_STREAM, `${SUBJECT_ROOT}.telemetry.>`],
    [HARD_EXAMPLE_STREAM, `${SUBJECT_ROOT}.hard.>`],
  ] as const) {
    await ensureStream(jsm, name, subject, window);
  }
  let models: Promise<ObjectStore> | undefined;
  return {
    config,
    registry,
    status,
    jsm,
    models: () => {
      models ??= js.views.os(MODELS_BUCKET, { storage: StorageType.File });
      return models;
    },
  };
}

async function ensureStream(jsm: JetStreamManager, name: string, subject: string, windowMs: number) {
  try {
    await jsm.streams.info(name);
    return;
  } catch (error) {
    if (!/stream not found/i.test((error as Error).message)) throw error;
  }
  try {
    await jsm.streams.add({
      name,
      subjects: [subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      duplicate_window: ns(windowMs),
      max_age: ns(7 * 24 * 3600_000),
    });
  } catch (error) {
    // Another member created it first.
    if (!/already in use/i.test((error as Error).message)) throw error;
  }
}
