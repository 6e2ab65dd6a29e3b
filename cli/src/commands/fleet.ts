// `cleave fleet`: the operator's side of the NATS control plane (docs/fleet.md).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  awaitRollout,
  type ConfigStatus,
  ControlError,
  connectNats,
  effectiveConfig,
  FLEET_WILDCARD,
  fashionMnistSelfTest,
  formatMembers,
  formatStatuses,
  getLayer,
  listMembers,
  listStoredBundles,
  openFleetResources,
  parseBundleRef,
  pushBundle,
  type RolloutStatus,
  readStatuses,
  SELF_TEST_OBJECT,
  setPath,
  startRollout,
  updateLayer,
} from '@cleave/control';
import { LiveConfigPatchSchema } from '@cleave/edge-agent';
import { loadBundle, parseManifest } from '@cleave/models';
import { resolveOptions } from '@cleave/options';
import { NATS_FLAGS, NATS_HELP, natsOptionsFrom } from '../nats-flags.js';
import { DEFAULT_MODELS_DIR } from '../paths.js';

export const FLEET_HELP = `cleave fleet <command> [options]

  ls                          agents and tail servers with versions, endpoints and stats
  watch [--for-ms N]          follow announces, heartbeats and status reports live
  config get [--group G | --agent ID] [--effective]
  config set [--group G | --agent ID] KEY=VALUE... [--unset KEY]...
                              e.g. gate.threshold=0.9 stages.dual=false policy.latencyBudgetMs=50
                              bundle=NAME@VERSION; no scope = the whole fleet
  push DIR|NAME [--force] [--no-verify]   store a bundle in the Object Store (with its self-test)
  rollout NAME@VERSION --group G [--canary N%] [--wait-ms N]
  status                      the last rollout and configuration outcome of every agent

${NATS_HELP}  --json               machine-readable output (ls, status)
`;

/** KEY=VALUE: the value as JSON when it parses (numbers, booleans, null), else a string. */
function parseAssignment(arg: string): [string, unknown] {
  const at = arg.indexOf('=');
  if (at <= 0) throw new ControlError(`expected KEY=VALUE, got "${arg}"`);
  const raw = arg.slice(at + 1);
  try {
    return [arg.slice(0, at), JSON.parse(raw)];
  } catch {
    return [arg.slice(0, at), raw];
  }
}

/** Refuses a layer the agents would refuse, before it reaches them. */
function checkLayer(layer: Record<string, unknown>): void {
  const { bundle, ...settings } = layer;
  if (bundle !== undefined) parseBundleRef(String(bundle));
  resolveOptions(LiveConfigPatchSchema, settings, 'configuration');
}

