// Cut points and cutting on a small residual network built here: x → MatMul → Relu → [block:
// MatMul → Relu → Add(skip)] → MatMul → logits. The block's inner tensors are bypassed by the
// skip connection, so they are not valid cuts; the tensors between blocks are, and head → tail
// gives the full model's output exactly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeOnnxModel as buildModel, seededFloats } from '@cleave/models/testing';
import { cutModel, FEATURES_NAME, fullModel, LOGITS_NAME } from './cut-graph.js';
import { explainInvalidCut, validCutPoints } from './cut-points.js';
import { indexGraph } from './graph-index.js';
import { openModels } from './model-runner.js';
import { decodeOnnxModel, encodeOnnxModel } from './onnx-proto.js';

const N = 6;
const w = (name: string, seed: number, rows = N, cols = N) => ({
  name,
  dims: [rows, cols],
  data: seededFloats(rows * cols, seed, 0.5),
});

function residualModel(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', shape: ['batch', N] }],
    outputs: [{ name: 'out', shape: ['batch', 3] }],
    initializers: [w('W1', 1), w('W2', 2), w('W3', 3, N, 3)],
    nodes: [
      { opType: 'MatMul', inputs: ['x', 'W1'], outputs: ['h1'] },
      { opType: 'Relu', inputs: ['h1'], outputs: ['a1'] },
      { opType: 'MatMul', inputs: ['a1', 'W2'], outputs: ['h2'] }, // inside the block
      { opType: 'Relu', inputs: ['h2'], outputs: ['a2'] }, // inside the block
      { opType: 'Add', inputs: ['a2', 'a1'], outputs: ['r'] }, // the skip joins
      // W2 is read again after the block: an initializer both sides need.
      { opType: 'MatMul', inputs: ['r', 'W2'], outputs: ['h3'] },
      { opType: 'MatMul', inputs: ['h3', 'W3'], outputs: ['out'] },
    ],
  });
}

describe('graph cutting', () => {
  it('cut points - the dominators of the output: block outputs yes, tensors inside the block no', {
    timeout: 10_000,
  }, () => {
    const index = indexGraph(decodeOnnxModel(residualModel()));
    const cuts = validCutPoints(index);
    assert.deepEqual(
      cuts.map((c) => c.tensor),
      ['h1', 'a1', 'r', 'h3'],
    );
    const why = explainInvalidCut(index, 'h2', cuts);
    assert.ok(why);
    assert.match(why, /cannot cut at "h2"/);
    assert.match(why, /"a1"/); // the skip connection it names
    assert.match(why, /Valid cut points near it:\n {2}h1 .*\n {2}a1 .*\n {2}r /);
    assert.match(explainInvalidCut(index, 'nope', cuts) ?? '', /no tensor "nope"/);
    assert.match(explainInvalidCut(index, 'W1', cuts) ?? '', /weight/);
    assert.equal(explainInvalidCut(index, 'r', cuts), undefined);
  });

  it('cut - head then tail equals the full model at every cut; shared weights go to both sides', {
    timeout: 30_000,
  }, async () => {
    const index = indexGraph(decodeOnnxModel(residualModel()));
    const x = seededFloats(4 * N, 9, 2);
    const shapes = { input: [N], features: [N], logits: [3] };
    const full = await openModels({ full: fullModel(index, shapes) });
    const reference = (await full.run('full', { x: { data: x, dims: [4, N] } }))[LOGITS_NAME]!.data;
    await full.close();
    for (const cut of validCutPoints(index)) {
      const { head, tail, names } = cutModel(index, cut.tensor, shapes);
      assert.equal(names.features, FEATURES_NAME);
      const headInits = head.graph!.initializer.map((t) => t.name).sort();
      const tailInits = tail.graph!.initializer.map((t) => t.name).sort();
      if (cut.tensor === 'r') {
        assert.deepEqual(headInits, ['W1', 'W2']);
        assert.deepEqual(tailInits, ['W2', 'W3']);
      }
      // Through the bytes, as a bundle stores them.
      const runner = await openModels({
        head: decodeOnnxModel(encodeOnnxModel(head)),
        tail: encodeOnnxModel(tail),
      });
      try {
        const f = (await runner.run('head', { x: { data: x, dims: [4, N] } }))[FEATURES_NAME]!;
        const out = (await runner.run('tail', { [FEATURES_NAME]: f }))[LOGITS_NAME]!.data;
        assert.deepEqual(Array.from(out), Array.from(reference), `cut at ${cut.tensor}`);
      } finally {
        await runner.close();
      }
    }
  });
});
