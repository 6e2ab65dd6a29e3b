/** A dense float32 tensor as it crosses the session pool: row-major data and its dims. */
export interface FloatTensor {
  data: Float32Array;
  dims: number[];
}

/** Named tensors: a model's feeds or its outputs. */
export type TensorMap = Record<string, FloatTensor>;

/** The number of elements in a tensor of these dims. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in [${dims.join(', ')}]`);
    n *= d;
  }
  return n;
}

/**
 * Stacks samples of the same shape into one batch tensor of dims `[samples.length, ...sampleDims]`.
 * The data is copied into one new buffer, which the pool can then transfer without a further copy.
 */
export function stackBatch(samples: readonly Float32Array[], sampleDims: readonly number[]): FloatTensor {
  const size = elementCount(sampleDims);
  const data = new Float32Array(samples.length * size);
  samples.forEach((sample, i) => {
    if (sample.length !== size) {
      throw new RangeError(
        `sample ${i} has ${sample.length} values, expected ${size} for [${sampleDims.join(', ')}]`,
      );
    }
    data.set(sample, i * size);
  });
  return { data, dims: [samples.length, ...sampleDims] };
}

/**
 * Splits a batch tensor along its first dimension. The samples are views into `batch.data`
 * (no copy); copy one with `.slice()` to keep it without holding the whole batch.
 */
export function splitBatch(batch: FloatTensor): Float32Array[] {
  const [count, ...sampleDims] = batch.dims;
  if (count === undefined) throw new RangeError('cannot split a scalar: dims are []');
  const size = elementCount(sampleDims);
  if (batch.data.length !== count * size) {
    throw new RangeError(
      `tensor has ${batch.data.length} values, dims [${batch.dims.join(', ')}] need ${count * size}`,
    );
  }
  const rows = new Array<Float32Array>(count);
  for (let i = 0; i < count; i++) rows[i] = batch.data.subarray(i * size, (i + 1) * size);
  return rows;
}
