// `cleave agent`: the edge agent daemon with its local HTTP API.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fleetIdOf, joinFleetAsAgent } from '@cleave/control';
import { createAgent, startHttpApi } from '@cleave/edge-agent';
import { startTelemetry } from '@cleave/telemetry-sdk';
import { z } from 'zod';
import { fromEnv, mergeOptions, readConfigFile } from '../config-source.js';
import { AGENT_ENV } from '../env-bindings.js';
import { joinFleetInBackground } from '../fleet-membership.js';
import { createLogger } from '../logger.js';
import { NATS_FLAGS, NATS_HELP, natsOptionsFrom } from '../nats-flags.js';
import { CLEAVE_VERSION, DEFAULT_BUNDLE, DEFAULT_MODELS_DIR } from '../paths.js';

const HttpSchema = z
  .object({
    /** Loopback by default: the API is for apps on the device. */
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8470),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .default(8 * 1024 * 1024),
  })
  .strict();

export const AGENT_HELP = `cleave agent [options]

Runs the edge agent: the head of a bundle on this device, the early-exit gate, and offload of
hard inputs to a tail server over one gRPC stream. Apps call its local HTTP API:
  POST /v1/infer   (image/png, image/jpeg, application/json {"pixels"|"tensor"}, application/octet-stream)
  GET  /healthz

  --config FILE        JSON or YAML with {agent: {...}, http: {...}} (see README)
  --bundle DIR|NAME    bundle folder, or a name under the model folder (default ${DEFAULT_BUNDLE})
  --cloud HOST:PORT    tail server; omit to answer everything on the device
  --timeout-ms N       offload budget per request (default 2000)
  --http-host HOST     HTTP API interface (default 127.0.0.1)
  --http-port PORT     HTTP API port (default 8470; 0 = any)
  --ready-file FILE    write the HTTP port here once listening

Fleet (docs/fleet.md): with --nats the agent joins the fleet: it heartbeats, takes live
configuration and bundle rollouts, and forwards telemetry through an on-disk spool.
  --group G            its device group
  --fleet-state DIR    spool and downloaded bundles (default ~/.cleave/fleet/ID)
${NATS_HELP}`;

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      bundle: { type: 'string' },
      cloud: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'http-host': { type: 'string' },
      'http-port': { type: 'string' },
      'ready-file': { type: 'string' },
      ...NATS_FLAGS,
      group: { type: 'string' },
      'fleet-state': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(AGENT_HELP);
    return 0;
  }
  const log = createLogger('cleave-agent');
  // The SDK first: library instruments and spans made afterwards flow into it.
  const telemetry = startTelemetry({ serviceName: 'cleave-agent', serviceVersion: CLEAVE_VERSION });
  const bundle = values.bundle;
  const merged = mergeOptions(
    { agent: { bundleDir: join(DEFAULT_MODELS_DIR, DEFAULT_BUNDLE) } },
    values.config ? readConfigFile(values.config) : {},
    fromEnv(AGENT_ENV),
    {
      agent: {
        bundleDir:
          bundle === undefined ? undefined : bundle.includes('/') ? bundle : join(DEFAULT_MODELS_DIR, bundle),
        cloud: {
          target: values.cloud,
          timeoutMs: values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']),
        },
      },
      http: {
        host: values['http-host'],
        port: values['http-port'] === undefined ? undefined : Number(values['http-port']),
      },
    },
  );
  const http = HttpSchema.parse(merged.http ?? {});
  const agent = await createAgent(merged.agent as never);
  const api = await startHttpApi(agent, { ...http, metrics: telemetry.prometheusHandler });
  const m = agent.bundle.manifest;
  log.info(
    {
      http: `${http.host}:${api.port}`,
      model: `${m.name}@${m.version}`,
      cloud: agent.options.cloud.target,
      traces: telemetry.traces,
    },
    'agent ready',
  );
  const nats = natsOptionsFrom(values);
  const fleetId = fleetIdOf(agent.options.id);
  const fleet = nats
    ? joinFleetInBackground(
        () =>
          joinFleetAsAgent({
            nats,
            agent,
            id: fleetId,
            group: values.group,
            stateDir: values['fleet-state'] ?? join(homedir(), '.cleave', 'fleet', fleetId),
            endpoints: { http: `${http.host}:${api.port}` },
            ...(agent.options.energy.device ? { device: agent.options.energy.device } : {}),
            resources: { domain: nats.domain },
            log: (level, message, fields) => log[level](fields ?? {}, message),
          }),
        log,
      )
    : undefined;
  if (values['ready-file']) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(values['ready-file'], String(api.port));
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      void api
        .close()
        .then(() => fleet?.close())
        .then(() => agent.close())
        .then(() => telemetry.shutdown())
        .then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
