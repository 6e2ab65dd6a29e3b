// `createTailServer(options)`: the cloud half of Cleave. Serves SplitInference, the admin
// ModelRepository, grpc.health.v1 and server reflection over gRPC, and KServe v2 over HTTP;
// loads, reloads and retires model versions at run time; drains in-flight requests before it stops.

import { readFileSync } from 'node:fs';
import {
  decodeInferRequest,
  encodeInferResponse,
  HealthImplementation,
  type ListeningHttpServer,
  loadCleavePackageDefinition,
  loadCleaveProto,
  loadHealthPackageDefinition,
  loadModelRepositoryPackageDefinition,
  loadModelRepositoryProto,
  MODEL_REPOSITORY_SERVICE_NAME,
  SPLIT_INFERENCE_SERVICE_NAME,
} from '@cleave/wire';
import { Server, type ServiceDefinition, status } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { openAccessLog } from './access-log.js';
import { createAdminHandlers } from './admin-service.js';
import { createAuthInterceptor, createTokenChecker, serverCredentials } from './auth.js';
import { type HttpRoute, startTailHttp } from './http/http-server.js';
import { createModelRegistry, type ModelRegistry, type RegistryEvent } from './model-registry.js';
import { FULL_MODEL_SUFFIX } from './served-model.js';
import { observeQueueDepth } from './server-metrics.js';
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './server-options.js';
import { createSplitInferenceHandlers, type ServiceState } from './split-inference-service.js';

/** Health service names for Kubernetes gRPC probes: `grpc: { port, service: liveness }`. */
export const LIVENESS_SERVICE = 'liveness';
export const READINESS_SERVICE = 'readiness';

export interface TailServer {
  readonly options: ResolvedServerOptions;
  readonly registry: ModelRegistry;
  /** The bound gRPC port (useful with port 0). */
  readonly port: number;
  readonly address: string;
  /** The bound HTTP port (KServe v2, plus the routes passed in), or undefined when disabled. */
  readonly httpPort: number | undefined;
  /** Ready: models loaded and not draining. */
  ready(): boolean;
  /**
   * Stops taking new work (health NOT_SERVING, new requests UNAVAILABLE), answers every request
   * already taken, closes the streams, then shuts down. Forced after drainTimeoutMs.
   */
  drain(): Promise<void>;
  /** Immediate stop; in-flight requests fail with UNAVAILABLE on the client. */
  forceClose(): Promise<void>;
}

export interface TailServerHooks {
  /** Extra HTTP routes (e.g. Prometheus /metrics), tried after the KServe ones. */
  httpRoutes?: readonly HttpRoute[];
  onRegistryEvent?: (event: RegistryEvent) => void;
  /** Version string reported by GET /v2. */
  serverVersion?: string;
}

/**
 * cleave.v1.SplitInference with the requests of Infer and InferStream decoded, and their answers
 * encoded, by protobufjs alone (decodeInferRequest and encodeInferResponse, @cleave/wire), without
 * proto-loader's copies between plain objects and message objects.
 */
function splitInferenceService(): ServiceDefinition {
  const service = loadCleaveProto().cleave.v1.SplitInference.service;
  const lean = { requestDeserialize: decodeInferRequest, responseSerialize: encodeInferResponse };
  return {
    ...service,
    Infer: { ...service.Infer, ...lean },
    InferStream: { ...service.InferStream, ...lean },
  };
}