export async function fleetCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...NATS_FLAGS,
      group: { type: 'string' },
      agent: { type: 'string' },
      effective: { type: 'boolean' },
      unset: { type: 'string', multiple: true },
      canary: { type: 'string' },
      'wait-ms': { type: 'string' },
      'for-ms': { type: 'string' },
      force: { type: 'boolean' },
      'no-verify': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, ...args] = positionals;
  if (values.help || sub === undefined) {
    process.stdout.write(FLEET_HELP);
    return sub === undefined && !values.help ? 2 : 0;
  }
  const nats = natsOptionsFrom(values) ?? { servers: 'nats://127.0.0.1:4222' };
  const nc = await connectNats({ name: `cleave fleet ${sub}`, ...nats, reconnectTimeWaitMs: 250 });
  const out = (text: string) => process.stdout.write(text);
  try {
    const res = await openFleetResources(nc, { domain: nats.domain });
    const scope = values.agent
      ? { agent: values.agent }
      : values.group
        ? { group: values.group }
        : { fleet: true as const };
    switch (sub) {
      case 'ls': {
        const members = await listMembers(res.registry);
        out(values.json ? `${JSON.stringify(members, null, 2)}\n` : formatMembers(members));
        const bundles = values.json ? [] : await listStoredBundles(await res.models());
        if (bundles.length > 0)
          out(`\nbundles in the object store: ${bundles.map((b) => b.ref).join(', ')}\n`);
        return 0;
      }
      case 'watch': {
        const sub = nc.subscribe(FLEET_WILDCARD);
        const limit = values['for-ms'] ? Number(values['for-ms']) : undefined;
        if (limit) setTimeout(() => sub.unsubscribe(), limit);
        for await (const m of sub) {
          const [, , event, kind, id] = m.subject.split('.');
          const body = m.json<Record<string, unknown>>();
          const detail =
            event === 'status'
              ? `${id}: ${JSON.stringify({ state: body.state ?? (body.ok ? 'applied' : 'refused'), target: body.target, error: body.error ?? body.reason ?? undefined })}`
              : `${id} ${JSON.stringify(body.versions ?? '')} requests=${(body.stats as { requests?: number } | undefined)?.requests ?? '-'}`;
          out(`${new Date().toISOString()} ${event} ${kind} ${detail}\n`);
        }
        return 0;
      }
      case 'config': {
        const [verb, ...rest] = args;
        if (verb === 'get') {
          const value =
            values.effective && values.agent
              ? await effectiveConfig(res.config, values.agent, values.group)
              : (await getLayer(res.config, scope)).layer;
          out(`${JSON.stringify(value, null, 2)}\n`);
          return 0;
        }
        if (verb === 'set') {
          const changes: Record<string, unknown> = Object.fromEntries(rest.map(parseAssignment));
          for (const key of values.unset ?? []) changes[key] = undefined;
          if (Object.keys(changes).length === 0)
            throw new ControlError('nothing to set: give KEY=VALUE or --unset KEY');
          let preview = (await getLayer(res.config, scope)).layer;
          for (const [k, v] of Object.entries(changes)) preview = setPath(preview, k, v);
          checkLayer(preview);
          const { layer, revision } = await updateLayer(res.config, scope, changes);
          out(`${JSON.stringify(layer)} (revision ${revision})\n`);
          return 0;
        }
        throw new ControlError('cleave fleet config get|set');
      }
      case 'push': {
        const target = args[0];
        if (!target) throw new ControlError('cleave fleet push DIR|NAME');
        const dir = target.includes('/') ? target : join(DEFAULT_MODELS_DIR, target);
        const manifest = values['no-verify']
          ? parseManifest(await readFile(join(dir, 'manifest.json'), 'utf8'), dir)
          : (await loadBundle(dir)).manifest;
        const selfTest = existsSync(join(dir, SELF_TEST_OBJECT))
          ? undefined
          : await fashionMnistSelfTest(manifest);
        const pushed = await pushBundle(await res.models(), dir, {
          verify: !values['no-verify'],
          force: values.force ?? false,
          ...(selfTest ? { selfTest } : {}),
        });
        for (const o of pushed.objects) out(`${o.name}  ${o.size} B  ${o.digest}\n`);
        out(
          `pushed ${pushed.name}@${pushed.version}${selfTest ? ` with ${selfTest.samples.length} self-test samples` : ''}\n`,
        );
        return 0;
      }
      case 'rollout': {
        const target = args[0];
        if (!target || !values.group) throw new ControlError('cleave fleet rollout NAME@VERSION --group G');
        const canary = values.canary ? Number(values.canary.replace(/%$/, '')) : 100;
        const plan = await startRollout(res, target, values.group, canary);
        out(
          `${target} → ${plan.scope === 'group' ? `group ${plan.group}` : `canary ${plan.agents.join(', ')}`} (${plan.agents.length} agents)\n`,
        );
        const waitMs = values['wait-ms'] ? Number(values['wait-ms']) : 120_000;
        if (waitMs <= 0 || plan.agents.length === 0) return 0;
        const statuses = await awaitRollout(res.status, target, plan.agents, waitMs);
        out(formatStatuses(statuses, []).split('\n\n')[0]!);
        return statuses.every((s) => s.state === 'active') ? 0 : 1;
      }
      case 'status': {
        const rollouts = await readStatuses<RolloutStatus>(res.status, 'rollout');
        const configs = await readStatuses<ConfigStatus>(res.status, 'config');
        out(
          values.json
            ? `${JSON.stringify({ rollouts, configs }, null, 2)}\n`
            : formatStatuses(rollouts, configs),
        );
        return 0;
      }
      default:
        process.stderr.write(`cleave fleet: unknown command "${sub}"\n\n${FLEET_HELP}`);
        return 2;
    }
  } finally {
    await nc.close();
  }
}
