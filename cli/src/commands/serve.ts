// `cleave serve`: the cloud tail server as a process. SIGTERM/SIGINT drain, then exit 0.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createDashboardRoutes, createTailServer } from '@cleave/cloud-server';
import { fleetIdOf, joinFleetAsServer } from '@cleave/control';
import { createTraceStore, startTelemetry } from '@cleave/telemetry-sdk';
import { fromEnv, mergeOptions, readConfigFile } from '../config-source.js';
import { SERVE_ENV } from '../env-bindings.js';
import { joinFleetInBackground } from '../fleet-membership.js';
import { createLogger } from '../logger.js';
import { NATS_FLAGS, NATS_HELP, natsOptionsFrom } from '../nats-flags.js';
import { CLEAVE_VERSION, DEFAULT_MODELS_DIR } from '../paths.js';
import { SERVE_NODE_FLAGS, semiSpaceFlagMb } from '../serve-heap.js';

export const SERVE_HELP = `cleave serve [options]

Serves the tails of the bundles in a model folder over gRPC (cleave.v1.SplitInference, the
admin cleave.v1.ModelRepository, grpc.health.v1.Health with "liveness" and "readiness"
services, server reflection) and over HTTP (KServe v2: /v2/health/*, /v2/models/...).
SIGTERM drains in-flight requests, then exits.

  --config FILE        JSON or YAML file with server options (see README)
  --models DIR         model folder (default: ${DEFAULT_MODELS_DIR})
  --model NAME         serve only this bundle (repeatable)
  --host HOST          interface to bind (default 127.0.0.1)
  --port PORT          gRPC port (default 50051; 0 = any free port)
  --http-port PORT     KServe v2 HTTP port (default 8000; 0 = any free port)
  --no-http            no HTTP endpoints
  --serve-full         also serve each bundle's full.onnx over HTTP as <name>:full (input tensor in)
  --model-control MODE none | poll (watch the model folder) | explicit (admin API)
  --workers N          tail worker threads per model version (default 2)
  --batches-per-worker N  batches each worker holds, running and next (default 2; 1 = off)
  --no-batching        run every request alone (for comparison)
  --max-batch N        largest batch (default 32)
  --ready-file FILE    write the bound ports here once serving, as JSON {"port", "httpPort"}
  --access-log FILE    append a JSON line per answer (request id, stream, peer, outcome); - = stdout

Fleet (docs/fleet.md): with --nats the server announces its models and endpoint, so agents
without a cloud endpoint of their own can find it.
  --fleet-id ID        its id in the fleet (default: the host name)
  --advertise H:P      the gRPC address agents should dial (default: host:port as bound)
  --group G            its group
${NATS_HELP}`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      models: { type: 'string' },
      model: { type: 'string', multiple: true },
      host: { type: 'string' },
      port: { type: 'string' },
      'http-port': { type: 'string' },
      'no-http': { type: 'boolean' },
      'serve-full': { type: 'boolean' },
      'model-control': { type: 'string' },
      workers: { type: 'string' },
      'batches-per-worker': { type: 'string' },
      'no-batching': { type: 'boolean' },
      'max-batch': { type: 'string' },
      'ready-file': { type: 'string' },
      'access-log': { type: 'string' },
      ...NATS_FLAGS,
      'fleet-id': { type: 'string' },
      advertise: { type: 'string' },
      group: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const log = createLogger('cleave-serve');
  const flags: Record<string, unknown> = {
    modelsDir: values.models,
    models: values.model,
    host: values.host,
    port: values.port === undefined ? undefined : Number(values.port),
    workers: values.workers === undefined ? undefined : Number(values.workers),
    serveFull: values['serve-full'] ? true : undefined,
    accessLog: values['access-log'],
    batchesPerWorker:
      values['batches-per-worker'] === undefined ? undefined : Number(values['batches-per-worker']),
    http: {
      enabled: values['no-http'] ? false : undefined,
      port: values['http-port'] === undefined ? undefined : Number(values['http-port']),
    },
    modelControl: { mode: values['model-control'] },
    batching: {
      enabled: values['no-batching'] ? false : undefined,
      maxBatchSize: values['max-batch'] === undefined ? undefined : Number(values['max-batch']),
    },
  };
  const options = mergeOptions(
    { modelsDir: DEFAULT_MODELS_DIR },
    values.config ? readConfigFile(values.config) : {},
    fromEnv(SERVE_ENV),
    flags,
  );
  // The SDK first: the server's instruments and spans made afterwards flow into it.
  const traceStore = createTraceStore();
  const telemetry = startTelemetry({
    serviceName: 'cleave-serve',
    serviceVersion: CLEAVE_VERSION,
    traces: { store: traceStore },
  });
  const server = await createTailServer(options as never, {
    serverVersion: CLEAVE_VERSION,
    httpRoutes: [
      ...createDashboardRoutes({
        metrics: telemetry.collectMetrics,
        traces: traceStore,
        title: 'cleave serve',
      }),
      async (req, res, path) => {
        if (path !== '/metrics') return false;
        telemetry.prometheusHandler(req, res);
        return true;
      },
    ],
    onRegistryEvent: (event) => {
      if (event.type === 'refused') log.error(event, 'bundle refused; what served before keeps serving');
      else log.info(event, `model ${event.type}`);
    },
  });
  log.info(
    {
      address: server.address,
      httpPort: server.httpPort,
      dashboard: server.httpPort ? `http://${server.options.host}:${server.httpPort}/dashboard` : null,
      traces: telemetry.traces,
      modelControl: server.options.modelControl,
      models: server.registry.models.map((m) => `${m.name}@${m.version}`),
      workers: server.options.workers,
      batching: server.options.batching,
    },
    'serving',
  );
  if (semiSpaceFlagMb() === undefined) {
    log.warn(
      `node runs with V8's default young generation: start it with ${SERVE_NODE_FLAGS.join(' ')} (or in NODE_OPTIONS), as the container image does, so requests waiting in a deep batch queue die young (docs/serving.md, "Memory and V8's young generation")`,
    );
  }
  const nats = natsOptionsFrom(values);
  const host =
    server.options.host === '0.0.0.0' || server.options.host === '::' ? hostname() : server.options.host;
  const fleet = nats
    ? joinFleetInBackground(
        () =>
          joinFleetAsServer({
            nats,
            server,
            id: values['fleet-id'] ?? fleetIdOf(hostname()),
            advertise: values.advertise ?? `${host}:${server.port}`,
            group: values.group,
            resources: { domain: nats.domain },
          }),
        log,
      )
    : undefined;
  if (values['ready-file']) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      values['ready-file'],
      JSON.stringify({ port: server.port, httpPort: server.httpPort ?? null }),
    );
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'draining');
      void (fleet?.close() ?? Promise.resolve())
        .then(() => server.drain())
        .then(() => telemetry.shutdown())
        .then(() => {
          log.info('stopped');
          resolve();
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