export async function createTailServer(
  input: ServerOptions,
  hooks: TailServerHooks = {},
): Promise<TailServer> {
  const options = resolveServerOptions(input);
  const registry = createModelRegistry({
    modelsDir: options.modelsDir,
    only: options.models,
    versionPolicy: options.versionPolicy,
    versionPolicies: options.versionPolicies,
    workers: options.workers,
    batchesPerWorker: options.batchesPerWorker,
    serveFull: options.serveFull,
    intraOpThreads: options.intraOpThreads,
    intraOpSpinning: options.intraOpSpinning,
    poolQueueLimit: options.poolQueueLimit,
    executionProviders: options.executionProviders,
    batching: options.batching.enabled
      ? options.batching
      : { maxBatchSize: 1, maxQueueDelayMicros: 0, queueLimit: options.batching.queueLimit },
    ...(hooks.onRegistryEvent ? { onEvent: hooks.onRegistryEvent } : {}),
  });

  const tokens = [
    ...options.auth.tokens,
    ...(options.auth.tokensFile
      ? (JSON.parse(readFileSync(options.auth.tokensFile, 'utf8')) as { id: string; token: string }[])
      : []),
  ];
  const checker = tokens.length > 0 ? createTokenChecker(tokens) : undefined;
  const server = new Server({
    ...(checker ? { interceptors: [createAuthInterceptor(checker)] } : {}),
    'grpc.max_receive_message_length': options.limits.maxReceiveMessageBytes,
    'grpc.max_send_message_length': options.limits.maxSendMessageBytes,
    'grpc.max_concurrent_streams': options.limits.maxConcurrentStreams,
    'grpc.keepalive_time_ms': options.keepalive.timeMs,
    'grpc.keepalive_timeout_ms': options.keepalive.timeoutMs,
    'grpc.http2.min_ping_interval_without_data_ms': options.keepalive.minPingIntervalMs,
    'grpc.keepalive_permit_without_calls': 1,
  });

  let draining = false;
  let live = true;
  const state: ServiceState = {
    registry,
    maxInFlightPerStream: options.limits.maxInFlightPerStream,
    draining: () => draining,
    streams: new Set(),
    inFlight: { count: 0 },
    accessLog: openAccessLog(options.accessLog),
  };
  const ready = () => !draining && registry.models.length > 0;
  server.addService(splitInferenceService(), createSplitInferenceHandlers(state));
  server.addService(
    loadModelRepositoryProto().cleave.v1.ModelRepository.service,
    createAdminHandlers({ registry, token: options.admin.token, modelControl: options.modelControl.mode }),
  );

  // NOT_SERVING until the models are loaded, and again while draining; liveness stays SERVING
  // while the process can answer at all.
  const health = new HealthImplementation({
    '': 'NOT_SERVING',
    [READINESS_SERVICE]: 'NOT_SERVING',
    [SPLIT_INFERENCE_SERVICE_NAME]: 'NOT_SERVING',
    [MODEL_REPOSITORY_SERVICE_NAME]: options.admin.token ? 'SERVING' : 'NOT_SERVING',
    [LIVENESS_SERVICE]: 'SERVING',
  });
  const updateHealth = () => {
    const s = ready() ? 'SERVING' : 'NOT_SERVING';
    for (const name of ['', READINESS_SERVICE, SPLIT_INFERENCE_SERVICE_NAME]) health.setStatus(name, s);
  };
  registry.onChange(updateHealth);
  health.addToServer(server);
  new ReflectionService({
    ...loadCleavePackageDefinition(),
    ...loadModelRepositoryPackageDefinition(),
    ...loadHealthPackageDefinition(),
  }).addToServer(server);

  const address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, serverCredentials(options.tls), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  let http: ListeningHttpServer | undefined;
  let poller: NodeJS.Timeout | undefined;
  const stopDepth = observeQueueDepth(() =>
    registry.models.flatMap((m) => [
      { model: { model: m.name, version: m.version }, queued: m.batcher.stats().queued },
      ...(m.full
        ? [
            {
              model: { model: `${m.name}${FULL_MODEL_SUFFIX}`, version: m.version },
              queued: m.full.batcher.stats().queued,
            },
          ]
        : []),
    ]),
  );
  try {
    if (options.http.enabled) {
      http = await startTailHttp(
        options.host,
        options.http.port,
        {
          registry,
          live: () => live,
          ready,
          inFlight: state.inFlight,
          maxBodyBytes: options.http.maxBodyBytes,
          ...(checker ? { identify: (h: unknown) => checker.identify(h) } : {}),
          serverVersion: hooks.serverVersion ?? '0.1.0',
        },
        hooks.httpRoutes,
      );
    }
    await registry.reconcile();
    if (registry.models.length === 0 && options.modelControl.mode === 'none') {
      const named = options.models.length ? ` named ${options.models.join(', ')}` : '';
      throw new Error(`no bundles to serve in ${options.modelsDir}${named}`);
    }
  } catch (error) {
    stopDepth();
    server.forceShutdown();
    await http?.close();
    await registry.close();
    state.accessLog?.close();
    throw error;
  }
  if (options.modelControl.mode === 'poll') {
    const tick = () => {
      void registry.reconcile().finally(() => {
        if (live) poller = setTimeout(tick, options.modelControl.pollIntervalMs).unref();
      });
    };
    poller = setTimeout(tick, options.modelControl.pollIntervalMs).unref();
  }

  const stopBackground = async () => {
    live = false;
    clearTimeout(poller);
    stopDepth();
    await http?.close();
  };

  let drained: Promise<void> | undefined;
  async function drainNow(): Promise<void> {
    draining = true;
    updateHealth();
    const until = Date.now() + options.drainTimeoutMs;
    while (state.inFlight.count > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
    // Every taken request is answered; end the long-lived streams so clients reconnect elsewhere.
    for (const call of state.streams) {
      call.emit('error', { code: status.UNAVAILABLE, details: 'server is shutting down' });
    }
    state.streams.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          server.forceShutdown();
          resolve();
        },
        Math.max(0, until - Date.now()),
      );
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await stopBackground();
    await registry.close();
    state.accessLog?.close();
  }

  return {
    options,
    registry,
    port,
    address: `${options.host}:${port}`,
    httpPort: http?.port,
    ready,
    drain: () => {
      drained ??= drainNow();
      return drained;
    },
    async forceClose() {
      draining = true;
      server.forceShutdown();
      await stopBackground();
      await registry.close();
      state.accessLog?.close();
    },
  };
}
