// What the edge runner hands back to the orchestrator: the spec it ran (what `cleave bench edge`
// reads) and, per run, one record per request. Both cross a process boundary as JSON, so both are
// zod schemas and the orchestrator validates what the child wrote.
import { z } from 'zod';
import { LINK_NAMES } from './link-profiles.js';

export const StrategySpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), id: z.string() }),
  z.object({ kind: z.literal('offload'), id: z.string(), format: z.enum(['raw', 'webp']) }),
  z.object({
    kind: z.literal('agent'),
    id: z.string(),
    bundleDir: z.string(),
    mode: z.enum(['cascade', 'cloud-only']),
    dual: z.boolean(),
    cache: z.boolean(),
    /** Every image this many times, shuffled (the cache strategy's duplicated stream). */
    duplicate: z.int().min(1),
  }),
  z.object({ kind: z.literal('policy'), id: z.string(), device: z.string() }),
  /** One of the policy's plans held fixed, for the accuracy pass. */
  z.object({ kind: z.literal('plan'), id: z.string(), plan: z.string() }),
]);
export type StrategySpec = z.infer<typeof StrategySpecSchema>;

export const SloSchema = z.object({
  /** Per-request latency goal on the device, ms. */
  latencyMs: z.number().positive(),
  /** Accuracy the policy may give up against the teacher, percentage points. */
  accuracyDropPt: z.number().min(0),
});
export type Slo = z.infer<typeof SloSchema>;

export const EdgeSpecSchema = z.object({
  mode: z.enum(['camera', 'accuracy']),
  link: z
    .object({
      name: z.enum(LINK_NAMES),
      rateMbit: z.number(),
      delayMs: z.number(),
      loss: z.number(),
      radio: z.string(),
    })
    .nullable(),
  /** Camera mode: frames per second and images per run at each. */
  runs: z.array(z.object({ fps: z.number().positive(), images: z.int().min(1) })),
  /** Accuracy mode: test images (class-balanced prefix) and requests in flight. */
  accuracyImages: z.int().min(1),
  concurrency: z.int().min(1),
  strategies: z.array(StrategySpecSchema),
  targets: z.object({ tail: z.string(), full: z.string() }),
  modelsDir: z.string(),
  /** The bundle whose full.onnx is the teacher on the device and in the cloud. */
  teacherBundleDir: z.string(),
  /** The bundle the policy uses (chosen from the SLO's accuracy), with the others it considered. */
  policyBundleDir: z.string(),
  costs: z.record(z.string(), z.number()),
  slo: SloSchema,
  timeoutMs: z.int().positive(),
  warmup: z.int().min(0),
  /** Quiet time after the warm-up, before the camera starts, ms. */
  idleMs: z.int().min(0),
});
export type EdgeSpec = z.infer<typeof EdgeSpecSchema>;

export const RequestRecordSchema = z.object({
  image: z.int(),
  truth: z.int(),
  label: z.int(),
  source: z.string(),
  degraded: z.boolean(),
  /** When the camera captured the frame, ms from the run's start. */
  captureMs: z.number(),
  /** Capture to answer, ms, measured here over the emulated link. */
  latencyMs: z.number(),
  /** On-device work measured in this request (models, codec, WebP), ms here. */
  deviceMs: z.number(),
  /** Cost keys (compute-costs.ts) of the models and codecs that ran on the device: what is charged. */
  models: z.array(z.string()),
  /** Feature or WebP encoding as measured in this request, ms here (for information). */
  codecMs: z.number(),
  /** Serialized gRPC request bytes sent and response bytes received (0 when nothing was sent). */
  bytesUp: z.number(),
  bytesDown: z.number(),
  /** When the offload left the device, ms from the run's start. */
  sentMs: z.number().nullable(),
  /** The policy's plan for this request. */
  plan: z.string().optional(),
});
export type RequestRecord = z.infer<typeof RequestRecordSchema>;

export const CameraRunSchema = z.object({
  strategy: z.string(),
  fps: z.number(),
  wallMs: z.number(),
  requests: z.array(RequestRecordSchema),
  /** The policy's plan changes: at which request, which plan, and its estimates. */
  plans: z
    .array(z.object({ at: z.int(), plan: z.string(), estimates: z.record(z.string(), z.number()) }))
    .optional(),
});
export type CameraRun = z.infer<typeof CameraRunSchema>;

export const AccuracyRunSchema = z.object({
  strategy: z.string(),
  requests: z.int(),
  correct: z.int(),
  /** Sum over requests of gRPC request bytes (local answers count 0). */
  bytesUp: z.number(),
  offloads: z.int(),
  degraded: z.int(),
  bySource: z.record(z.string(), z.int()),
  wallMs: z.number(),
});
export type AccuracyRun = z.infer<typeof AccuracyRunSchema>;

export const EdgeOutputSchema = z.object({
  camera: z.array(CameraRunSchema),
  accuracy: z.array(AccuracyRunSchema),
  notes: z.array(z.string()),
});
export type EdgeOutput = z.infer<typeof EdgeOutputSchema>;
