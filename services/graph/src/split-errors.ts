// The refusals `cleave split` makes before any work: a cut that is not a valid cut point, features
// that cannot travel in a feature frame. Each message says what to do instead.
import { checkFloat32Count, FLOAT32_BITS, MAX_DIM, MAX_ELEMENTS, MAX_RANK } from '@cleave/codec';
import { type CutPoint, explainInvalidCut, validCutPoints } from './cut-points.js';
import type { GraphIndex } from './graph-index.js';

/** A cut that cannot be made, or options that cannot work; the message says what to do. */
export class SplitError extends Error {
  override readonly name = 'SplitError';
}

/** Parses the model and checks the cut: the valid cut or a SplitError naming the nearest valid ones. */
export function resolveCut(index: GraphIndex, at: string): { cut: CutPoint; cuts: CutPoint[] } {
  const cuts = validCutPoints(index);
  if (cuts.length === 0)
    throw new SplitError('this graph has no valid cut point between its input and output');
  const why = explainInvalidCut(index, at, cuts);
  if (why !== undefined) throw new SplitError(why);
  return { cut: cuts.find((c) => c.tensor === at)!, cuts };
}

/** Checks that the features fit a feature frame at these bits. */
export function checkFeatureShape(dims: readonly number[], bits: number, at: string): void {
  const count = dims.reduce((a, b) => a * b, 1);
  const why =
    dims.length < 1 || dims.length > MAX_RANK
      ? `a frame carries 1..${MAX_RANK} dims`
      : dims.some((d) => d > MAX_DIM)
        ? `a frame's dims are at most ${MAX_DIM}`
        : count > MAX_ELEMENTS
          ? `a frame carries at most ${MAX_ELEMENTS} values`
          : undefined;
  if (why)
    throw new SplitError(`cannot send "${at}" of shape [${dims.join(', ')}] in a feature frame: ${why}`);
  if (bits === FLOAT32_BITS) {
    try {
      checkFloat32Count(count);
    } catch (error) {
      throw new SplitError(
        `cannot send "${at}" as float32: ${(error as Error).message}; cut later or use --bits 8`,
      );
    }
  }
}
