// The agent on the processor it is for, on this x86 machine: the arm64 release tarball
// (npm run pack:edge -- --arch arm64), checked against its .sha256 and unpacked; install.sh
// stages it with --destdir --arch arm64; the installed unit's ExecStart runs under qemu-aarch64
// (arm64-emulation.ts) against a real x86 `cleave serve`. One tree, one server: 100 test images
// go through the arm64 agent as PNGs (sharp decodes them, mode=cloud-only) and as tensors (the
// full cascade), and the same through an x86 agent; the labels must be the same, and each
// frame the server gets must carry the bundle's head fingerprint.
// The release runs JavaScript compiled when it was packed: no TypeScript is compiled at start.
// If a native part (onnxruntime-node, sharp) does not load under emulation, the agent exits
// before it is ready and the test fails with the agent's stderr: the library's own error.
import assert from 'node:assert/strict';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ServeProcess, startServeProcess } from '@cleave/cli/serve-process';
import { headFingerprintOf } from '@cleave/codec';
import { imageAt, loadFashionMnist } from '@cleave/dataset';
import { type Agent, createAgent, type HttpApi, startHttpApi } from '@cleave/edge-agent';
import type { Manifest } from '@cleave/models';
import sharp from 'sharp';
import { parse } from 'yaml';
import { findNativeBinaries, foreignBinaries } from '../../scripts/native-binaries.js';
import { type PackedRelease, packEdge } from '../../scripts/pack-edge.js';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../support/shipped-bundles.js';
import { AGENT_READY_MS, agentReady, collectOutput, inferAll } from './arm64-agent-support.js';
import { AARCH64_SYSROOT, QEMU_AARCH64, spawnInArm64Root } from './arm64-emulation.js';
import { type FrameTap, startFrameTap } from './frame-tap.js';
import { ROOT } from './k8s-support.js';
import { parseEnvironmentFile, serviceExec } from './systemd-unit.js';

const IMAGES = 100;

