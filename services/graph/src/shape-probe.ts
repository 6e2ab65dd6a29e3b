// Shapes that the graph does not state (intermediate tensors, dynamic dims) come from ONNX
// Runtime itself: the model runs once on a real sample with the wanted tensors added as outputs.

import { probeModel } from './cut-graph.js';
import type { GraphIndex } from './graph-index.js';
import { openModels } from './model-runner.js';
import { OnnxModelError, valueInfoDims } from './onnx-proto.js';

/** One sample's input dims [C, H, W] from the graph input (batch first), or `override`. */
export function modelInputDims(index: GraphIndex, override?: readonly number[]): number[] {
  if (override) return [...override];
  const info = index.graph.input.find((v) => v.name === index.inputName)!;
  const dims = valueInfoDims(info);
  const sample = dims?.slice(1);
  if (!sample || sample.length === 0 || sample.some((d) => typeof d !== 'number')) {
    throw new OnnxModelError(
      `the input "${index.inputName}" has dims [${dims?.join(', ') ?? '?'}]; give the sample shape with --input-shape C,H,W`,
    );
  }
  return sample as number[];
}

/** Dims (without batch) of `tensors` and of the output, from one batch-1 run on `sample`. */
export async function probeShapes(
  index: GraphIndex,
  inputDims: readonly number[],
  sample: Float32Array,
  tensors: readonly string[],
): Promise<Map<string, number[]>> {
  const runner = await openModels({ probe: probeModel(index, inputDims, tensors) });
  try {
    const out = await runner.run('probe', { [index.inputName]: { data: sample, dims: [1, ...inputDims] } });
    return new Map(Object.entries(out).map(([name, t]) => [name, t.dims.slice(1)]));
  } finally {
    await runner.close();
  }
}
