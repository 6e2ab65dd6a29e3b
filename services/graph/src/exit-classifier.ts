// `cleave split --exit-at TENSOR`: an early exit for a user's own model, with no training
// framework. ONNX Runtime extracts TENSOR (a tensor the head computes) on the calibration samples;
// it is global-average-pooled to one value per channel, and a softmax regression
// (softmax-regression.ts) is fitted to the FULL model's own top-1 on the 3 of every 4 samples
// (distillation: no labels). The held-out quarter chooses the gate thresholds and gives honest
// numbers. The classifier becomes a head branch GlobalAveragePool → Flatten → Gemm → exit_logits.
import { argmax, SCORE_FUNCTIONS, scoreFunction, softmax, stackBatch } from '@cleave/models';
import type { HeadBranch } from './cut-graph.js';
import { probeModel } from './cut-graph.js';
import { describeCut } from './cut-points.js';
import { type GraphIndex, indexGraph, nodesNeeded } from './graph-index.js';
import { openModels } from './model-runner.js';
import { decodeOnnxModel, floatTensor, floatValueInfo, makeNode, OnnxDataType } from './onnx-proto.js';
import {
  chooseThreshold,
  fitSoftmaxRegression,
  regressionLogits,
  type SoftmaxRegression,
} from './softmax-regression.js';
import { resolveCut, SplitError, type SplitOptions } from './split-model.js';

export const EXIT_LOGITS = 'exit_logits';
/** Every HOLDOUT_EVERY-th calibration sample (index % HOLDOUT_EVERY === HOLDOUT_EVERY − 1) is held out. */
export const HOLDOUT_EVERY = 4;
const BATCH = 16;

export interface ExitOptions {
  model: Uint8Array;
  /** The cut tensor (a valid cut point); the exit tensor must be computed by the head. */
  at: string;
  exitAt: string;
  samples: readonly Float32Array[];
  /** One sample's input dims [C, H, W]. */
  inputDims: readonly number[];
  /** Share of its answers on which the exit must agree with the full model (default 0.99). */
  agreement?: number;
}

export interface ExitFit {
  /** What splitModel takes as `exit`. */
  exit: NonNullable<SplitOptions['exit']>;
  classifier: SoftmaxRegression;
  /** Dims of the exit tensor for one sample (no batch). */
  tensorDims: number[];
  fitSamples: number;
  heldOut: number;
  /** The default (max-softmax) gate on the held-out samples. */
  threshold: number;
  coverage: number;
  /** Agreement with the full model on the held-out samples the exit answers. */
  answeredAgreement: number;
  /** Agreement with the full model on every held-out sample (exit answers all). */
  heldOutAgreement: number;
  /** The same on the samples it was fitted to. */
  fitAgreement: number;
}

/** Refuses an exit tensor the head does not compute, listing the ones it could use. */
export function checkExitTensor(index: GraphIndex, at: string, exitAt: string): void {
  const { cuts } = resolveCut(index, at);
  const headNodes = new Set(nodesNeeded(index, [at]));
  const producer = index.producer.get(exitAt);
  const t = index.elemType.get(exitAt);
  let why: string | undefined;
  if (exitAt === EXIT_LOGITS || index.producer.has(EXIT_LOGITS))
    why = `the graph already has a tensor named "${EXIT_LOGITS}", the name the exit branch writes`;
  else if (producer === undefined)
    why =
      exitAt === index.inputName
        ? `"${exitAt}" is the model's input: an exit reads a tensor the head computes`
        : `no tensor "${exitAt}" is computed in this graph`;
  else if (!headNodes.has(producer))
    why = `"${exitAt}" is not computed by the head of a cut at "${at}" (it is downstream of the cut or beside it)`;
  else if (!index.dynamic.has(exitAt)) why = `"${exitAt}" does not depend on the input (a constant)`;
  else if (t !== undefined && t !== OnnxDataType.FLOAT) why = `"${exitAt}" is not a float32 tensor`;
  if (why === undefined) return;
  const head = cuts.filter((c) => headNodes.has(index.producer.get(c.tensor)!));
  throw new SplitError(
    `cannot exit at "${exitAt}": ${why}. Candidates: the valid cut points up to the cut, or any other float tensor the head computes:\n${head.map((c) => `  ${describeCut(c)}`).join('\n')}`,
  );
}

/** Per sample, the mean over every dim after the first (channel) of one sample's activations. */
export function poolActivations(data: Float32Array, count: number, dims: readonly number[]): Float64Array[] {
  const channels = dims[0]!;
  const per = dims.reduce((a, b) => a * b, 1);
  const stride = per / channels;
  return Array.from({ length: count }, (_, i) => {
    const row = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      let s = 0;
      const from = i * per + c * stride;
      for (let j = from; j < from + stride; j++) s += data[j]!;
      row[c] = s / stride;
    }
    return row;
  });
}

/** The pooled exit activations and the full model's logits, by ONNX Runtime. */
export async function exitActivations(
  index: GraphIndex,
  inputDims: readonly number[],
  tensor: string,
  samples: readonly Float32Array[],
): Promise<{ pooled: Float64Array[]; logits: Float32Array[]; tensorDims: number[] }> {
  const runner = await openModels({ probe: probeModel(index, inputDims, [tensor]) });
  const pooled: Float64Array[] = [];
  const logits: Float32Array[] = [];
  let tensorDims: number[] = [];
  try {
    for (let i = 0; i < samples.length; i += BATCH) {
      const batch = samples.slice(i, i + BATCH);
      const out = await runner.run('probe', { [index.inputName]: stackBatch(batch, [...inputDims]) });
      const act = out[tensor]!;
      const y = out[index.outputName]!;
      tensorDims = act.dims.slice(1);
      if (tensorDims.length < 1)
        throw new SplitError(`"${tensor}" has dims [${act.dims.join(', ')}]: an exit needs [batch, C, …]`);
      if (y.dims.length !== 2)
        throw new SplitError(`expected logits [batch, K], the output has [${y.dims.join(', ')}]`);
      pooled.push(...poolActivations(act.data, batch.length, tensorDims));
      const k = y.dims[1]!;
      for (let j = 0; j < batch.length; j++) logits.push(y.data.slice(j * k, (j + 1) * k));
    }
  } finally {
    await runner.close();
  }
  return { pooled, logits, tensorDims };
}

