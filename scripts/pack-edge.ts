// `npm run pack:edge -- --arch arm64|x64 [--out DIR]`: the release artifact for a device.
// Lays out a self-contained agent tree for Linux on that processor, whatever this machine is:
//   - the runtime, compiled from TypeScript to JavaScript here (release-js.ts), so the device
//     runs plain `node`; the shipped bundles and deploy/edge (install.sh, unit, udev rule);
//   - node_modules from `npm ci --omit=dev --cpu=ARCH --os=linux --libc=glibc`, so that npm
//     picks sharp's and esbuild's builds for ARCH, with onnxruntime-node's other platforms removed;
//   - Node itself, from the npm package node-linux-ARCH at a pinned version and integrity.
// Then it refuses the tree if any native binary in it is for another processor, and writes
// DIR/cleave-edge-VERSION-linux-ARCH.tar.gz with a .sha256 beside it (sha256sum's format).
// Everything comes from the npm registry; nothing is downloaded from anywhere else.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findNativeBinaries, foreignBinaries, RELEASE_ARCHES, type ReleaseArch } from './native-binaries.js';
import { compileReleaseTree } from './release-js.js';

const ROOT = join(import.meta.dirname, '..');

/** The Node bundled in the release: Node 20 LTS, as the machine's own (DESIGN.md). */
export const RELEASE_NODE = {
  version: '20.20.2',
  // `npm view node-linux-ARCH@VERSION dist.integrity`, checked after `npm pack`.
  integrity: {
    arm64: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
    x64: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  } satisfies Record<ReleaseArch, string>,
} as const;

/** What a device needs from a checkout: the same parts deploy/edge/install.sh copies. */
const RUNTIME_PARTS = [
  'package.json',
  'package-lock.json',
  '.npmrc',
  'tsconfig.base.json',
  'proto',
  'services',
  'edge-agent',
  'cloud-server',
  'bench', // the CLI imports @cleave/bench when it starts
  'cli',
  'models',
  'deploy/edge',
  'docs/deploy.md',
  'test/package.json', // a workspace that npm ci expects
];

/** release.json at the root of the tree: install.sh checks its arch against the target's. */
export interface ReleaseInfo {
  name: 'cleave-edge';
  version: string;
  os: 'linux';
  arch: ReleaseArch;
  node: string;
}

export interface PackedRelease {
  tarball: string;
  sha256: string;
  bytes: number;
  /** The folder name inside the tarball. */
  folder: string;
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Whether `src` is a source the release is built from: not node_modules, not a unit test, and
 * none of what the test tree (scripts/test-tree.ts) adds when the suite packs a release from it:
 * an earlier compile's output (a .js beside its .ts, a source map) and the tsx launcher it keeps.
 */
export function isRuntimeSource(src: string): boolean {
  const name = basename(src);
  if (name === 'node_modules' || name === 'cleave-tsx.js') return false;
  if (name.endsWith('.test.ts') || name.endsWith('.js.map')) return false;
  return !(src.endsWith('.js') && existsSync(`${src.slice(0, -3)}.ts`));
}

/** Copies the runtime parts of the checkout, without unit tests (compiled afterwards). */
function copyRuntime(tree: string): void {
  for (const part of RUNTIME_PARTS) {
    cpSync(join(ROOT, part), join(tree, part), { recursive: true, filter: isRuntimeSource });
  }
}

/** Production dependencies for ARCH; then only onnxruntime-node's own build for linux/ARCH. */
function installDependencies(tree: string, arch: ReleaseArch): void {
  run(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      `--cpu=${arch}`,
      '--os=linux',
      '--libc=glibc',
      '--no-audit',
      '--no-fund',
    ],
    tree,
  );
  // onnxruntime-node ships every platform's binaries in one package; a device needs one.
  const napi = join(tree, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  for (const os of readdirSync(napi)) {
    for (const cpu of readdirSync(join(napi, os))) {
      if (os !== 'linux' || cpu !== arch) rmSync(join(napi, os, cpu), { recursive: true });
    }
  }
}

/** node/bin/node and its licence from node-linux-ARCH, verified against the pinned integrity. */
function addNode(tree: string, arch: ReleaseArch, work: string): void {
  const spec = `node-linux-${arch}@${RELEASE_NODE.version}`;
  const packed = JSON.parse(run('npm', ['pack', spec, '--json', '--pack-destination', work], work)) as {
    filename: string;
    integrity: string;
  }[];
  const got = packed[0]!;
  if (got.integrity !== RELEASE_NODE.integrity[arch]) {
    throw new Error(`${spec}: integrity ${got.integrity}, pinned ${RELEASE_NODE.integrity[arch]}`);
  }
  const unpacked = join(work, 'node-package');
  mkdirSync(unpacked);
  run('tar', ['-xzf', join(work, got.filename), '-C', unpacked, 'package/bin/node', 'package/LICENSE'], work);
  mkdirSync(join(tree, 'node', 'bin'), { recursive: true });
  cpSync(join(unpacked, 'package', 'bin', 'node'), join(tree, 'node', 'bin', 'node'));
  cpSync(join(unpacked, 'package', 'LICENSE'), join(tree, 'node', 'LICENSE'));
}

export interface PackEdgeOptions {
  arch: ReleaseArch;
  out: string;
  /** gzip's level, 1 (fast) to 9; 6 by default, as gzip's own. */
  gzipLevel?: number;
}

export async function packEdge(options: PackEdgeOptions): Promise<PackedRelease> {
  const { arch } = options;
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  const folder = `cleave-edge-${version}-linux-${arch}`;
  const work = mkdtempSync(join(tmpdir(), 'cleave-pack-'));
  try {
    const tree = join(work, folder);
    mkdirSync(tree);
    copyRuntime(tree);
    await compileReleaseTree(tree, RELEASE_NODE.version);
    installDependencies(tree, arch);
    addNode(tree, arch, work);
    const info: ReleaseInfo = { name: 'cleave-edge', version, os: 'linux', arch, node: RELEASE_NODE.version };
    writeFileSync(join(tree, 'release.json'), `${JSON.stringify(info, null, 2)}\n`);

    const foreign = foreignBinaries(findNativeBinaries(tree), arch);
    if (foreign.length > 0) {
      throw new Error(
        `the ${arch} tree holds binaries for other processors: ${foreign.map((b) => `${b.path} (${b.kind})`).join(', ')}`,
      );
    }
    mkdirSync(options.out, { recursive: true });
    const tarball = join(resolve(options.out), `${folder}.tar.gz`);
    // Owner and group are the device's business, not this machine's.
    const gzip = `gzip -${options.gzipLevel ?? 6}`;
    run(
      'tar',
      [
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        `--use-compress-program=${gzip}`,
        '-cf',
        tarball,
        '-C',
        work,
        folder,
      ],
      work,
    );
    const sha256 = await sha256Of(tarball);
    writeFileSync(`${tarball}.sha256`, `${sha256}  ${basename(tarball)}\n`);
    return { tarball, sha256, bytes: statSync(tarball).size, folder };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({
    options: { arch: { type: 'string' }, out: { type: 'string', default: join(ROOT, 'dist') } },
  });
  const arch = values.arch as ReleaseArch;
  if (!RELEASE_ARCHES.includes(arch)) {
    console.error(`usage: npm run pack:edge -- --arch ${RELEASE_ARCHES.join('|')} [--out DIR]`);
    process.exit(2);
  }
  const packed = await packEdge({ arch, out: values.out! });
  console.log(`${packed.tarball}\n  ${(packed.bytes / 2 ** 20).toFixed(1)} MiB, sha256 ${packed.sha256}`);
}
