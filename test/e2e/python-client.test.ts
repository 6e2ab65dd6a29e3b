// A client outside this codebase: Debian's python3-grpcio, with stubs generated at test time from
// proto/ by python3-grpc-tools, drives a real tail server (test/python/cleave_client.py). Its
// answers must match the tail run directly with onnxruntime-node on the vector's codes, and the
// same server asked through grpc-js.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createTailServer, type TailServer } from '@cleave/cloud-server';
import { dequantize } from '@cleave/codec';
import { type Bundle, LOGITS_OUTPUT, loadBundle } from '@cleave/models';
import {
  healthProtoPath,
  type InferResponse__Output,
  loadCleaveProto,
  PROTO_ROOT,
  SPLIT_INFERENCE_PROTO_FILE,
  type SplitInferenceClient,
} from '@cleave/wire';
import { credentials } from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import { MODELS_DIR, shippedBundleNames } from '../support/shipped-bundles.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const VECTORS_DIR = join(ROOT, 'test', 'vectors');
const CLIENT = join(ROOT, 'test', 'python', 'cleave_client.py');
/** Debian's interpreter: a plain `python3` on PATH may be a pyenv shim without grpcio. */
const PYTHON = '/usr/bin/python3';
/** grpc-health-check ships <pkg>/proto/health/v1/health.proto. */
const HEALTH_PROTO_ROOT = join(healthProtoPath, '..', '..', '..');
const TOLERANCE = 1e-5;

interface VectorFile {
  bundle: string;
  model: { name: string; version: string };
  headSha256: string;
  shape: number[];
  bits: number;
  vectors: { name: string; codecId: number; codes: number[]; frame: string }[];
}

interface PythonAnswer {
  vector: string;
  modelName: string;
  modelVersion: string;
  label: number;
  score: number;
  logits: number[];
  batchSize: number;
  maxAbsDiff?: number;
}

interface PythonReport {
  ok: boolean;
  failures: string[];
  bundle: string;
  client: { grpcio: string; protobuf: string; protobufImplementation: string; python: string };
  health: Record<string, string>;
  metadata: {
    name: string;
    versions: string[];
    labels: string[];
    bottleneck: { shape: number[]; bits: number };
    headSha256: string;
    platform: string;
  };
  infer: PythonAnswer[];
  refusals: { case: string; code: string; details: string }[];
  compact: {
    answers: number;
    meanRequestOverheadBytes: number;
    meanAnswerBytes: number;
    maxAnswerBytes: number;
  };
}

interface Expected {
  label: number;
  logits: number[];
}

type Callback<T> = (err: (Error & { code?: number }) | null, res?: T) => void;
const call = <T>(fn: (cb: Callback<T>) => void) =>
  new Promise<T>((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));

/** Python must not pick up a pyenv or virtualenv search path. */
function pythonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONNOUSERSITE: '1' };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  return env;
}

const readVectors = (bundle: string) =>
  JSON.parse(readFileSync(join(VECTORS_DIR, `${bundle}.json`), 'utf8')) as VectorFile;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'logit counts differ');
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** The tail run directly with onnxruntime-node on the dequantised codes of each vector. */
async function tailLogits(bundle: Bundle, file: VectorFile): Promise<Map<string, Float32Array>> {
  const bn = bundle.manifest.bottleneck;
  const spec = { bits: bn.bits, shape: bn.shape, min: bn.quantization.min, max: bn.quantization.max };
  const session = await ort.InferenceSession.create(bundle.files.tail!.path, { intraOpNumThreads: 1 });
  try {
    const out = new Map<string, Float32Array>();
    for (const v of file.vectors) {
      const features = dequantize(Uint8Array.from(v.codes), spec);
      const input = new ort.Tensor('float32', features, [1, ...bn.shape]);
      const res = await session.run({ [session.inputNames[0]!]: input });
      out.set(v.name, Float32Array.from(res[LOGITS_OUTPUT]!.data as Float32Array));
    }
    return out;
  } finally {
    await session.release();
  }
}

/** `python3 -m grpc_tools.protoc`: message and service stubs for one .proto file into `out`. */
async function protoc(include: string, file: string, out: string): Promise<void> {
  await run(
    PYTHON,
    ['-m', 'grpc_tools.protoc', '-I', include, `--python_out=${out}`, `--grpc_python_out=${out}`, file],
    { timeout: 30_000, env: pythonEnv() },
  );
}