describe('deploy - arm64 agent: release tarball, install.sh, qemu-aarch64, a real x86 server', {
  timeout: 600_000,
}, () => {
  const work = mkdtempSync(join(tmpdir(), 'cleave-arm64-'));
  const stage = join(work, 'stage');
  let packed: PackedRelease;
  let tree = '';
  let serving: Promise<ServeProcess> | undefined;
  let server: ServeProcess;
  let armTap: FrameTap;
  let x86Tap: FrameTap;
  let arm: ChildProcess | undefined;
  let armExit: Promise<number | null>;
  let armOutput: () => string = () => '';
  let armBase = '';
  let x86Agent: Agent;
  let x86Api: HttpApi;
  const manifest = JSON.parse(
    readFileSync(join(MODELS_DIR, DEFAULT_BUNDLE, 'manifest.json'), 'utf8'),
  ) as Manifest;

  before(async () => {
    for (const tool of [QEMU_AARCH64, join(AARCH64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')]) {
      assert.ok(existsSync(tool), `${tool} is missing: scripts/ensure-system-deps.sh installs it`);
    }
    // The x86 server starts while the tarball is packed (packing blocks this process's loop,
    // hence the long start budget).
    serving = startServeProcess(['--models', MODELS_DIR, '--model', DEFAULT_BUNDLE, '--workers', '1'], {
      timeoutMs: AGENT_READY_MS,
    });
    serving.catch(() => undefined); // its failure is reported where it is awaited
    // The artifact a board owner downloads, packed at gzip -1 here to save a minute; the
    // content is the same at any level.
    const t0 = performance.now();
    packed = await packEdge({ arch: 'arm64', out: work, gzipLevel: 1 });
    const packMs = performance.now() - t0;
    const check = spawnSync('sha256sum', ['-c', `${basename(packed.tarball)}.sha256`], {
      cwd: work,
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stderr + check.stdout);
    const unpack = spawnSync('tar', ['-xzf', packed.tarball, '-C', work], { encoding: 'utf8' });
    assert.equal(unpack.status, 0, unpack.stderr);
    tree = join(work, packed.folder);
    console.log(
      `arm64 tarball: ${(packed.bytes / 2 ** 20).toFixed(1)} MiB (gzip -1), packed in ${(packMs / 1000).toFixed(0)} s`,
    );

    server = await serving;
    armTap = await startFrameTap(server.port);
    x86Tap = await startFrameTap(server.port);

    const install = spawnSync(
      'bash',
      [
        join(tree, 'deploy', 'edge', 'install.sh'),
        '--destdir',
        stage,
        '--arch',
        'arm64',
        '--cloud',
        `127.0.0.1:${armTap.port}`,
        '--id',
        'arm64-qemu',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(install.status, 0, install.stderr + install.stdout);
    // What an operator puts in /etc/cleave/agent.env: any free port for the API, and an offload
    // budget that emulation on a shared machine cannot overrun.
    appendFileSync(
      join(stage, 'etc/cleave/agent.env'),
      'CLEAVE_AGENT_HTTP_PORT=0\nCLEAVE_AGENT_CLOUD_TIMEOUT_MS=30000\n',
    );

    // The unit, run as systemd would: its ExecStart, Environment, EnvironmentFile and folder.
    const unit = serviceExec(readFileSync(join(stage, 'etc/systemd/system/cleave-agent.service'), 'utf8'));
    let env = { ...unit.environment };
    for (const file of unit.environmentFiles) {
      const staged = join(stage, file.path);
      if (existsSync(staged)) env = { ...env, ...parseEnvironmentFile(readFileSync(staged, 'utf8')) };
      else assert.ok(file.optional, `${file.path} is missing`);
    }
    const started = performance.now();
    arm = spawnInArm64Root(stage, unit.argv, { cwd: unit.workingDirectory, env });
    armOutput = collectOutput(arm);
    const child = arm;
    armExit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = agentReady(arm, armOutput);
    ready.catch(() => undefined); // awaited below

    // The x86 agent, while the arm64 one starts: the same configuration from the staged
    // agent.yaml, on this checkout.
    const staged = parse(readFileSync(join(stage, 'etc/cleave/agent.yaml'), 'utf8'));
    x86Agent = await createAgent({
      ...staged.agent,
      bundleDir: join(MODELS_DIR, DEFAULT_BUNDLE),
      hardExamples: { ...staged.agent.hardExamples, dir: null },
      cloud: { ...staged.agent.cloud, target: `127.0.0.1:${x86Tap.port}`, timeoutMs: 30_000 },
    });
    x86Api = await startHttpApi(x86Agent, { host: '127.0.0.1', port: 0, maxBodyBytes: 1024 * 1024 });

    armBase = `http://127.0.0.1:${await ready}`;
    console.log(`arm64 agent ready under qemu in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  });

  after(async () => {
    if (arm && arm.exitCode === null && arm.signalCode === null) arm.kill('SIGKILL');
    await x86Api?.close();
    await x86Agent?.close();
    await armTap?.close();
    await x86Tap?.close();
    await (server ?? (await serving?.catch(() => undefined)))?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('arm64 - the tarball holds arm64 binaries only, Node included, and no dev dependency', () => {
    // The scan can fail: on this checkout's onnxruntime-node it finds x86-64, Windows and macOS builds.
    const checkout = findNativeBinaries(join(ROOT, 'node_modules', 'onnxruntime-node'));
    assert.deepEqual([...new Set(foreignBinaries(checkout, 'arm64').map((b) => b.kind))].sort(), [
      'elf-x64',
      'mach-o',
      'pe',
    ]);
    const binaries = findNativeBinaries(tree);
    assert.deepEqual(foreignBinaries(binaries, 'arm64'), [], 'no binary for another processor');
    const paths = binaries.map((b) => b.path);
    for (const native of [
      'node/bin/node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/onnxruntime_binding.node',
      'node_modules/@esbuild/linux-arm64/bin/esbuild',
    ])
      assert.ok(paths.includes(native), `${native} is in the tarball as an arm64 ELF`);
    assert.ok(
      paths.some((p) => p.startsWith('node_modules/@img/sharp-linux-arm64/')),
      "sharp's arm64 build",
    );
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, p]) => p.dev && path.startsWith('node_modules/'))
      .map(([path]) => path);
    assert.ok(devOnly.length > 0, 'the lockfile marks dev-only packages');
    assert.deepEqual(
      devOnly.filter((path) => existsSync(join(tree, path))),
      [],
      'no dev dependency',
    );
    assert.equal(
      JSON.parse(readFileSync(join(tree, 'release.json'), 'utf8')).arch,
      'arm64',
      'release.json names the arch',
    );
    const find = (...test: string[]) =>
      spawnSync('find', [tree, '-not', '-path', '*/node_modules/*', '(', ...test, ')'], {
        encoding: 'utf8',
      }).stdout.trim();
    assert.equal(find('-name', '*.test.ts', '-o', '-name', '*.test.js'), '', 'no unit tests in the release');
    // Compiled at pack time: no TypeScript to compile on the device, and the launcher needs no tsx.
    assert.equal(find('-name', '*.ts', '-not', '-name', '*.d.ts'), '', 'no TypeScript source in the release');
    assert.ok(existsSync(join(tree, 'cli/src/main.js')), 'the compiled CLI');
    assert.doesNotMatch(readFileSync(join(tree, 'cli/bin/cleave.js'), 'utf8'), /tsx/);
    const agentPackage = JSON.parse(readFileSync(join(tree, 'edge-agent/package.json'), 'utf8'));
    assert.deepEqual(agentPackage.exports, { '.': './src/index.js' });
  });

  it('arm64 - install.sh checks the architecture: the arm64 tarball is refused for an x64 target', () => {
    const r = spawnSync(
      'bash',
      [join(tree, 'deploy', 'edge', 'install.sh'), '--destdir', join(work, 'wrong'), '--arch', 'x64'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /this tarball is for arm64, the target is x64/);
    const staged = readFileSync(join(stage, 'etc/systemd/system/cleave-agent.service'), 'utf8');
    assert.match(
      staged,
      /^ExecStart=\/opt\/cleave\/node\/bin\/node \/opt\/cleave\/cli\/bin\/cleave\.js agent /m,
    );
  });

  it('arm64 - the unit runs the arm64 node under qemu-aarch64, and /healthz answers', async () => {
    assert.equal(readlinkSync(`/proc/${arm!.pid}/exe`), QEMU_AARCH64, 'the process is qemu-aarch64');
    const cmdline = readFileSync(`/proc/${arm!.pid}/cmdline`, 'utf8').split('\0');
    assert.equal(cmdline[1], '/opt/cleave/node/bin/node', 'running the tarball’s node, from the unit');
    const res = await fetch(`${armBase}/healthz`);
    assert.equal(res.status, 200);
    const h = (await res.json()) as { status: string; model: { name: string }; cloud: { target: string } };
    assert.equal(h.status, 'ok');
    assert.equal(h.model.name, DEFAULT_BUNDLE);
    assert.equal(h.cloud.target, `127.0.0.1:${armTap.port}`, 'the target install.sh --cloud wrote');
  });

  it('arm64 - 100 images as PNG and as tensors: the same labels as x86, frames with the same head', {
    timeout: 400_000,
  }, async () => {
    const data = await loadFashionMnist({ split: 'test', limit: IMAGES });
    const norm = manifest.input.normalization;
    const pngs: Uint8Array[] = [];
    const tensors: Uint8Array[] = [];
    for (let i = 0; i < data.count; i++) {
      const pixels = imageAt(data, i);
      pngs.push(
        await sharp(Buffer.from(pixels), { raw: { width: 28, height: 28, channels: 1 } })
          .png()
          .toBuffer(),
      );
      const t = Float32Array.from(pixels, (p) => (p * norm.scale - norm.mean[0]!) / norm.std[0]!);
      tensors.push(new Uint8Array(t.buffer));
    }
    const x86Base = `http://127.0.0.1:${x86Api.port}`;
    const t0 = performance.now();
    const armPng = await inferAll(armBase, 'image/png', pngs, '?mode=cloud-only');
    const armTensor = await inferAll(armBase, 'application/octet-stream', tensors);
    const armMs = performance.now() - t0;
    const x86Png = await inferAll(x86Base, 'image/png', pngs, '?mode=cloud-only');
    const x86Tensor = await inferAll(x86Base, 'application/octet-stream', tensors);
    const counts = new Map<string, number>();
    for (const a of armTensor) counts.set(a.source, (counts.get(a.source) ?? 0) + 1);
    const bySource = [...counts].map(([source, n]) => `${source} ${n}`).join(', ');
    console.log(
      `arm64 under qemu: ${(armMs / (2 * IMAGES)).toFixed(0)} ms per request; tensor path answered by ${bySource}`,
    );

    for (const a of [...armPng, ...x86Png]) {
      assert.equal(a.source, 'cloud', 'cloud-only: the tail server answered');
      assert.equal(a.degraded, false);
    }
    assert.deepEqual(
      armPng.map((a) => a.label),
      x86Png.map((a) => a.label),
      'PNG path: arm64 labels = x86 labels',
    );
    assert.deepEqual(
      armTensor.map((a) => [a.label, a.source]),
      x86Tensor.map((a) => [a.label, a.source]),
      'tensor path: arm64 labels and the stage that answered = x86',
    );
    assert.ok(!armTensor.some((a) => a.degraded), 'no degraded answer');
    const correct = armTensor.filter((a, i) => a.label === data.labels[i]).length;
    assert.ok(correct >= 80, `the cascade is right on ${correct}/${IMAGES}`);

    // Each offload went through the tap to the server; every frame names the bundle's head.
    const head = manifest.files.find((f) => f.role === 'head');
    assert.ok(head, 'the bundle has a head');
    const fingerprint = headFingerprintOf(head.sha256);
    const cloudTensors = armTensor.filter((a) => a.source === 'cloud').length;
    assert.equal(armTap.fingerprints.length, IMAGES + cloudTensors, 'the server got every arm64 offload');
    assert.equal(x86Tap.fingerprints.length, armTap.fingerprints.length, 'and as many from x86');
    assert.deepEqual(
      [...new Set(armTap.fingerprints)],
      [fingerprint],
      'arm64 frames carry the head fingerprint',
    );
    assert.deepEqual([...new Set(x86Tap.fingerprints)], [fingerprint], 'so do x86 frames');
  });

  it('arm64 - SIGTERM: the agent stops and exits 0', { timeout: 120_000 }, async () => {
    arm!.kill('SIGTERM');
    const code = await Promise.race([
      armExit,
      new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 90_000).unref()),
    ]);
    assert.equal(code, 0, `exit ${code}: ${armOutput()}`);
    assert.match(armOutput(), /"signal":"SIGTERM","msg":"stopping"/);
  });
});
