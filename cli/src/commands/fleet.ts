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
  type NatsOptions,
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
import { DEFAULT_MODELS_DIR } from '../paths.js';

/** NATS flags shared by `cleave fleet`, `cleave agent --nats` and `cleave serve --nats`. */
export const NATS_FLAGS = {
  nats: { type: 'string' },
  'nats-user': { type: 'string' },
  'nats-password': { type: 'string' },
  'nats-token': { type: 'string' },
  'nats-creds': { type: 'string' },
  'nats-nkey': { type: 'string' },
  'nats-ca': { type: 'string' },
  'nats-cert': { type: 'string' },
  'nats-key': { type: 'string' },
  'js-domain': { type: 'string' },
} as const;

export const NATS_HELP = `  --nats URL           NATS server(s), comma-separated (env CLEAVE_NATS_URL)
  --nats-user U --nats-password P | --nats-token T | --nats-creds FILE | --nats-nkey SEEDFILE
  --nats-ca FILE --nats-cert FILE --nats-key FILE   TLS (CA; client certificate for mutual TLS)
  --js-domain D        JetStream domain of the hub when connected through a leaf node
`;

type Flags = Partial<Record<keyof typeof NATS_FLAGS, string>>;

/** NATS options from the flags and CLEAVE_NATS_* variables; undefined when no server is named. */
export function natsOptionsFrom(values: Flags): (NatsOptions & { domain?: string }) | undefined {
  const env = process.env;
  const url = values.nats ?? env.CLEAVE_NATS_URL;
  if (!url) return undefined;
  const pick = (flag: keyof Flags, name: string) => values[flag] ?? env[name];
  const user = pick('nats-user', 'CLEAVE_NATS_USER');
  const pass = pick('nats-password', 'CLEAVE_NATS_PASSWORD');
  const token = pick('nats-token', 'CLEAVE_NATS_TOKEN');
  const creds = pick('nats-creds', 'CLEAVE_NATS_CREDS');
  const nkey = pick('nats-nkey', 'CLEAVE_NATS_NKEY');
  const [ca, cert, key] = [pick('nats-ca', 'CLEAVE_NATS_CA'), values['nats-cert'], values['nats-key']];
  const domain = pick('js-domain', 'CLEAVE_JS_DOMAIN');
  return {
    servers: url.split(',').map((s) => s.trim()),
    ...(user ? { user } : {}),
    ...(pass ? { pass } : {}),
    ...(token ? { token } : {}),
    ...(creds ? { credsFile: creds } : {}),
    ...(nkey ? { nkeySeedFile: nkey } : {}),
    ...(ca || cert
      ? {
          tls: {
            ...(ca ? { caFile: ca } : {}),
            ...(cert ? { certFile: cert } : {}),
            ...(key ? { keyFile: key } : {}),
          },
        }
      : {}),
    ...(domain ? { domain } : {}),
  };
}

/**
 * Joins the fleet now, or keeps trying every `retryMs` while NATS cannot be reached: the daemon
 * serves meanwhile, it only is not managed yet. `close()` stops trying or leaves.
 */
export function joinFleetInBackground(
  join: () => Promise<{ close(): Promise<void> }>,
  log: { info(o: object, m: string): void; error(o: object, m: string): void },
  retryMs = 5000,
): { joined: Promise<void>; close(): Promise<void> } {
  let member: { close(): Promise<void> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let first: (() => void) | undefined;
  const joined = new Promise<void>((r) => {
    first = r;
  });
  const attempt = async () => {
    try {
      member = await join();
      if (stopped) await member.close();
      else log.info({}, 'joined the fleet');
      first?.();
    } catch (error) {
      if (stopped) return;
      log.error({ err: (error as Error).message }, `cannot join the fleet; retrying in ${retryMs} ms`);
      timer = setTimeout(() => void attempt(), retryMs);
    }
  };
  void attempt();
  return {
    joined,
    async close() {
      stopped = true;
      clearTimeout(timer);
      await member?.close();
    },
  };
}

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
  const parsed = LiveConfigPatchSchema.safeParse(settings);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ControlError(`invalid configuration:\n${lines.join('\n')}`);
  }
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
