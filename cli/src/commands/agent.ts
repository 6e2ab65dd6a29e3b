// `cleave agent`: the edge agent daemon with its local HTTP API.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createResultPublisher, type FleetAgent, fleetIdOf, joinFleetAsAgent } from '@cleave/control';
import {
  attachStreamOutputs,
  createAgent,
  createStreamHub,
  parseSourceArg,
  StreamConfigSchema,
  type StreamEvent,
  type StreamHub,
  type StreamOutputs,
  startHttpApi,
} from '@cleave/edge-agent';
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
  GET  /healthz    (with each stream source's state)
  GET  /v1/events  stream events as Server-Sent Events (?source=ID, ?changes=1)

  --config FILE        JSON or YAML with {agent: {...}, http: {...}} (see README)
  --bundle DIR|NAME    bundle folder, or a name under the model folder (default ${DEFAULT_BUNDLE})
  --cloud HOST:PORT    tail server; omit to answer everything on the device
  --timeout-ms N       offload budget per request (default 2000)
  --http-host HOST     HTTP API interface (default 127.0.0.1)
  --http-port PORT     HTTP API port (default 8470; 0 = any)
  --ready-file FILE    write the HTTP port here once listening

Streams (docs/streams.md): camera and video sources decoded by ffmpeg at the bundle's input size.
  --source SRC         repeatable: [ID=]URL[,fps=N][,rate=N|max][,loop=1][,listen=1][,queue=N]
                       URL: a video file, an image folder, rtsp://, rtp:// or an .sdp file,
                       http(s):// MJPEG, /dev/videoN (V4L2), gst:PIPELINE (ends in fdsink fd=1)
  --fps N              admit at most N frames per second per source
  --skip-distance N    dHash Hamming distance for an unchanged frame (default 2; "off" = never skip)
  --events-jsonl FILE  one JSON line per answered frame ("-" for stdout)
  --events-on-change   JSONL and NATS only when a source's label changes

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
      source: { type: 'string', multiple: true },
      fps: { type: 'string' },
      'skip-distance': { type: 'string' },
      'events-jsonl': { type: 'string' },
      'events-on-change': { type: 'boolean' },
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
      sources: values.source?.map(parseSourceArg),
      stream: {
        fps: values.fps === undefined ? undefined : Number(values.fps),
        skipDistance:
          values['skip-distance'] === undefined
            ? undefined
            : values['skip-distance'] === 'off'
              ? null
              : Number(values['skip-distance']),
        eventsJsonl: values['events-jsonl'],
        eventsOnChange: values['events-on-change'],
      },
    },
  );
  const http = HttpSchema.parse(merged.http ?? {});
  const streamConfig = StreamConfigSchema.parse(merged.stream ?? {});
  const sources = z.array(z.record(z.string(), z.unknown())).parse(merged.sources ?? []);
  const agent = await createAgent(merged.agent as never);
  let streams: StreamHub | undefined;
  let outputs: StreamOutputs | undefined;
  // Set once the agent is in the fleet: stream results go out on its connection.
  let publish: ((event: StreamEvent) => void) | undefined;
  if (sources.length > 0) {
    streams = createStreamHub(
      agent,
      sources as never,
      { skipDistance: streamConfig.skipDistance, fps: streamConfig.fps },
      { log: (level, message, fields) => log[level](fields, message) },
    );
    outputs = attachStreamOutputs(streams, streamConfig, [(event) => publish?.(event)]);
    log.info({ sources: streams.stats().map((s) => `${s.id}=${s.url}`) }, 'stream sources started');
  }
  const api = await startHttpApi(agent, {
    ...http,
    metrics: telemetry.prometheusHandler,
    ...(streams ? { streams } : {}),
  });
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
  const withResults = (member: FleetAgent) => {
    const publisher = createResultPublisher(member.nats, member.id);
    publish = (event) => publisher.publish(event);
    return member;
  };
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
          }).then(withResults),
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
        .then(() => streams?.close())
        .then(() => outputs?.close())
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
