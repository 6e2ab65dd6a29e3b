// Cross-language vectors: frames written by the Python reference coder (training/make_vectors.py,
// stored in test/vectors/) decode here to the same codes and re-encode to the same bytes; and
// frames written here decode in Python to the same codes (make_vectors.py --check).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CodecId,
  createPayloadCoder,
  decodeCodes,
  decodeFrame,
  dequantize,
  encodeFrame,
  quantize,
} from '@cleave/codec';
import { bundleCodec, loadBundle } from '@cleave/models';
import { MODELS_DIR } from '../support/shipped-bundles.js';

const ROOT = join(import.meta.dirname, '..', '..');
const VECTORS_DIR = join(ROOT, 'test', 'vectors');

interface VectorFile {
  bundle: string;
  frameVersion: number;
  headSha256: string;
  shape: number[];
  bits: number;
  vectors: { name: string; codecId: number; codes: number[]; frame: string }[];
}

function vectorFiles(): VectorFile[] {
  return readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(VECTORS_DIR, f), 'utf8')) as VectorFile);
}

/** The bundle as the agent and the server load it (hashes are checked by test/models). */
const loadManifest = (bundle: string) => loadBundle(join(MODELS_DIR, bundle), { verify: false });

describe('codec vectors', () => {
  it('vectors - one file per shipped bundle, with static, adaptive and bit-packed frames', {
    timeout: 10_000,
  }, () => {
    const files = vectorFiles();
    assert.ok(files.length >= 3, `${files.length} vector files`);
    const ids = new Set(files.flatMap((f) => f.vectors.map((v) => v.codecId)));
    assert.deepEqual([...ids].sort(), [0, 1, 2]);
  });

  it('vectors - Python frames decode to the Python codes and re-encode to the same bytes', {
    timeout: 30_000,
  }, async () => {
    for (const file of vectorFiles()) {
      assert.equal(file.frameVersion, 2);
      const { manifest } = await loadManifest(file.bundle);
      const entropy = manifest.bottleneck.entropy;
      assert.ok(entropy, `${file.bundle} has tables`);
      const staticCoder = createPayloadCoder({ bits: file.bits, shape: file.shape, entropy });
      const adaptiveCoder = createPayloadCoder({ bits: file.bits, shape: file.shape });
      for (const v of file.vectors) {
        const at = `${file.bundle} ${v.name}`;
        const bytes = Buffer.from(v.frame, 'hex');
        const frame = decodeFrame(bytes);
        assert.equal(frame.codecId, v.codecId, at);
        assert.equal(frame.headFingerprint, file.headSha256.slice(0, 8), at);
        assert.deepEqual(frame.shape, file.shape, at);
        const codes = decodeCodes(frame, entropy);
        assert.deepEqual([...codes], v.codes, at);
        // TS encodes the same codes to the same bytes.
        const coder = v.name.endsWith('/static') ? staticCoder : adaptiveCoder;
        const { codecId, payload } = coder.encode(Uint8Array.from(v.codes));
        const again = encodeFrame({
          headSha256: file.headSha256,
          shape: file.shape,
          bits: file.bits,
          codecId,
          payload,
          version: 2,
        });
        assert.equal(Buffer.from(again).toString('hex'), v.frame, at);
      }
    }
  });

  it('vectors - the bundle codec (bundleCodec wiring) reproduces the static frames from features', {
    timeout: 30_000,
  }, async () => {
    for (const file of vectorFiles()) {
      const bundle = await loadManifest(file.bundle);
      const bn = bundle.manifest.bottleneck;
      const codec = bundleCodec(bundle);
      assert.equal(codec.entropyCodecId, CodecId.RANS_STATIC);
      const spec = { bits: bn.bits, shape: bn.shape, min: bn.quantization.min, max: bn.quantization.max };
      for (const v of file.vectors.filter((x) => x.name.endsWith('/static'))) {
        const features = dequantize(Uint8Array.from(v.codes), spec);
        // The codec writes version 3: the vector (version 2) less its dims, payload for payload.
        const made = codec.parse(codec.encode(features));
        assert.equal(made.version, 3);
        assert.equal(Buffer.from(encodeFrame({ ...made, version: 2 })).toString('hex'), v.frame, v.name);
        const { features: back } = codec.decode(Buffer.from(v.frame, 'hex'));
        assert.deepEqual([...quantize(back, spec)], v.codes, v.name);
      }
    }
  });

  it('vectors - the Python decoder reads TS frames bit for bit (make_vectors.py --check)', {
    timeout: 60_000,
  }, async () => {
    const cases: { bundle: string | null; shape: number[]; bits: number; codes: number[]; frame: string }[] =
      [];
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (const file of vectorFiles()) {
      const { manifest } = await loadManifest(file.bundle);
      const entropy = manifest.bottleneck.entropy!;
      const coder = createPayloadCoder({ bits: file.bits, shape: file.shape, entropy });
      const count = coder.elementCount;
      const plane = count / file.shape[0]!;
      for (let n = 0; n < 8; n++) {
        // Skewed codes: mostly each channel's most likely symbol, as a real head emits.
        const codes = Uint8Array.from({ length: count }, (_, i) => {
          const table = entropy.tables[Math.floor(i / plane)]!;
          const top = table.indexOf(Math.max(...table));
          return random() < 0.6 ? top : Math.floor(random() * 2 ** file.bits);
        });
        const { codecId, payload } = coder.encode(codes);
        const frame = encodeFrame({
          headSha256: file.headSha256,
          shape: file.shape,
          bits: file.bits,
          codecId,
          payload,
        });
        cases.push({
          bundle: file.bundle,
          shape: file.shape,
          bits: file.bits,
          codes: [...codes],
          frame: Buffer.from(frame).toString('hex'),
        });
      }
    }
    // Adaptive frames for layouts without tables, every bit width.
    for (let bits = 1; bits <= 8; bits++) {
      const shape = [1 + (bits % 3), 5, 7];
      const coder = createPayloadCoder({ bits, shape });
      const codes = Uint8Array.from({ length: coder.elementCount }, () =>
        random() < 0.7 ? 0 : Math.floor(random() * 2 ** bits),
      );
      const { codecId, payload } = coder.encode(codes);
      // Version 2 and 3 alike: the Python decoder reads both (version 3 given the shape).
      const version = bits % 2 === 0 ? 3 : 2;
      const frame = encodeFrame({ headSha256: 'ab'.repeat(32), shape, bits, codecId, payload, version });
      cases.push({ bundle: null, shape, bits, codes: [...codes], frame: Buffer.from(frame).toString('hex') });
    }
    assert.ok(cases.some((c) => Number.parseInt(c.frame.slice(2, 4), 16) >> 5 === CodecId.RANS_STATIC));
    assert.ok(cases.some((c) => Number.parseInt(c.frame.slice(2, 4), 16) >> 5 === CodecId.RANS_ADAPTIVE));
    const dir = mkdtempSync(join(tmpdir(), 'cleave-vectors-'));
    try {
      const path = join(dir, 'ts-frames.json');
      writeFileSync(path, JSON.stringify(cases));
      const py = spawnSync('/usr/bin/python3', [join(ROOT, 'training', 'make_vectors.py'), '--check', path], {
        cwd: join(ROOT, 'training'),
        encoding: 'utf8',
        timeout: 50_000,
      });
      assert.equal(py.status, 0, `python --check failed:\n${py.stdout}\n${py.stderr}`);
      assert.match(py.stdout, new RegExp(`checked ${cases.length} frames, 0 failed`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
