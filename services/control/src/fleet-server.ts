// A tail server in the fleet: it announces the model versions it serves and where to reach it,
// and heartbeats, so agents without a cloud endpoint of their own can find it.
import type { NatsConnection } from 'nats';
import { connectNats, type NatsOptions } from './connection.js';
import { startMember } from './registry.js';
import { type FleetResourceOptions, openFleetResources } from './resources.js';
import { checkToken } from './subjects.js';

/** What the control plane needs of a tail server (cloud-server's TailServer satisfies it). */
export interface ControlledServer {
  readonly port: number;
  readonly httpPort: number | undefined;
  readonly registry: { readonly models: ReadonlyArray<{ name: string; version: string }> };
  ready(): boolean;
}

export interface FleetServerOptions {
  nats: NatsConnection | NatsOptions;
  server: ControlledServer;
  id: string;
  /** host:port agents should dial (the bound address is often 0.0.0.0 or behind a proxy). */
  advertise: string;
  group?: string | undefined;
  heartbeatMs?: number;
  /** Extra figures for the heartbeat (e.g. requests served). */
  stats?: () => Record<string, unknown>;
  resources?: FleetResourceOptions;
}

export async function joinFleetAsServer(options: FleetServerOptions): Promise<{ close(): Promise<void> }> {
  const id = checkToken(options.id, 'server id');
  const nc =
    'jetstream' in options.nats
      ? options.nats
      : await connectNats({ name: `cleave-serve ${id}`, ...options.nats });
  const res = await openFleetResources(nc, options.resources);
  const { server } = options;
  const member = startMember(
    nc,
    res.registry,
    () => ({
      kind: 'server',
      id,
      group: options.group ?? null,
      device: `${process.platform}-${process.arch}`,
      versions: server.registry.models.map((m) => `${m.name}@${m.version}`),
      endpoints: {
        grpc: options.advertise,
        ...(server.httpPort !== undefined
          ? { http: `${options.advertise.replace(/:\d+$/, '')}:${server.httpPort}` }
          : {}),
      },
      capabilities: ['split-inference', 'kserve-v2'],
      ready: server.ready(),
      stats: options.stats?.() ?? {},
    }),
    options.heartbeatMs ?? 5000,
  );
  return {
    async close() {
      await member.stop();
      if (!('jetstream' in options.nats)) await nc.close();
    },
  };
}
