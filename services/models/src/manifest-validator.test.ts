import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BundleError, BundleErrorCode } from './bundle-error.js';
import type { Manifest } from './manifest-schema.js';
import { parseManifest, validateManifest } from './manifest-validator.js';
import { createFixtureBundle } from './testing/bundle-fixture.js';

const FILE = 'models/fmnist-bf8/manifest.json';
const opts = { timeout: 10_000 };

/** A fresh valid manifest (head, tail, full, dual-a, dual-b, with entropy tables). */
const good = (): Manifest => structuredClone(createFixtureBundle().manifest);
// Tests poke at fields the types forbid, so they edit an untyped copy.
// biome-ignore lint/suspicious/noExplicitAny: the point is to write values the types would refuse
type Loose = Record<string, any>;

/** A mutation that sets (or, with undefined, deletes) the field at a path like `files[0].role`. */
function set(path: string, value: unknown): (m: Loose) => void {
  const keys = path.match(/[^.[\]]+/g) ?? [];
  const last = keys.pop() ?? '';
  return (m) => {
    const parent = keys.reduce((node, key) => node[key], m);
    if (value === undefined) Reflect.deleteProperty(parent, last);
    else parent[last] = value;
  };
}

function refusal(mutate: (m: Loose) => unknown): BundleError {
  const m = good() as Loose;
  mutate(m);
  try {
    validateManifest(m, FILE);
  } catch (error) {
    assert.ok(error instanceof BundleError, `expected BundleError, got ${String(error)}`);
    return error;
  }
  assert.fail('manifest was accepted');
}

