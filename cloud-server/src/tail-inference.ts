// One request through the tail: frame → model → codec → batcher → answer.
import { decodeFrame, type FeatureFrame } from '@cleave/codec';
import type { InferResult } from '@cleave/wire';
import { type BatchedResult, queueFull } from './dynamic-batcher.js';
import type { ModelRegistry, ServedModel } from './model-registry.js';

/** The model a call names in its `cleave-model` metadata: "name" or "name@version". */
export interface DeclaredModel {
  name: string;
  version?: string;
}

export const MODEL_METADATA_KEY = 'cleave-model';

export function parseDeclaredModel(value: unknown): DeclaredModel | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const at = value.lastIndexOf('@');
  return at > 0 ? { name: value.slice(0, at), version: value.slice(at + 1) } : { name: value };
}

export function softmaxTop(logits: Float32Array): { label: number; score: number } {
  let label = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[label]!) label = i;
  const max = logits[label]!;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return { label, score: 1 / sum };
}

/**
 * Runs one frame. Its header, its pairing with the model and the queue's room are checked before
 * it takes a queue slot; its payload is entropy-decoded straight into the batch tensor, and one
 * that does not decode is refused then, alone. A typed error (FrameError, FrameMismatchError,
 * ServingError) says what was wrong.
 */
export async function inferFrame(
  registry: ModelRegistry,
  frameBytes: Uint8Array,
  deadline: number,
  declared?: DeclaredModel,
): Promise<InferResult> {
  const arrived = performance.now();
  const { frame, model } = admitFrame(registry, frameBytes, declared);
  const out = await model.batcher.submit(frame, deadline);
  if (out.value instanceof Error) throw out.value;
  // Narrowed by the line above (TypeScript does not narrow an object by one of its properties).
  return batchedAnswer(model.name, model.version, out as BatchedResult<Float32Array>, arrived);
}

/**
 * What inferFrame checks before a frame takes a queue slot: its header, the model it pairs with,
 * and the queue's room. Throws the typed error of the first that fails.
 */
export function admitFrame(
  registry: ModelRegistry,
  frameBytes: Uint8Array,
  declared: DeclaredModel | undefined,
): { frame: FeatureFrame; model: ServedModel } {
  // A version 3 frame's shape is its bundle's: found by the head fingerprint (or the call's model).
  const frame = decodeFrame(frameBytes, (fp) => registry.shapeForHead(fp, declared));
  const model = registry.forFrame(frame, declared);
  model.codec.assertPairs(frame);
  if (!model.batcher.hasRoom()) throw queueFull();
  return { frame, model };
}

/** The answer to one request from its share of a batch; `arrived` is its performance.now() arrival. */
export function batchedAnswer(
  name: string,
  version: string,
  out: BatchedResult<Float32Array>,
  arrived: number,
  /** False: the answer will not carry the logits, so they are not copied out (no `logits`). */
  withLogits = true,
): InferResult {
  const { label, score } = softmaxTop(out.value);
  const result: InferResult = {
    model_name: name,
    model_version: version,
    label,
    score,
    batch_size: out.batchSize,
    timing: {
      queue_us: out.queueUs,
      compute_us: out.computeUs,
      total_us: Math.round((performance.now() - arrived) * 1000),
    },
  };
  if (withLogits) result.logits = Array.from(out.value);
  return result;
}