/** Runs the Python client; a non-zero exit still yields its report (and stderr) for the assertion. */
async function runClient(
  args: string[],
): Promise<{ code: number; report: PythonReport | undefined; stdout: string; stderr: string }> {
  let code = 0;
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await run(PYTHON, [CLIENT, ...args], {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
      env: pythonEnv(),
    }));
  } catch (e) {
    const err = e as Error & { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
    if (typeof err.code !== 'number') throw err;
    code = err.code;
    stdout = err.stdout ?? '';
    stderr = err.stderr ?? '';
  }
  let report: PythonReport | undefined;
  try {
    report = JSON.parse(stdout) as PythonReport;
  } catch {
    report = undefined;
  }
  return { code, report, stdout, stderr };
}

describe('python client - grpcio drives the tail server', { timeout: 240_000 }, () => {
  let server: TailServer;
  let client: SplitInferenceClient;
  let dir: string;
  let stubs: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cleave-python-client-'));
    stubs = join(dir, 'stubs');
    mkdirSync(stubs);
    await protoc(PROTO_ROOT, SPLIT_INFERENCE_PROTO_FILE, stubs);
    await protoc(HEALTH_PROTO_ROOT, 'health/v1/health.proto', stubs);
    server = await createTailServer({
      modelsDir: MODELS_DIR,
      port: 0,
      http: { port: 0 },
      host: '127.0.0.1',
      workers: 1,
    });
    client = new (loadCleaveProto().cleave.v1.SplitInference)(
      `127.0.0.1:${server.port}`,
      credentials.createInsecure(),
    );
  });
  after(async () => {
    client?.close();
    if (server) {
      const timer = setTimeout(() => server.forceClose(), 15_000);
      try {
        await server.drain();
      } finally {
        clearTimeout(timer);
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('python client - stubs are generated from proto/ and health.proto by Debian grpc_tools', {
    timeout: 10_000,
  }, () => {
    for (const f of [
      'cleave/v1/split_inference_pb2.py',
      'cleave/v1/split_inference_pb2_grpc.py',
      'health/v1/health_pb2.py',
      'health/v1/health_pb2_grpc.py',
    ]) {
      assert.ok(existsSync(join(stubs, f)), `${f} generated`);
    }
    const grpcStub = readFileSync(join(stubs, 'cleave/v1/split_inference_pb2_grpc.py'), 'utf8');
    assert.match(grpcStub, /'\/cleave\.v1\.SplitInference\/Infer'/);
    assert.match(grpcStub, /class SplitInferenceStub/);
  });

  for (const bundleName of shippedBundleNames()) {
    it(`python client - ${bundleName}: health, metadata, Infer on every vector frame, refusals`, {
      timeout: 90_000,
    }, async (t) => {
      assert.ok(existsSync(join(stubs, 'cleave/v1/split_inference_pb2.py')), 'stubs were generated');
      const file = readVectors(bundleName);
      const bundle = await loadBundle(join(MODELS_DIR, bundleName), { verify: false });
      const local = await tailLogits(bundle, file);

      // The same frames through grpc-js (routed by head fingerprint: no cleave-model metadata).
      const expected: Record<string, Expected> = {};
      for (const [i, v] of file.vectors.entries()) {
        const res = await call<InferResponse__Output>((cb) =>
          client.Infer({ request_id: `js-${i}`, frame: Buffer.from(v.frame, 'hex') }, cb),
        );
        assert.equal(res.result?.model_name, file.model.name, v.name);
        const logits = res.result!.logits;
        const diff = maxAbsDiff(logits, local.get(v.name)!);
        assert.ok(diff <= TOLERANCE, `${v.name}: grpc-js logits differ from onnxruntime by ${diff}`);
        expected[v.name] = { label: res.result!.label, logits };
      }
      const expectedPath = join(dir, `${bundleName}.expected.json`);
      writeFileSync(expectedPath, JSON.stringify({ frames: expected }));

      const { code, report, stderr } = await runClient([
        '--target',
        `127.0.0.1:${server.port}`,
        '--vectors',
        join(VECTORS_DIR, `${bundleName}.json`),
        '--stubs',
        stubs,
        '--manifest',
        join(bundle.dir, 'manifest.json'),
        '--expected',
        expectedPath,
        '--tolerance',
        String(TOLERANCE),
      ]);
      assert.equal(code, 0, `cleave_client.py exited ${code}:\n${stderr}`);
      assert.ok(report, `cleave_client.py printed no JSON:\n${stderr}`);
      assert.deepEqual(report.failures, []);
      assert.equal(report.ok, true);
      assert.equal(report.bundle, bundleName);
      assert.match(report.client.grpcio, /^\d+\.\d+/);

      assert.deepEqual(report.health, { '': 'SERVING', 'cleave.v1.SplitInference': 'SERVING' });

      const m = bundle.manifest;
      assert.equal(report.metadata.name, file.model.name);
      assert.ok(report.metadata.versions.includes(file.model.version));
      assert.deepEqual(report.metadata.labels, m.labels);
      assert.deepEqual(report.metadata.bottleneck, { shape: file.shape, bits: file.bits });
      assert.equal(report.metadata.headSha256, file.headSha256);
      assert.equal(report.metadata.headSha256, bundle.files.head!.sha256);
      assert.equal(report.metadata.platform, 'onnxruntime');

      assert.deepEqual(
        report.infer.map((a) => a.vector),
        file.vectors.map((v) => v.name),
      );
      for (const a of report.infer) {
        assert.equal(a.modelName, file.model.name, a.vector);
        assert.equal(a.modelVersion, file.model.version, a.vector);
        assert.equal(a.logits.length, m.labels.length, a.vector);
        const direct = maxAbsDiff(a.logits, local.get(a.vector)!);
        assert.ok(direct <= TOLERANCE, `${a.vector}: python logits differ from onnxruntime by ${direct}`);
        const viaJs = maxAbsDiff(a.logits, expected[a.vector]!.logits);
        assert.ok(viaJs <= TOLERANCE, `${a.vector}: python logits differ from grpc-js by ${viaJs}`);
        assert.equal(a.label, expected[a.vector]!.label, a.vector);
        assert.ok(a.score > 0 && a.score <= 1, `${a.vector}: score ${a.score}`);
      }

      assert.ok(report.refusals.length >= 7, `${report.refusals.length} refusal cases`);
      // The compact form from grpcio: every frame twice (version 2 as an old agent sends it, and
      // version 3), answered in a few bytes; the checks of each answer are the client's own.
      assert.equal(report.compact.answers, file.vectors.length * 2);
      assert.ok(report.compact.meanRequestOverheadBytes <= 12, JSON.stringify(report.compact));
      assert.ok(report.compact.meanAnswerBytes <= 16, JSON.stringify(report.compact));
      t.diagnostic(`compact form: ${JSON.stringify(report.compact)}`);
      for (const r of report.refusals) {
        const want = r.case === 'unknown-model' ? 'NOT_FOUND' : 'INVALID_ARGUMENT';
        assert.equal(r.code, want, `${r.case}: ${r.code} ${r.details}`);
      }
    });
  }

  it('python client - exits non-zero and names the frame when the logits do not match', {
    timeout: 60_000,
  }, async () => {
    const [bundleName] = shippedBundleNames();
    const file = readVectors(bundleName!);
    const wrong: Record<string, Expected> = {};
    for (const v of file.vectors) {
      wrong[v.name] = { label: 0, logits: Array.from({ length: 10 }, () => 0) };
    }
    const expectedPath = join(dir, 'wrong.expected.json');
    writeFileSync(expectedPath, JSON.stringify({ frames: wrong }));
    const { code, report, stderr } = await runClient([
      '--target',
      `127.0.0.1:${server.port}`,
      '--vectors',
      join(VECTORS_DIR, `${bundleName}.json`),
      '--stubs',
      stubs,
      '--expected',
      expectedPath,
    ]);
    assert.equal(code, 1, stderr);
    assert.ok(report, `cleave_client.py printed no JSON:\n${stderr}`);
    assert.equal(report.ok, false);
    const first = file.vectors[0]!.name;
    assert.ok(
      report.failures.some((f) => f.startsWith(`Infer ${first}: logits`)),
      report.failures.join('\n'),
    );
    assert.match(stderr, new RegExp(`FAIL Infer ${first}: logits`));
  });
});
