// Fleet configuration in JetStream KV: one JSON object per key, `fleet`, `group.G` and
// `agent.ID`. An agent's configuration is the three merged field by field, the narrowest key
// winning: agent over group over fleet.
import type { KV, KvEntry } from 'nats';
import { ControlError } from './connection.js';
import { agentKey, checkToken, FLEET_KEY, groupKey, parseBundleRef } from './subjects.js';

export type ConfigLayer = Record<string, unknown>;
export type ConfigScope = { fleet: true } | { group: string } | { agent: string };

export function scopeKey(scope: ConfigScope): string {
  if ('group' in scope) return groupKey(checkToken(scope.group, 'group'));
  if ('agent' in scope) return agentKey(checkToken(scope.agent, 'agent id'));
  return FLEET_KEY;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field-by-field merge: objects merge, anything else (null included) replaces. */
export function mergeLayers(...layers: Array<ConfigLayer | undefined>): ConfigLayer {
  const out: ConfigLayer = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      const prev = out[key];
      out[key] = isObject(prev) && isObject(value) ? mergeLayers(prev, value) : structuredClone(value);
    }
  }
  return out;
}

/** A layer as read from KV: a JSON object whose `bundle`, if any, is NAME@VERSION. Throws otherwise. */
export function parseLayer(text: string): ConfigLayer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ControlError('not JSON');
  }
  if (!isObject(value)) throw new ControlError('not a JSON object');
  if (value.bundle !== undefined && value.bundle !== null) {
    if (typeof value.bundle !== 'string') throw new ControlError('bundle: expected "NAME@VERSION"');
    parseBundleRef(value.bundle);
  }
  return value;
}

/** The layer of an entry: {} for a missing, deleted or purged key. */
export function layerOf(entry: KvEntry | null): ConfigLayer {
  if (entry?.operation !== 'PUT' || entry.length === 0) return {};
  return parseLayer(entry.string());
}

export async function getLayer(
  kv: KV,
  scope: ConfigScope,
): Promise<{ layer: ConfigLayer; revision: number }> {
  const entry = await kv.get(scopeKey(scope));
  return { layer: layerOf(entry), revision: entry?.operation === 'PUT' ? entry.revision : 0 };
}

/** Sets `path` (dot-separated) in a layer; `undefined` removes it (and empty parents). */
export function setPath(layer: ConfigLayer, path: string, value: unknown): ConfigLayer {
  const out = structuredClone(layer);
  const parts = path.split('.');
  if (parts.some((p) => p.length === 0)) throw new ControlError(`bad key path "${path}"`);
  const trail: Array<[Record<string, unknown>, string]> = [];
  let node: Record<string, unknown> = out;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(node[part])) {
      if (value === undefined) return out;
      node[part] = {};
    }
    trail.push([node, part]);
    node = node[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  for (const [parent, key] of trail.reverse()) {
    if (isObject(parent[key]) && Object.keys(parent[key]).length === 0) delete parent[key];
  }
  return out;
}

/**
 * Changes fields of one scope's layer atomically (compare-and-set on the KV revision, retried
 * when someone else wrote in between). `undefined` values remove fields. Returns the new layer.
 */
export async function updateLayer(
  kv: KV,
  scope: ConfigScope,
  changes: Record<string, unknown>,
): Promise<{ layer: ConfigLayer; revision: number }> {
  const key = scopeKey(scope);
  for (let attempt = 0; attempt < 5; attempt++) {
    const { layer, revision } = await getLayer(kv, scope);
    let next = layer;
    for (const [path, value] of Object.entries(changes)) next = setPath(next, path, value);
    const data = new TextEncoder().encode(JSON.stringify(next));
    try {
      const rev = revision === 0 ? await kv.create(key, data) : await kv.update(key, data, revision);
      return { layer: next, revision: rev };
    } catch (error) {
      if (!/wrong last sequence|key exists/i.test((error as Error).message)) throw error;
    }
  }
  throw new ControlError(`${key}: changed by others five times in a row; try again`);
}

/** The agent's configuration: fleet, then its group, then its own key. */
export async function effectiveConfig(kv: KV, id: string, group: string | undefined): Promise<ConfigLayer> {
  const [fleet, grp, own] = await Promise.all([
    getLayer(kv, { fleet: true }),
    group ? getLayer(kv, { group }) : Promise.resolve({ layer: {} }),
    getLayer(kv, { agent: id }),
  ]);
  return mergeLayers(fleet.layer, grp.layer, own.layer);
}
