// What `cleave split` and `cleave split --learn` both start from: the model parsed, the cut
// checked, the shapes probed, head / tail / full cut out, their MACs counted, and the labels.
import type { Manifest } from '@cleave/models';
import type { Normalization } from './calibration-input.js';
import { cutModel, fullModel, type HeadBranch } from './cut-graph.js';
import type { CutPoint } from './cut-points.js';
import { indexGraph, nodesNeeded } from './graph-index.js';
import { macNodes, sumMacs } from './macs.js';
import { decodeOnnxModel, encodeOnnxModel } from './onnx-proto.js';
import { modelInputDims, probeShapes } from './shape-probe.js';
import type { CutIo } from './split-calibration.js';
import { checkFeatureShape, resolveCut, SplitError } from './split-errors.js';

export interface PreparedCut {
  cut: CutPoint;
  cuts: CutPoint[];
  io: CutIo;
  labels: string[];
  bytes: { head: Uint8Array; tail: Uint8Array; full: Uint8Array };
  macs: { head: number; tail: number; full: number };
}

export interface PrepareOptions {
  model: Uint8Array;
  at: string;
  /** One sample, to probe the shapes the graph does not state. */
  sample: Float32Array | undefined;
  inputDims?: readonly number[] | undefined;
  labels?: readonly string[] | undefined;
  /** Bits the plain cut sends its features at (checked against the frame's limits). */
  bits: number;
  branch?: HeadBranch | undefined;
}

export async function prepareCut(options: PrepareOptions): Promise<PreparedCut> {
  const index = indexGraph(decodeOnnxModel(options.model));
  const { cut, cuts } = resolveCut(index, options.at);
  const inputDims = modelInputDims(index, options.inputDims);
  if (inputDims.length !== 3 || inputDims[0]! > 4) {
    throw new SplitError(
      `expected an image classifier with input [C, H, W] (C ≤ 4), got [${inputDims.join(', ')}]`,
    );
  }
  if (options.sample === undefined) throw new SplitError('the calibration set is empty');
  const counted = macNodes(index);
  const shapes = await probeShapes(index, inputDims, options.sample, [
    cut.tensor,
    ...counted.map((m) => m.output),
  ]);
  const featureDims = shapes.get(cut.tensor)!;
  const logitsDims = shapes.get(index.outputName)!;
  if (logitsDims.length !== 1)
    throw new SplitError(`expected logits [batch, K], the output has [batch, ${logitsDims.join(', ')}]`);
  checkFeatureShape(featureDims, options.bits, cut.tensor);
  const classes = logitsDims[0]!;
  const labels = options.labels
    ? [...options.labels]
    : Array.from({ length: classes }, (_, k) => `class_${k}`);
  if (labels.length !== classes) throw new SplitError(`${labels.length} labels for ${classes} classes`);

  const cutShapes = { input: inputDims, features: featureDims, logits: logitsDims };
  const models = cutModel(index, cut.tensor, cutShapes, options.branch);
  const bytes = {
    head: encodeOnnxModel(models.head),
    tail: encodeOnnxModel(models.tail),
    full: encodeOnnxModel(fullModel(index, cutShapes)),
  };
  const headIds = nodesNeeded(index, [cut.tensor]);
  const tailIds = nodesNeeded(index, [index.outputName], new Set([cut.tensor]));
  const macs = {
    head: sumMacs(index, headIds, shapes),
    tail: sumMacs(index, tailIds, shapes),
    full: sumMacs(index, nodesNeeded(index, [index.outputName]), shapes),
  };
  return { cut, cuts, io: { ...models.names, inputDims, featureDims, classes }, labels, bytes, macs };
}

/** The manifest's `input` block for a model taking `io.input` normalised with `normalization`. */
export function manifestInput(io: CutIo, normalization: Normalization): Manifest['input'] {
  return {
    name: io.input,
    shape: [...io.inputDims],
    dtype: 'float32',
    layout: 'NCHW',
    source: { width: io.inputDims[2]!, height: io.inputDims[1]!, channels: io.inputDims[0]! },
    normalization: {
      scale: normalization.scale,
      mean: [...normalization.mean],
      std: [...normalization.std],
    },
  };
}
