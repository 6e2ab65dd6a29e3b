// Options of `createAgent`, validated in one place with the defaults filled in.

import { hostname } from 'node:os';
import { ClientTlsFilesSchema, OptionsError, resolveOptions } from '@cleave/options';
import { z } from 'zod';

export const AgentOptionsSchema = z
  .object({
    /** A bundle folder (manifest.json + ONNX files). */
    bundleDir: z.string().min(1),
    /** This agent's identity in traces, metrics and the fleet; default the host name. */
    id: z.string().min(1).default(hostname()),
    cloud: z
      .object({
        /** The tail server, host:port or a grpc-js target; null = never offload (edge only). */
        target: z.string().min(1).nullable().default(null),
        /** Budget for one offload round trip; past it the agent answers locally, degraded. */
        timeoutMs: z.number().int().min(1).max(600_000).default(2000),
        /**
         * Streams kept open to the tail service. With `balancing: round_robin` each lands on one
         * replica behind the target (dns:///name:port, or a list ipv4:a:p,b:q); requests go to the
         * stream with the fewest unanswered. Use a multiple of the replica count.
         */
        streams: z.number().int().min(1).max(64).default(4),
        balancing: z.enum(['round_robin', 'pick_first']).default('round_robin'),
        /** Streams are recycled after this (±10 %), so replicas added later get their share; null = never. */
        maxStreamAgeMs: z.number().int().min(1000).nullable().default(60_000),
        /** A new channel (the name resolved afresh: new replicas found) after this; null = never. */
        channelMaxAgeMs: z.number().int().min(1000).nullable().default(300_000),
        /** Least time between two DNS resolutions; a dropped connection asks for one. */
        minResolveIntervalMs: z.number().int().min(100).default(5000),
        /** Requests written in one turn share a message once the server announces bundles (docs/wire-format.md). */
        bundle: z.boolean().default(true),
        /** Offloads allowed to wait for the link's backpressure to clear. */
        maxQueuedWrites: z.number().int().min(1).default(4096),
        keepaliveTimeMs: z.number().int().min(1000).default(30_000),
        keepaliveTimeoutMs: z.number().int().min(1000).default(10_000),
        maxMessageBytes: z
          .number()
          .int()
          .min(1024)
          .default(4 * 1024 * 1024),
        /** TLS to the tail server (PEM files); certFile + keyFile for mutual TLS. */
        tls: ClientTlsFilesSchema.optional(),
        /** Bearer token for the tail server (its auth.tokens); or tokenFile, read at start. */
        token: z.string().min(1).optional(),
        tokenFile: z.string().min(1).optional(),
      })
      .prefault({}),
    /** Default routing; each request may override it. */
    mode: z.enum(['cascade', 'edge-only', 'cloud-only']).default('cascade'),
    /** Stages of the cascade, in order of cost. Any can be switched off. */
    stages: z
      .object({
        cache: z.boolean().default(true),
        exit: z.boolean().default(true),
        /** Needs dual-a and dual-b in the bundle; ignored when they are absent. */
        dual: z.boolean().default(true),
      })
      .prefault({}),
    cache: z
      .object({
        maxEntries: z.number().int().min(0).default(10_000),
        maxBytes: z
          .number()
          .int()
          .min(0)
          .default(16 * 1024 * 1024),
        ttlMs: z.number().int().min(1).default(3_600_000),
        /** Off by default: near-duplicates get a cached answer, trading accuracy for hits. */
        perceptual: z
          .object({ enabled: z.boolean().default(false), radius: z.number().int().min(0).max(64).default(4) })
          .prefault({}),
      })
      .prefault({}),
    /** Keep offloaded inputs whose cloud answer disagrees with the device's guess, for retraining. */
    hardExamples: z
      .object({
        dir: z.string().min(1).nullable().default(null),
        maxItems: z.number().int().min(1).default(1000),
        maxBytes: z
          .number()
          .int()
          .min(1)
          .default(64 * 1024 * 1024),
      })
      .prefault({}),
    /** When to offload: the service-level goal and the circuit breaker. */
    policy: z
      .object({
        /** Per-request latency goal; when the link's predicted round trip would miss it, answer locally (degraded). */
        latencyBudgetMs: z.number().positive().nullable().default(null),
        /** Radio energy one offload may cost the device, mJ (modelled for energy.link); null for no limit. */
        energyBudgetMj: z.number().positive().nullable().default(null),
        /** Keep (not degraded) a best local answer whose gate score is at least this; null to always offload. */
        minConfidence: z.number().min(0).max(1).nullable().default(null),
        /** While offloads are skipped for the budget, one shadow offload per interval keeps the estimate fresh. */
        probeIntervalMs: z.number().int().min(10).default(1000),
        breaker: z
          .object({
            failureThreshold: z.number().int().min(1).default(5),
            baseBackoffMs: z.number().int().min(1).default(250),
            maxBackoffMs: z.number().int().min(1).default(30_000),
            jitter: z.number().min(0).max(1).default(0.2),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Energy per inference (docs/energy.md): the board's meter, or an emulated device profile. */
    energy: z
      .object({
        enabled: z.boolean().default(true),
        /** Emulate this board's power model (jetson-nano, jetson-orin-nano, rpi4, rpi5, x86). */
        device: z.string().optional(),
        /** Radio power model for offloads: wifi, lte, 5g, ethernet, 3g (or one from radioProfilesFile). */
        link: z.string().default('wifi'),
        radioProfilesFile: z.string().optional(),
        /** Link rates for the radio model until the agent has measured its uplink (Mbit/s). */
        uplinkMbps: z.number().positive().optional(),
        downlinkMbps: z.number().positive().optional(),
        sampleHz: z.number().min(10).max(1000).default(10),
        /** Where sysfs is read (tests point it at fixture trees). */
        sysRoot: z.string().default('/'),
      })
      .prefault({}),
    gate: z
      .object({
        /** Overrides the manifest's default score function (exit and dual gates). */
        scoreFunction: z.string().optional(),
        /** Overrides the manifest's calibrated exit threshold for that score function. */
        threshold: z.number().finite().optional(),
        /** Overrides the manifest's calibrated dual threshold. */
        dualThreshold: z.number().finite().optional(),
      })
      .prefault({}),
    /** Worker threads running the head. */
    workers: z.number().int().min(1).max(16).default(1),
    intraOpThreads: z.number().int().min(1).max(16).default(1),
    poolQueueLimit: z.number().int().min(1).default(1024),
    /** e.g. ['cuda', 'cpu'] on a Jetson with a CUDA build of onnxruntime (not tested here). */
    executionProviders: z.array(z.string()).min(1).default(['cpu']),
  })
  .strict();

export type AgentOptions = z.input<typeof AgentOptionsSchema>;
export type ResolvedAgentOptions = z.output<typeof AgentOptionsSchema>;

export class AgentOptionsError extends OptionsError {
  override name = 'AgentOptionsError';
}

export function resolveAgentOptions(options: AgentOptions): ResolvedAgentOptions {
  return resolveOptions(
    AgentOptionsSchema,
    options,
    'agent options',
    (issues) => new AgentOptionsError('agent options', issues),
  );
}
