import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isRuntimeSource } from './pack-edge.js';
import { buildTestTree } from './test-tree.js';

// A checkout in miniature: a root package, one workspace that exports TypeScript, its link in
// node_modules, a test that imports it through the link, and the CLI launcher.
const root = mkdtempSync(join(tmpdir(), 'cleave-test-tree-'));
after(() => rmSync(root, { recursive: true, force: true }));
const write = (path: string, text: string) => {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
};
const pkg = { name: '@cleave/lib', type: 'module', exports: { '.': './src/index.ts' } };
write('package.json', JSON.stringify({ name: 'root', type: 'module', workspaces: ['lib'] }));
write('lib/package.json', JSON.stringify(pkg));
write('lib/src/index.ts', 'export const twice = (n: number): number => n * 2;\n');
write(
  'test/x.test.ts',
  "import { twice } from '@cleave/lib';\nconst n: number = twice(21);\nconsole.log(n);\n",
);
write('cli/bin/cleave.js', "import 'tsx';\n");
write('models/m.json', '{}');
mkdirSync(join(root, 'node_modules', '@cleave'), { recursive: true });
symlinkSync('../../lib', join(root, 'node_modules', '@cleave', 'lib'));

test('test tree - compiled, linked, and the checkout left as it was', async () => {
  const { tree, compiled } = await buildTestTree(root);
  assert.equal(compiled, 2);
  // The compiled test runs with plain node and finds the workspace's compiled code in the copy.
  const run = spawnSync(process.execPath, ['test/x.test.js'], { cwd: tree, encoding: 'utf8' });
  assert.equal(run.stdout.trim(), '42', run.stderr);
  // Data is linked, not copied; the .ts stay beside their .js.
  assert.equal(statSync(join(tree, 'models/m.json')).ino, statSync(join(root, 'models/m.json')).ino);
  assert.ok(existsSync(join(tree, 'lib/src/index.ts')));
  // The copy's exports and launcher are its own: the checkout's files did not change.
  assert.equal(
    JSON.parse(readFileSync(join(tree, 'lib/package.json'), 'utf8')).exports['.'],
    './src/index.js',
  );
  assert.deepEqual(JSON.parse(readFileSync(join(root, 'lib/package.json'), 'utf8')), pkg);
  assert.match(readFileSync(join(tree, 'cli/bin/cleave.js'), 'utf8'), /main\.js/);
  assert.equal(readFileSync(join(root, 'cli/bin/cleave.js'), 'utf8'), "import 'tsx';\n");
  assert.ok(!existsSync(join(root, 'lib/src/index.js')));
  // A release packed from the copy is built from its sources, not from the compiled files.
  assert.deepEqual(
    [
      'lib/src/index.ts',
      'lib/src/index.js',
      'lib/src/index.js.map',
      'test/x.test.js',
      'cli/bin/cleave.js',
    ].map((f) => isRuntimeSource(join(tree, f))),
    [true, false, false, false, true],
  );
});

test('test tree - a .js beside its .ts is refused (compiling would write through the link)', async () => {
  write('lib/src/index.js', 'export const twice = 0;\n');
  try {
    await assert.rejects(buildTestTree(root), /index\.js sits beside its \.ts/);
  } finally {
    rmSync(join(root, 'lib/src/index.js'));
  }
});
