// Must-show of `cleave split --learn` (converter parity): the ONNX → PyTorch converter in
// training/cleave_train/onnx_torch.py turns the head and the tail that @cleave/graph cuts into torch
// modules whose head → tail logits equal ONNX Runtime's full model within 1e-4:
//  - torchvision ResNet-18 (opset 13), MobileNetV2 (opset 17) and MobileNetV3-small (opset 17:
//    HardSwish, HardSigmoid, squeeze-excitation Mul) exported here with Debian's PyTorch, random
//    weights with measured batch-norm statistics, 64×64; each cut at an early, a middle and a late
//    valid cut point;
//  - every shipped bundle's full.onnx (each distinct file once), cut where the recipe's early bundles cut.
// And an op the converter does not know is refused with its type, the node and the supported ops.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cutModel,
  decodeOnnxModel,
  encodeOnnxModel,
  fullModel,
  indexGraph,
  modelInputDims,
  openModels,
  parseNpy,
  probeShapes,
  validCutPoints,
  writeNpy,
} from '@cleave/graph';
import { stackBatch } from '@cleave/models';
import { python } from './learn-support.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RUN = join(ROOT, 'training', 'run_onnx_torch.py');
const EXPORT = join(ROOT, 'test', 'fixtures', 'export_torchvision.py');
const SAMPLES = 16;
const EARLY_CUT = '/down1/down1.2/Relu_output_0';

/** Seeded inputs: a fixed linear-congruential sequence mapped to [-2, 2). */
function inputs(dims: readonly number[], count: number): Float32Array[] {
  let state = 12345;
  const per = dims.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () =>
    Float32Array.from({ length: per }, () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return (state / 2 ** 31) * 4 - 2;
    }),
  );
}

/** Max |torch head→tail − ONNX Runtime full| over `cuts` of `modelPath`. */
async function parity(dir: string, modelPath: string, cuts: string[]): Promise<Map<string, number>> {
  const index = indexGraph(decodeOnnxModel(readFileSync(modelPath)));
  const dims = modelInputDims(index);
  const xs = inputs(dims, SAMPLES);
  const shapes = await probeShapes(index, dims, xs[0]!, cuts);
  const logitsDims = shapes.get(index.outputName)!;
  const runner = await openModels({ full: fullModel(index, { input: dims, logits: logitsDims }) });
  const reference = (await runner.run('full', { [index.inputName]: stackBatch(xs, dims) })).logits!.data;
  await runner.close();
  writeNpy(join(dir, 'x.npy'), xs, dims);
  // Every cut's head and tail go to one run of Python (starting PyTorch costs more than a cut).
  const runArgs: string[] = [];
  for (const [k, cut] of cuts.entries()) {
    const models = cutModel(index, cut, { input: dims, features: shapes.get(cut)!, logits: logitsDims });
    writeFileSync(join(dir, `head${k}.onnx`), encodeOnnxModel(models.head));
    writeFileSync(join(dir, `tail${k}.onnx`), encodeOnnxModel(models.tail));
    runArgs.push(
      '--models',
      join(dir, `head${k}.onnx`),
      join(dir, `tail${k}.onnx`),
      '--out',
      join(dir, `y${k}.npy`),
    );
  }
  await python([RUN, ...runArgs, '--inputs', join(dir, 'x.npy')]);
  const out = new Map<string, number>();
  for (const [k, cut] of cuts.entries()) {
    const got = parseNpy(readFileSync(join(dir, `y${k}.npy`)));
    assert.deepEqual(got.shape, [SAMPLES, ...logitsDims]);
    let diff = 0;
    for (let i = 0; i < reference.length; i++) diff = Math.max(diff, Math.abs(got.data[i]! - reference[i]!));
    out.set(cut, diff);
  }
  return out;
}

describe('byom - ONNX → PyTorch converter for --learn', { timeout: 600_000 }, () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cleave-convert-'));
    await python([EXPORT, dir, '--models', 'resnet18', '--opset', '13']);
    await python([EXPORT, dir, '--models', 'mobilenet_v2,mobilenet_v3_small', '--opset', '17']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small']) {
    it(`${name} - converted head → tail equals ONNX Runtime within 1e-4 at early, middle and late cuts`, {
      timeout: 240_000,
    }, async () => {
      const path = join(dir, `${name}.onnx`);
      const cuts = validCutPoints(indexGraph(decodeOnnxModel(readFileSync(path)))).map((c) => c.tensor);
      const chosen = [cuts[1]!, cuts[Math.floor(cuts.length / 2)]!, cuts[cuts.length - 2]!];
      const diffs = await parity(dir, path, chosen);
      for (const [cut, diff] of diffs) assert.ok(diff < 1e-4, `${name} at ${cut}: max |Δlogit| ${diff}`);
    });
  }

  it('shipped bundles - every full.onnx, cut at the recipe’s early cut, within 1e-4', {
    timeout: 120_000,
  }, async () => {
    const models = join(ROOT, 'models');
    const bundles = readdirSync(models, { withFileTypes: true }).filter((d) => d.isDirectory());
    assert.ok(bundles.length >= 5, `found ${bundles.length} bundles`);
    // The recipe's bundles share one teacher: each distinct file (by content) is checked once.
    const distinct = new Map<string, string>();
    for (const b of bundles) {
      const path = join(models, b.name, 'full.onnx');
      distinct.set(createHash('sha256').update(readFileSync(path)).digest('hex'), b.name);
    }
    for (const name of distinct.values()) {
      const diffs = await parity(dir, join(models, name, 'full.onnx'), [EARLY_CUT]);
      assert.ok(diffs.get(EARLY_CUT)! < 1e-4, `${name}: max |Δlogit| ${diffs.get(EARLY_CUT)}`);
    }
  });

  it('unknown op - refused with the op type, the node and the supported ops', {
    timeout: 60_000,
  }, async () => {
    const path = join(dir, 'custom.onnx');
    await python([
      '-c',
      `import onnx
from onnx import helper, TensorProto as T
node = helper.make_node('Det', ['x'], ['y'], name='my_det')
g = helper.make_graph([node], 'g', [helper.make_tensor_value_info('x', T.FLOAT, [1, 2, 2])], [helper.make_tensor_value_info('y', T.FLOAT, [1])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), ${JSON.stringify(path)})`,
    ]);
    writeNpy(join(dir, 'x.npy'), inputs([2, 2], 1), [2, 2]);
    await assert.rejects(
      python([RUN, '--models', path, '--inputs', join(dir, 'x.npy'), '--out', join(dir, 'y.npy')]),
      (error: { code?: number; stderr?: string }) => {
        assert.equal(error.code, 3);
        assert.match(error.stderr ?? '', /op Det \(node "my_det"\) is not supported/);
        assert.match(error.stderr ?? '', /supported ops: .*Conv.*Gemm.*Relu/);
        return true;
      },
    );
  });
});
