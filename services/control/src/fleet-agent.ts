// An agent in the fleet: it announces itself and heartbeats, watches its three configuration
// keys and applies changes live (a refused change is reported and the last good one kept),
// rolls out the bundle version the configuration names (download, verify, load beside,
// self-test, swap; on failure the old one keeps serving and the reason is reported), finds tail
// servers in the registry when it has no cloud endpoint of its own, and forwards a telemetry
// record per answer and every hard example through the on-disk spool.
import { join } from 'node:path';
import type { KvEntry, NatsConnection, QueuedIterator } from 'nats';
import { type ConfigLayer, layerOf, mergeLayers } from './config-layers.js';
import { connectNats, type NatsOptions } from './connection.js';
import { createForwarder, type Forwarder, type ForwarderOptions } from './forwarder.js';
import { type ControlledAgent, hardExampleRecord, telemetryRecord } from './managed-agent.js';
import { downloadBundle } from './model-store.js';
import { type MemberRecord, recordOf, startMember, tailServersFor } from './registry.js';
import { type FleetResourceOptions, openFleetResources } from './resources.js';
import { openSpool, type SpoolOptions } from './spool.js';
import { type RolloutStatus, reportStatus } from './status.js';
import {
  agentKey,
  checkToken,
  FLEET_KEY,
  groupKey,
  hardExampleSubject,
  parseBundleRef,
  telemetrySubject,
} from './subjects.js';

