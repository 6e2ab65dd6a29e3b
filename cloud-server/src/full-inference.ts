// One request through a bundle's full model (served with `serveFull`). Over KServe v2 HTTP the
// client sends the normalised input tensor itself, as a client of any other inference server
// would. Over gRPC (a stream or call that declares `<bundle>:full` in its cleave-model metadata)
// the frame field carries the input image: its raw pixels, as the agent takes them, or an encoded
// image (a lossless WebP gives the same pixels back), normalised here as the manifest says.
import { InputError } from '@cleave/models';
import type { InferResult } from '@cleave/wire';
import { queueFull } from './dynamic-batcher.js';
import type { ModelRegistry, ServedModel } from './model-registry.js';
import { FULL_MODEL_SUFFIX, type FullModel } from './served-model.js';
import { ServingError, ServingErrorCode } from './serving-errors.js';
import { batchedAnswer, type DeclaredModel } from './tail-inference.js';

/** Whether a requested model name means a bundle's full model, and which bundle. */
export function fullModelBase(name: string): string | undefined {
  return name.endsWith(FULL_MODEL_SUFFIX) ? name.slice(0, -FULL_MODEL_SUFFIX.length) : undefined;
}

/** The served version whose full model answers `<base>:full` (newest, or the named version). */
export function findFullModel(
  registry: ModelRegistry,
  base: string,
  version?: string,
): (ServedModel & { full: FullModel }) | undefined {
  const model = registry.find(base, version);
  return model?.full ? (model as ServedModel & { full: FullModel }) : undefined;
}

/** Runs one sample (the manifest's input shape, normalised) through the full model. */
export async function inferInput(
  model: ServedModel & { full: FullModel },
  sample: Float32Array,
  deadline: number,
): Promise<InferResult> {
  const arrived = performance.now();
  const expected = model.full.sampleShape.reduce((a, b) => a * b, 1);
  if (sample.length !== expected)
    throw new ServingError(
      ServingErrorCode.BAD_INPUT,
      `expected ${expected} values per sample (${model.full.sampleShape.join('×')}), got ${sample.length}`,
    );
  if (!model.full.batcher.hasRoom()) throw queueFull();
  const out = await model.full.batcher.submit(sample, deadline);
  return batchedAnswer(`${model.name}${FULL_MODEL_SUFFIX}`, model.version, out, arrived);
}

/** Runs one gRPC request whose call declared `<base>:full`: its frame is the input image. */
export async function inferImage(
  registry: ModelRegistry,
  declared: DeclaredModel,
  bytes: Uint8Array,
  deadline: number,
): Promise<InferResult> {
  const base = fullModelBase(declared.name) ?? declared.name;
  const model = findFullModel(registry, base, declared.version);
  if (!model)
    throw new ServingError(
      ServingErrorCode.MODEL_NOT_FOUND,
      `no full model ${declared.name}${declared.version ? `@${declared.version}` : ''} is served here (full models need --serve-full)`,
    );
  const kind = bytes.byteLength === model.full.input.pixelCount ? 'pixels' : 'image';
  let sample: Float32Array;
  try {
    sample = (await model.full.input.prepare({ kind, data: bytes })).tensor;
  } catch (error) {
    if (error instanceof InputError)
      throw new ServingError(ServingErrorCode.BAD_INPUT, error.message, { cause: error });
    throw error;
  }
  return inferInput(model, sample, deadline);
}
