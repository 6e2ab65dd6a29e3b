// `createTailServer(options)`: the cloud half of Cleave. Serves SplitInference, grpc.health.v1
// and server reflection; drains in-flight requests before it stops.

import {
  HealthImplementation,
  loadCleavePackageDefinition,
  loadCleaveProto,
  loadHealthPackageDefinition,
  SPLIT_INFERENCE_SERVICE_NAME,
} from '@cleave/wire';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { createModelRegistry, type ModelRegistry } from './model-registry.js';
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './server-options.js';
import { createSplitInferenceHandlers, type ServiceState } from './split-inference-service.js';

export interface TailServer {
  readonly options: ResolvedServerOptions;
  readonly registry: ModelRegistry;
  /** The bound port (useful with port 0). */
  readonly port: number;
  readonly address: string;
  /**
   * Stops taking new work (health NOT_SERVING, new requests UNAVAILABLE), answers every request
   * already taken, closes the streams, then shuts down. Forced after drainTimeoutMs.
   */
  drain(): Promise<void>;
  /** Immediate stop; in-flight requests fail with UNAVAILABLE on the client. */
  forceClose(): Promise<void>;
}

export async function createTailServer(input: ServerOptions): Promise<TailServer> {
  const options = resolveServerOptions(input);
  const registry = await createModelRegistry({
    modelsDir: options.modelsDir,
    only: options.models,
    workers: options.workers,
    intraOpThreads: options.intraOpThreads,
    poolQueueLimit: options.poolQueueLimit,
    executionProviders: options.executionProviders,
    batching: options.batching.enabled
      ? options.batching
      : { maxBatchSize: 1, maxQueueDelayMicros: 0, queueLimit: options.batching.queueLimit },
  });

  const server = new Server({
    'grpc.max_receive_message_length': options.limits.maxReceiveMessageBytes,
    'grpc.max_send_message_length': options.limits.maxSendMessageBytes,
    'grpc.max_concurrent_streams': options.limits.maxConcurrentStreams,
    'grpc.keepalive_time_ms': options.keepalive.timeMs,
    'grpc.keepalive_timeout_ms': options.keepalive.timeoutMs,
    'grpc.http2.min_ping_interval_without_data_ms': options.keepalive.minPingIntervalMs,
    'grpc.keepalive_permit_without_calls': 1,
  });

  let draining = false;
  const state: ServiceState = {
    registry,
    maxInFlightPerStream: options.limits.maxInFlightPerStream,
    draining: () => draining,
    streams: new Set(),
    inFlight: { count: 0 },
  };
  const proto = loadCleaveProto();
  server.addService(proto.cleave.v1.SplitInference.service, createSplitInferenceHandlers(state));

  const health = new HealthImplementation({ '': 'SERVING', [SPLIT_INFERENCE_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService({ ...loadCleavePackageDefinition(), ...loadHealthPackageDefinition() }).addToServer(
    server,
  );

  const address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });

  let drained: Promise<void> | undefined;
  async function drainNow(): Promise<void> {
    draining = true;
    health.setStatus('', 'NOT_SERVING');
    health.setStatus(SPLIT_INFERENCE_SERVICE_NAME, 'NOT_SERVING');
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
    await registry.close();
  }

  return {
    options,
    registry,
    port,
    address: `${options.host}:${port}`,
    drain: () => {
      drained ??= drainNow();
      return drained;
    },
    async forceClose() {
      draining = true;
      server.forceShutdown();
      await registry.close();
    },
  };
}
