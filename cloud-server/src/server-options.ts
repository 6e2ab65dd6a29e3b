// Options of `createTailServer`, validated in one place with the defaults filled in.
import { resolveOptions } from '@cleave/options';
import { z } from 'zod';
import { VersionPolicySchema } from './version-policy.js';

export const ServerOptionsSchema = z
  .object({
    /** Interface to bind. Use 0.0.0.0 only behind a firewall or with TLS (hardening issue). */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one (tests). */
    port: z.number().int().min(0).max(65535).default(50051),
    modelsDir: z.string().min(1),
    /** Serve only these bundle names; all bundles in modelsDir when empty. */
    models: z.array(z.string()).default([]),
    /** Worker threads per served model version; each runs one batch at a time. */
    workers: z.number().int().min(1).max(64).default(2),
    /**
     * Batches each worker holds: the one it runs plus the ones waiting in its message port, so it
     * starts the next without waiting for the event loop to answer the last. 1 turns this off.
     */
    batchesPerWorker: z.number().int().min(1).max(8).default(2),
    /**
     * Also serve each bundle's full.onnx (raw input to logits) over HTTP as `<name>:full`, for
     * clients that send the input itself. Off by default: it loads a second session per worker.
     */
    serveFull: z.boolean().default(false),
    intraOpThreads: z.number().int().min(1).max(64).default(1),
    /** ONNX Runtime's intra-op spinning; turn off when intraOpThreads > 1 shares cores with others. */
    intraOpSpinning: z.boolean().default(true),
    executionProviders: z.array(z.string()).min(1).default(['cpu']),
    /** Runs waiting for a worker in one model version's pool. */
    poolQueueLimit: z.number().int().min(1).default(256),
    batching: z
      .object({
        enabled: z.boolean().default(true),
        maxBatchSize: z.number().int().min(1).max(1024).default(32),
        maxQueueDelayMicros: z.number().int().min(0).max(1_000_000).default(2000),
        /** Sizes sent at once when the queue holds that many (Triton's preferred_batch_size). */
        preferredBatchSizes: z.array(z.number().int().min(1)).default([]),
        /** Requests waiting per model version; beyond it RESOURCE_EXHAUSTED at once. */
        queueLimit: z.number().int().min(1).default(4096),
      })
      .prefault({}),
    /** Which versions of each bundle to serve: { latest: N }, 'all' or { specific: [...] }. */
    versionPolicy: VersionPolicySchema.default({ latest: 1 }),
    /** Per bundle name, overriding versionPolicy. */
    versionPolicies: z.record(z.string(), VersionPolicySchema).default({}),
    modelControl: z
      .object({
        /**
         * none: load at start, never change; poll: rescan the model folder every pollIntervalMs
         * and load, reload or retire versions; explicit: load at start, then only the admin API
         * (ModelRepository Load/Unload) changes what is served.
         */
        mode: z.enum(['none', 'poll', 'explicit']).default('none'),
        pollIntervalMs: z.number().int().min(100).default(5000),
      })
      .prefault({}),
    /** TLS on the gRPC port; with requireClientCert, mutual TLS against caFile. */
    tls: z
      .object({
        certFile: z.string().min(1),
        keyFile: z.string().min(1),
        caFile: z.string().min(1).optional(),
        requireClientCert: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** Bearer tokens for SplitInference (gRPC and HTTP infer); none: no token needed. */
    auth: z
      .object({
        tokens: z
          .array(
            z.object({
              id: z.string().min(1),
              token: z.string().min(16, 'tokens must be at least 16 characters'),
            }),
          )
          .default([]),
        /** A JSON file with more [{ "id", "token" }] entries (e.g. a mounted Kubernetes secret). */
        tokensFile: z.string().min(1).optional(),
      })
      .prefault({}),
    admin: z
      .object({
        /** Bearer token for cleave.v1.ModelRepository; the admin API refuses every call without one. */
        token: z.string().min(16, 'admin.token must be at least 16 characters').optional(),
      })
      .prefault({}),
    http: z
      .object({
        /** KServe v2 (Open Inference Protocol) HTTP endpoints: health, metadata, infer. */
        enabled: z.boolean().default(true),
        /** 0 picks a free one (tests). Triton uses 8000. */
        port: z.number().int().min(0).max(65535).default(8000),
        /** Largest request body accepted. */
        maxBodyBytes: z
          .number()
          .int()
          .min(1024)
          .default(4 * 1024 * 1024),
      })
      .prefault({}),
    limits: z
      .object({
        /** A 64x14x14 float frame is ~50 KB; 4 MiB leaves room without inviting abuse. */
        maxReceiveMessageBytes: z
          .number()
          .int()
          .min(1024)
          .default(4 * 1024 * 1024),
        maxSendMessageBytes: z
          .number()
          .int()
          .min(1024)
          .default(4 * 1024 * 1024),
        maxConcurrentStreams: z.number().int().min(1).default(100),
        /** Requests in flight on one InferStream; more get RESOURCE_EXHAUSTED in-band. */
        maxInFlightPerStream: z.number().int().min(1).default(2048),
      })
      .prefault({}),
    keepalive: z
      .object({
        /** Must not be shorter than the agents' keepalive interval, or they get GOAWAY. */
        timeMs: z.number().int().min(1000).default(30_000),
        timeoutMs: z.number().int().min(1000).default(10_000),
        minPingIntervalMs: z.number().int().min(1000).default(10_000),
      })
      .prefault({}),
    /**
     * A JSON line per answer (request id, stream, peer, outcome) appended to this file, '-' for
     * standard output; each written before its answer is sent. Off by default: one write each.
     */
    accessLog: z.string().min(1).optional(),
    /** On SIGTERM: how long in-flight requests may take to finish before the server quits anyway. */
    drainTimeoutMs: z.number().int().min(0).default(10_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.keepalive.timeoutMs >= o.keepalive.timeMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['keepalive', 'timeoutMs'],
        message: 'must be shorter than keepalive.timeMs',
      });
    }
    if (o.tls?.requireClientCert && !o.tls.caFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls', 'caFile'],
        message: 'requireClientCert needs the CA that signs client certificates',
      });
    }
    if (o.limits.maxInFlightPerStream > o.batching.queueLimit) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'maxInFlightPerStream'],
        message: `must not exceed batching.queueLimit (${o.batching.queueLimit}): one stream could fill the queue alone`,
      });
    }
    for (const size of o.batching.preferredBatchSizes) {
      if (size > o.batching.maxBatchSize) {
        ctx.addIssue({
          code: 'custom',
          path: ['batching', 'preferredBatchSizes'],
          message: `${size} exceeds batching.maxBatchSize (${o.batching.maxBatchSize})`,
        });
      }
    }
  });

export type ServerOptions = z.input<typeof ServerOptionsSchema>;
export type ResolvedServerOptions = z.output<typeof ServerOptionsSchema>;

/** Validates options; the OptionsError lists every bad field by path. */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  return resolveOptions(ServerOptionsSchema, options, 'server options');
}
