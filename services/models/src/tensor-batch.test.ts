import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { elementCount, splitBatch, stackBatch } from './tensor-batch.js';

const opts = { timeout: 5_000 };

describe('tensor batch', () => {
  it('tensor batch - stacks samples into one batch and splits it back', opts, () => {
    const samples = [
      Float32Array.from([1, 2, 3, 4]),
      Float32Array.from([5, 6, 7, 8]),
      Float32Array.from([9, 10, 11, 12]),
    ];
    const batch = stackBatch(samples, [1, 2, 2]);
    assert.deepEqual(batch.dims, [3, 1, 2, 2]);
    assert.deepEqual([...batch.data], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const split = splitBatch(batch);
    assert.deepEqual(
      split.map((s) => [...s]),
      samples.map((s) => [...s]),
    );
    assert.equal(split[1]?.buffer, batch.data.buffer, 'split samples are views, not copies');
  });

  it('tensor batch - stacks an empty batch', opts, () => {
    assert.deepEqual(stackBatch([], [10]), { data: new Float32Array(0), dims: [0, 10] });
    assert.deepEqual(splitBatch({ data: new Float32Array(0), dims: [0, 10] }), []);
  });

  it('tensor batch - refuses samples and tensors of the wrong size', opts, () => {
    assert.throws(() => stackBatch([new Float32Array(4), new Float32Array(3)], [4]), /sample 1 has 3 values/);
    assert.throws(() => splitBatch({ data: new Float32Array(5), dims: [2, 3] }), /need 6/);
    assert.throws(() => splitBatch({ data: new Float32Array(1), dims: [] }), /scalar/);
    assert.throws(() => elementCount([2, -1]), RangeError);
  });
});
