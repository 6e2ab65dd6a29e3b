// The operator's side of a rollout: point a group (or a canary share of it) at NAME@VERSION
// through the configuration, then follow what each agent reports.

import { MANIFEST_FILE } from '@cleave/models';
import type { KV, ObjectStore } from 'nats';
import { getLayer, updateLayer } from './config-layers.js';
import { ControlError } from './connection.js';
import { objectName } from './model-store.js';
import { listMembers } from './registry.js';
import { type RolloutStatus, readStatuses } from './status.js';
import { parseBundleRef } from './subjects.js';

export interface RolloutPlan {
  target: string;
  group: string;
  canaryPercent: number;
  /** Agents moved: every agent of the group, or the canary share (sorted by id, the first N). */
  agents: string[];
  /** `group` when the group key was set, `agent` when only the canary agents' keys were. */
  scope: 'group' | 'agent';
}

export async function startRollout(
  res: { config: KV; registry: KV; models: () => Promise<ObjectStore> },
  target: string,
  group: string,
  canaryPercent = 100,
): Promise<RolloutPlan> {
  const ref = parseBundleRef(target);
  if (!(canaryPercent > 0 && canaryPercent <= 100)) throw new ControlError('--canary must be in (0, 100]');
  const os = await res.models();
  if (!(await os.info(objectName(ref.name, ref.version, MANIFEST_FILE)))) {
    throw new ControlError(`${target} is not in the object store; push it first (cleave fleet push)`);
  }
  const agents = (await listMembers(res.registry))
    .filter((m) => m.kind === 'agent' && m.group === group)
    .map((m) => m.id);
  if (canaryPercent >= 100) {
    await updateLayer(res.config, { group }, { bundle: target });
    // The whole group now: canary pins on agent keys would outrank the group key.
    for (const agent of agents) {
      if ((await getLayer(res.config, { agent })).layer.bundle !== undefined)
        await updateLayer(res.config, { agent }, { bundle: undefined });
    }
    return { target, group, canaryPercent, agents, scope: 'group' };
  }
  if (agents.length === 0)
    throw new ControlError(`no agents of group "${group}" in the registry for a canary`);
  const chosen = agents.slice(0, Math.max(1, Math.ceil((agents.length * canaryPercent) / 100)));
  for (const agent of chosen) await updateLayer(res.config, { agent }, { bundle: target });
  return { target, group, canaryPercent, agents: chosen, scope: 'agent' };
}

/** Waits until each agent reported a final state (active or rolled-back) for `target`, or the timeout. */
export async function awaitRollout(
  status: KV,
  target: string,
  agents: readonly string[],
  timeoutMs: number,
): Promise<RolloutStatus[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const all = await readStatuses<RolloutStatus>(status, 'rollout');
    const done = all.filter(
      (s) =>
        agents.includes(s.id) && s.target === target && (s.state === 'active' || s.state === 'rolled-back'),
    );
    if (done.length >= agents.length || Date.now() > until) {
      return agents.map(
        (id) =>
          done.find((s) => s.id === id) ??
          all.find((s) => s.id === id) ?? {
            id,
            group: null,
            target,
            state: 'downloading',
            step: null,
            reason: 'no report yet',
            serving: '?',
            selfTest: null,
            at: new Date().toISOString(),
          },
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