/** GlobalAveragePool (if the tensor has spatial dims) → Flatten → Gemm → exit_logits. */
export function exitBranch(
  tensor: string,
  tensorDims: readonly number[],
  model: SoftmaxRegression,
): HeadBranch {
  const p = 'cleave_exit/';
  const nodes = [];
  let x = tensor;
  if (tensorDims.length > 1) {
    nodes.push(makeNode('GlobalAveragePool', [x], [`${p}pooled`], `${p}GlobalAveragePool`));
    nodes.push(makeNode('Flatten', [`${p}pooled`], [`${p}flat`], `${p}Flatten`, { axis: 1 }));
    x = `${p}flat`;
  }
  nodes.push(makeNode('Gemm', [x, `${p}weight`, `${p}bias`], [EXIT_LOGITS], `${p}Gemm`, { transB: 1 }));
  return {
    nodes,
    initializers: [
      floatTensor(`${p}weight`, [model.classes, model.dims], Float32Array.from(model.weights)),
      floatTensor(`${p}bias`, [model.classes], Float32Array.from(model.bias)),
    ],
    outputs: [floatValueInfo(EXIT_LOGITS, [model.classes])],
  };
}

/** Fits the exit, chooses its gate and builds the branch; SplitError when it cannot be done. */
export async function fitExit(options: ExitOptions): Promise<ExitFit> {
  const target = options.agreement ?? 0.99;
  if (!(target > 0 && target <= 1)) throw new SplitError(`--exit-agreement must be in (0, 1], got ${target}`);
  const index = indexGraph(decodeOnnxModel(options.model));
  checkExitTensor(index, options.at, options.exitAt);
  const n = options.samples.length;
  const held = (i: number) => i % HOLDOUT_EVERY === HOLDOUT_EVERY - 1;
  const heldCount = Math.floor(n / HOLDOUT_EVERY);
  if (heldCount < 20)
    throw new SplitError(
      `an exit needs at least ${20 * HOLDOUT_EVERY} calibration samples (1 in ${HOLDOUT_EVERY} is held out to choose its gate); got ${n}: raise --limit or add inputs`,
    );
  const { pooled, logits, tensorDims } = await exitActivations(
    index,
    options.inputDims,
    options.exitAt,
    options.samples,
  );
  const classes = logits[0]!.length;
  const teacher = logits.map((l) => argmax(l));
  const fitIdx = teacher.map((_, i) => i).filter((i) => !held(i));
  const heldIdx = teacher.map((_, i) => i).filter(held);
  const classifier = fitSoftmaxRegression(
    fitIdx.map((i) => pooled[i]!),
    fitIdx.map((i) => teacher[i]!),
    classes,
  );
  const exitLogits = pooled.map((row) => regressionLogits(classifier, row));
  const agrees = exitLogits.map((l, i) => argmax(l) === teacher[i]);
  const share = (idx: number[]) => idx.filter((i) => agrees[i]).length / idx.length;
  const probs = heldIdx.map((i) => softmax(exitLogits[i]!));
  const heldAgrees = heldIdx.map((i) => agrees[i]!);
  const thresholds: Record<string, number> = {};
  // Thresholds for every score function the agent's gate knows, with the agent's own definitions.
  const choices = SCORE_FUNCTIONS.map((name) => {
    const score = scoreFunction(name);
    const choice = chooseThreshold(probs.map(score), heldAgrees, target);
    if (choice) thresholds[name] = choice.threshold;
    return { name, choice };
  });
  const gate = choices.find((c) => c.name === 'max-softmax')!.choice;
  if (!gate) {
    throw new SplitError(
      `the exit at "${options.exitAt}" does not reach ${(target * 100).toFixed(1)}% agreement with the full model even on its most confident held-out sample (${(share(heldIdx) * 100).toFixed(1)}% overall): exit at a later tensor, lower --exit-agreement, or calibrate on more inputs`,
    );
  }
  const score = scoreFunction('max-softmax');
  const heldOut = heldIdx.map((sample, j) => ({
    sample,
    answered: score(probs[j]!) >= gate.threshold,
    agrees: agrees[sample]!,
  }));
  const heldOutAgreement = share(heldIdx);
  return {
    exit: {
      branch: exitBranch(options.exitAt, tensorDims, classifier),
      gate: { default: 'max-softmax', thresholds },
      accuracy: heldOutAgreement,
      coverage: gate.coverage,
      tensor: options.exitAt,
      target,
      fitSamples: fitIdx.length,
      heldOut,
      answeredAgreement: gate.answeredAgreement,
    },
    classifier,
    tensorDims,
    fitSamples: fitIdx.length,
    heldOut: heldIdx.length,
    threshold: gate.threshold,
    coverage: gate.coverage,
    answeredAgreement: gate.answeredAgreement,
    heldOutAgreement,
    fitAgreement: share(fitIdx),
  };
}