describe('manifest', () => {
  it('manifest - accepts a valid manifest and returns it', opts, () => {
    const m = good();
    assert.deepEqual(validateManifest(JSON.parse(JSON.stringify(m)), FILE), m);
  });

  it('manifest - accepts head+tail only, per-tensor ranges and no entropy tables', opts, () => {
    const { manifest } = createFixtureBundle({ extraRoles: [], entropy: false });
    manifest.bottleneck.quantization = {
      ...manifest.bottleneck.quantization,
      granularity: 'per-tensor',
      min: [-2],
      max: [2],
    };
    assert.equal(validateManifest(manifest, FILE).files.length, 2);
  });

  it('manifest - the message names the file and the field', opts, () => {
    const error = refusal((m) => {
      m.bottleneck.bits = 9;
    });
    assert.equal(error.name, 'BundleError');
    assert.equal(error.code, BundleErrorCode.MANIFEST_INVALID);
    assert.equal(error.file, FILE);
    assert.equal(error.field, 'bottleneck.bits');
    assert.equal(error.message, `${FILE}: bottleneck.bits: expected integer 1..8`);
  });

  const table = [1024, 1024, 1024, 1024];
  const cases: Array<[string, (m: Loose) => unknown, string, RegExp]> = [
    ['schema version', set('schemaVersion', 2), 'schemaVersion', /expected 1/],
    ['name', set('name', 'Bad Name'), 'name', /a-z0-9/],
    ['version', set('version', 'x'.repeat(40)), 'version', /32/],
    ['labels', set('labels', ['only']), 'labels', /at least 2/],
    ['duplicate label', set('labels[3]', 'T-shirt/top'), 'labels[3]', /duplicate/],
    ['unknown key', set('extra', 1), 'extra', /unknown key/],
    ['typo in a nested key', set('bottleneck.bitz', 2), 'bottleneck.bitz', /unknown key/],
    ['missing field', set('calibration.method', undefined), 'calibration.method', /^required/],
    ['input shape vs source', set('input.shape', [3, 28, 28]), 'input.shape', /\[1, 28, 28\]/],
    ['normalization', set('input.normalization.std', [0.3, 0.3]), 'input.normalization.std', /1 or 1/],
    ['sha256', set('files[2].sha256', 'abc'), 'files[2].sha256', /64 lowercase hex/],
    ['role', set('files[2].role', 'middle'), 'files[2].role', /head, tail/],
    ['duplicate role', set('files[3].role', 'full'), 'files[3].role', /more than once/],
    ['missing head', (m) => m.files.splice(0, 1), 'files', /role "head"/],
    [
      'head features',
      set('files[0].outputs[1].shape', [-1, 8, 7, 8]),
      'files[0].outputs[1].shape',
      /bottleneck/,
    ],
    ['tail input', set('files[1].inputs[0].shape', [-1, 4, 7, 7]), 'files[1].inputs[0].shape', /bottleneck/],
    [
      'bottleneck shape',
      set('bottleneck.shape', [8, 7, 6]),
      'files[0].outputs[1].shape',
      /\[batch, 8, 7, 6\]/,
    ],
    ['exit logits', set('files[0].outputs[0].name', 'exit'), 'files[0].outputs', /exit_logits/],
    ['logits width', set('files[2].outputs[0].shape', [-1, 9]), 'files[2].outputs[0].shape', /labels/],
    ['dtype', set('files[0].inputs[0].dtype', 'float64'), 'files[0].inputs[0].dtype', /float32/],
    ['bits', set('bottleneck.bits', 2.5), 'bottleneck.bits', /integer 1\.\.8/],
    ['min length', set('bottleneck.quantization.min', [-1, -1]), 'bottleneck.quantization.min', /expected 8/],
    ['min < max', set('bottleneck.quantization.max[3]', -1), 'bottleneck.quantization.max[3]', /> min\[3\]/],
    [
      'table count',
      set('bottleneck.entropy.tables', [table]),
      'bottleneck.entropy.tables',
      /expected 8 tables/,
    ],
    ['table sum', set('bottleneck.entropy.tables[3][0]', 1025), 'bottleneck.entropy.tables[3]', /4096/],
    [
      'table size',
      set('bottleneck.entropy.tables[5]', [2048, 2048]),
      'bottleneck.entropy.tables[5]',
      /4 entries/,
    ],
    ['table entry', set('bottleneck.entropy.tables[1][2]', 0), 'bottleneck.entropy.tables[1][2]', /positive/],
    [
      'threshold',
      set('gates.exit.thresholds.margin', Number.POSITIVE_INFINITY),
      'gates.exit.thresholds.margin',
      /finite/,
    ],
    [
      'threshold type',
      set('gates.exit.thresholds.entropy', '0.9'),
      'gates.exit.thresholds.entropy',
      /finite/,
    ],
    [
      'default threshold',
      set('gates.exit.thresholds.max-softmax', undefined),
      'gates.exit.thresholds.max-softmax',
      /default/,
    ],
    ['score function', set('gates.exit.default', 'top1'), 'gates.exit.default', /max-softmax/],
    ['dual gate without dual files', (m) => m.files.splice(3, 2), 'gates.dual', /dual-a/],
    ['accuracy range', set('metrics.accuracy.split', 1.5), 'metrics.accuracy.split', /\[0, 1\]/],
    [
      'accuracy for a present role',
      set('metrics.accuracy.full', undefined),
      'metrics.accuracy.full',
      /required/,
    ],
    ['extra metric', set('metrics.note', 'text'), 'metrics.note', /finite/],
    ['extra metric group', set('metrics.group', { a: 'x' }), 'metrics.group', /finite/],
    [
      'extra accuracy',
      set('metrics.accuracy.exit-cascade', 1.2),
      'metrics.accuracy.exit-cascade',
      /\[0, 1\]/,
    ],
    ['extra calibration field', set('calibration.rule', {}), 'calibration.rule', /string or a finite number/],
  ];
  for (const [what, mutate, field, message] of cases) {
    it(`manifest - refuses a bad ${what}, naming ${field}`, opts, () => {
      const error = refusal(mutate);
      assert.equal(error.code, BundleErrorCode.MANIFEST_INVALID);
      const issue = error.issues.find((i) => i.field === field);
      assert.ok(issue, `no issue on ${field}; got ${JSON.stringify(error.issues)}`);
      assert.match(issue.message, message);
      assert.ok(error.message.startsWith(`${FILE}: `), error.message);
    });
  }

  it('manifest - allows the extra figures a recipe reports in calibration and metrics', opts, () => {
    const m = good() as Loose;
    m.metrics.p95FrameBytes = 71.5;
    m.metrics.complementarity = { oracle: 0.97, bRightWhereAWrong: 0.41 };
    m.metrics.accuracy['exit-cascade'] = 0.9;
    m.calibration.rule = 'every 10th training image per class';
    delete m.calibration.seed;
    const metrics = validateManifest(m, FILE).metrics;
    assert.equal(metrics.p95FrameBytes, 71.5);
    assert.deepEqual(metrics.complementarity, { oracle: 0.97, bRightWhereAWrong: 0.41 });
    assert.equal(metrics.accuracy['exit-cascade'], 0.9);
  });

  for (const path of [
    '../head.onnx',
    '/etc/passwd',
    'sub/head.onnx',
    'sub\\head.onnx',
    '..',
    'C:head.onnx',
    '.hidden',
  ]) {
    it(`manifest - refuses file path ${JSON.stringify(path)} as PATH_ESCAPE`, opts, () => {
      const error = refusal((m) => {
        m.files[1].path = path;
        m.bottleneck.bits = 99; // a path escape is reported even when other fields are wrong
      });
      assert.equal(error.code, BundleErrorCode.PATH_ESCAPE);
      assert.equal(error.field, 'files[1].path');
      assert.match(error.message, /^models\/fmnist-bf8\/manifest\.json: files\[1\]\.path: /);
    });
  }

  it('manifest - reports every issue and counts the rest in the message', opts, () => {
    const error = refusal((m) => {
      m.name = '';
      m.bottleneck.bits = 0;
    });
    assert.equal(error.issues.length, 2);
    assert.match(error.message, /\(and 1 more\)$/);
  });

  it('manifest - the example in docs/bundle-format.md is valid', opts, async () => {
    const doc = await readFile(
      join(import.meta.dirname, '..', '..', '..', 'docs', 'bundle-format.md'),
      'utf8',
    );
    const example = doc.split('```json\n')[1]?.split('```')[0] ?? '';
    assert.equal(parseManifest(example, 'docs/bundle-format.md').name, 'fmnist-bf8');
  });

  it('manifest - refuses text that is not JSON', opts, () => {
    assert.throws(
      () => parseManifest('{ "schemaVersion": 1,', FILE),
      (e: unknown) => e instanceof BundleError && e.code === 'MANIFEST_INVALID' && e.message.startsWith(FILE),
    );
  });
});