export interface FleetAgentOptions {
  /** An open connection (kept open on close) or options to open one (closed on close). */
  nats: NatsConnection | NatsOptions;
  agent: ControlledAgent;
  /** The id in the fleet (a subject token); default the agent's own id. */
  id?: string;
  group?: string | undefined;
  /** Spool and downloaded bundles live here. */
  stateDir: string;
  heartbeatMs?: number;
  device?: string;
  endpoints?: Record<string, string>;
  /** Use a tail server from the registry while no cloud endpoint is configured (default: when the agent has none). */
  discoverCloud?: boolean;
  spool?: Partial<Omit<SpoolOptions, 'dir' | 'idPrefix'>>;
  forwarder?: ForwarderOptions;
  resources?: FleetResourceOptions;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export interface FleetAgent {
  readonly id: string;
  readonly forwarder: Forwarder;
  /** The connection it uses (others may publish on it, e.g. stream results). */
  readonly nats: NatsConnection;
  /** The last rollout status, if a rollout ran. */
  rollout(): RolloutStatus | undefined;
  /** Resolves when the rollout under way (if any) has finished. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

type LayerName = 'fleet' | 'group' | 'agent';
const isConnection = (n: FleetAgentOptions['nats']): n is NatsConnection => 'jetstream' in n;

export async function joinFleetAsAgent(options: FleetAgentOptions): Promise<FleetAgent> {
  const { agent } = options;
  const id = checkToken(options.id ?? agent.options.id, 'agent id');
  const group = options.group === undefined ? undefined : checkToken(options.group, 'group');
  const log = options.log ?? (() => undefined);
  const nc = isConnection(options.nats)
    ? options.nats
    : await connectNats({ name: `cleave-agent ${id}`, ...options.nats });
  const res = await openFleetResources(nc, options.resources);
  const js = nc.jetstream({ ...(options.resources?.domain ? { domain: options.resources.domain } : {}) });
  const spool = await openSpool({
    dir: join(options.stateDir, 'spool'),
    idPrefix: id,
    maxRecords: options.spool?.maxRecords ?? 100_000,
    maxBytes: options.spool?.maxBytes ?? 32 * 1024 * 1024,
    onFull: options.spool?.onFull ?? 'drop-oldest',
  });
  const forwarder = createForwarder(js, spool, options.forwarder);
  const boot = new Date().toISOString();
  let seq = 0;
  const enc = new TextEncoder();
  const unsubscribe = [
    agent.onAnswer((a) => {
      forwarder.publish(
        telemetrySubject(id),
        enc.encode(JSON.stringify(telemetryRecord(id, ++seq, boot, a))),
      );
    }),
    agent.onHardExample((ex) => {
      forwarder.publish(hardExampleSubject(id), enc.encode(JSON.stringify(hardExampleRecord(id, ex))));
    }),
  ];

  // Live configuration: base (the agent's own start-up settings) < discovery < fleet < group < agent.
  const { bundle: _b, effective: _e, ...base } = agent.liveConfig() as ConfigLayer;
  const good: Record<LayerName, ConfigLayer> = { fleet: {}, group: {}, agent: {} };
  const revisions: Record<LayerName, number> = { fleet: 0, group: 0, agent: 0 };
  const discover = options.discoverCloud ?? agent.options.cloud.target === null;
  let discovered: ConfigLayer = {};
  let lastRollout: RolloutStatus | undefined;
  let failedTarget: string | undefined;
  let rollouts: Promise<void> = Promise.resolve();
  let closed = false;
  const serving = () => `${agent.bundle.manifest.name}@${agent.bundle.manifest.version}`;

  function apply(key: string, revision: number, layers: Record<LayerName, ConfigLayer>, disc: ConfigLayer) {
    const merged = mergeLayers(good.fleet, good.group, good.agent);
    const next = mergeLayers(layers.fleet, layers.group, layers.agent);
    const { bundle, ...settings } = next;
    let error: string | null = null;
    try {
      agent.reconfigure(mergeLayers(base, disc, settings));
      Object.assign(good, layers);
      discovered = disc;
    } catch (e) {
      error = (e as Error).message;
      log('warn', 'configuration refused; the last good one stays', { key, revision, error });
    }
    void reportStatus(nc, res.status, 'config', {
      id,
      ok: error === null,
      key,
      revision,
      error,
      applied: agent.liveConfig(),
      at: new Date().toISOString(),
    });
    const target = error === null ? bundle : merged.bundle;
    if (typeof target === 'string') queueRollout(target);
  }

  function onEntry(layer: LayerName, entry: KvEntry) {
    revisions[layer] = entry.revision;
    let value: ConfigLayer;
    try {
      value = layerOf(entry);
    } catch (e) {
      const error = `${entry.key}: ${(e as Error).message}`;
      log('warn', 'configuration refused; the last good one stays', { key: entry.key, error });
      void reportStatus(nc, res.status, 'config', {
        id,
        ok: false,
        key: entry.key,
        revision: entry.revision,
        error,
        applied: agent.liveConfig(),
        at: new Date().toISOString(),
      });
      return;
    }
    apply(entry.key, entry.revision, { ...good, [layer]: value }, discovered);
  }

  function queueRollout(target: string) {
    rollouts = rollouts.then(() => rollout(target)).catch(() => undefined);
  }

  async function rollout(target: string): Promise<void> {
    if (closed || target === failedTarget) return;
    const ref = parseBundleRef(target);
    const report = async (state: RolloutStatus['state'], extra: Partial<RolloutStatus> = {}) => {
      lastRollout = {
        id,
        group: group ?? null,
        target,
        state,
        step: null,
        reason: null,
        serving: serving(),
        selfTest: null,
        ...extra,
        at: new Date().toISOString(),
      };
      await reportStatus(nc, res.status, 'rollout', lastRollout);
    };
    if (target === serving()) {
      failedTarget = undefined;
      if (lastRollout?.target !== target || lastRollout.state !== 'active')
        await report('active', { reason: 'already serving' });
      return;
    }
    try {
      await report('downloading');
      const { dir } = await downloadBundle(await res.models(), ref, join(options.stateDir, 'bundles'));
      await report('loading');
      const swapped = await agent.swapBundle(dir);
      failedTarget = undefined;
      await report('active', { selfTest: swapped.selfTest });
      log('info', 'bundle rolled out', { target });
    } catch (e) {
      const step =
        (e as { step?: string; stage?: string }).step ?? (e as { stage?: string }).stage ?? 'download';
      failedTarget = target;
      await report('rolled-back', { step, reason: (e as Error).message });
      log('error', 'rollout refused; the old bundle keeps serving', {
        target,
        step,
        reason: (e as Error).message,
      });
    }
  }

  const watchers: QueuedIterator<KvEntry>[] = [];
  const keys: Array<[LayerName, string | undefined]> = [
    ['fleet', FLEET_KEY],
    ['group', group ? groupKey(group) : undefined],
    ['agent', agentKey(id)],
  ];
  for (const [layer, key] of keys) {
    if (!key) continue;
    const w = await res.config.watch({ key });
    watchers.push(w);
    void (async () => {
      for await (const entry of w) onEntry(layer, entry);
    })().catch(() => undefined);
  }

  if (discover) {
    const servers = new Map<string, MemberRecord>();
    const w = await res.registry.watch({ key: 'server.*' });
    watchers.push(w);
    void (async () => {
      for await (const entry of w) {
        const r = recordOf(entry);
        if (r) servers.set(entry.key, r);
        else servers.delete(entry.key);
        const best = tailServersFor(servers.values(), agent.bundle.manifest.name)[0];
        const target = best?.endpoints.grpc ?? null;
        if (target !== ((discovered.cloud as { target?: string } | undefined)?.target ?? null)) {
          apply('discovery', entry.revision, { ...good }, target ? { cloud: { target } } : {});
        }
      }
    })().catch(() => undefined);
  }

  const member = startMember(
    nc,
    res.registry,
    () => {
      const s = agent.stats();
      return {
        kind: 'agent',
        id,
        group: group ?? null,
        device: options.device ?? `${process.platform}-${process.arch}`,
        versions: [serving()],
        endpoints: options.endpoints ?? {},
        capabilities: ['live-config', 'rollout', 'telemetry', 'hard-examples'],
        ready: true,
        stats: {
          requests: s.requests,
          answeredBy: s.answeredBy,
          degraded: s.degraded,
          frameBytes: s.frameBytes,
          wireBytes: s.wireBytes,
          energyMj: s.energy ? s.energy.computeMj + s.energy.radioMj : null,
          spool: forwarder.stats(),
          config: { ...revisions },
          rollout: lastRollout ? { target: lastRollout.target, state: lastRollout.state } : null,
        },
      };
    },
    options.heartbeatMs ?? 5000,
  );

  return {
    id,
    forwarder,
    nats: nc,
    rollout: () => lastRollout,
    settled: () => rollouts,
    async close() {
      closed = true;
      for (const u of unsubscribe) u();
      for (const w of watchers) w.stop();
      await member.stop();
      await rollouts;
      await forwarder.close();
      if (!isConnection(options.nats)) await nc.close();
    },
  };
}
