import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame } from './decode-frame.js';
import { encodeFrame } from './encode-frame.js';
import { FrameError, FrameMismatchError } from './errors.js';
import { CodecId, type FeatureFrame, type FrameShapeOf, MAX_ELEMENTS } from './frame-format.js';
import { createPayloadCoder, decodeCodes, type PayloadCoder } from './payload-coder.js';
import type { EntropyTablesSpec } from './rans-tables.js';
import { installAllocationProbe } from './testing/allocation-probe.js';
import { drawCodes, randomTables } from './testing/entropy-fixtures.js';
import { withFixedCrc } from './testing/frame-fixtures.js';
import { createRandom, randomBytes, randomInt } from './testing/seeded-random.js';

const FRAMES = 100_000;

interface Layout {
  shape: number[];
  bits: number;
  entropy: EntropyTablesSpec | undefined;
  coder: PayloadCoder;
  /** Where decoded codes go: allocated once, as a server sizes its batch from the model. */
  out: Uint8Array;
  /** The head fingerprint its frames carry: version 3 frames find their shape by it. */
  fingerprint: number;
}

function layouts(random: () => number): Layout[] {
  const specs: [number[], number, boolean][] = [
    [[4, 7, 7], 2, true],
    [[12, 7, 7], 3, true],
    [[2, 16], 2, true],
    [[8, 4, 4], 8, true],
    [[3, 17], 5, false],
    [[2, 2, 2, 3], 4, false],
    [[40], 1, false],
  ];
  return specs.map(([shape, bits, withTables], i) => {
    const entropy = withTables ? randomTables(random, shape[0]!, bits, Math.max(bits, 12)) : undefined;
    const coder = createPayloadCoder({ bits, shape, entropy });
    const fingerprint = (0xc0dec000 + i) >>> 0;
    return { shape, bits, entropy, coder, out: new Uint8Array(coder.elementCount), fingerprint };
  });
}

/** A valid frame for the layout: codes drawn from its tables (or skewed), so it is entropy-coded. */
function validFrame(random: () => number, layout: Layout): Uint8Array {
  const channels = layout.shape[0]!;
  const stride = layout.coder.elementCount / channels;
  const codes =
    layout.entropy !== undefined && random() < 0.8
      ? drawCodes(random, layout.entropy, stride)
      : Uint8Array.from({ length: layout.coder.elementCount }, () =>
          random() < 0.7 ? 0 : randomInt(random, 0, 2 ** layout.bits - 1),
        );
  const { codecId, payload } = layout.coder.encode(codes);
  // Both versions: 3 (the shape from the layout its fingerprint names) and 2 (dims in the frame).
  return encodeFrame({
    headFingerprint: layout.fingerprint.toString(16),
    shape: layout.shape,
    bits: layout.bits,
    codecId,
    payload,
    version: random() < 0.5 ? 3 : 2,
  });
}

/** A valid frame damaged in one of several ways; the CRC is often repaired to reach deeper checks. */
function mutate(random: () => number, frame: Uint8Array, shapeOf: FrameShapeOf): Uint8Array {
  let out = frame.slice();
  switch (randomInt(random, 0, 5)) {
    case 0:
      for (let n = randomInt(random, 1, 3); n > 0; n--)
        out[randomInt(random, 0, out.length - 1)] = randomInt(random, 0, 255);
      break;
    case 1:
      out = out.subarray(0, randomInt(random, 0, out.length - 1));
      break;
    case 2: {
      const at = randomInt(random, 0, out.length);
      out = Uint8Array.from([
        ...out.subarray(0, at),
        ...randomBytes(random, randomInt(random, 1, 4)),
        ...out.subarray(at),
      ]);
      break;
    }
    case 3: {
      const at = randomInt(random, 0, out.length - 1);
      out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + 1)]);
      break;
    }
    case 4:
      // Header bytes only: small integers where the format, dims and length live.
      out[randomInt(random, 1, Math.min(out.length - 1, 12))] = randomInt(random, 0, 0x90);
      break;
    default: {
      // Garbage payload behind a valid header and state: only the rANS checks stand in the way.
      const frame = decodeFrame(out, shapeOf);
      const from = frame.headerBytes + (frame.codecId === CodecId.BITPACK ? 0 : 4);
      out.set(randomBytes(random, out.length - 4 - from), from);
      return withFixedCrc(out);
    }
  }
  return out.length >= 4 && random() < 0.6 ? withFixedCrc(out) : out;
}

describe('frame fuzz', () => {
  it(`decodeFrame + entropy decoding - ${FRAMES} random and damaged frames: codes or a typed error, no allocation`, {
    timeout: 60_000,
  }, (t) => {
    const random = createRandom(0xc1ea7e);
    const known = layouts(random);
    const byLayout = new Map(known.map((l) => [`${l.bits}:${l.shape.join('x')}`, l]));
    // A number-keyed lookup allocates nothing, as the server's registry must not per frame.
    const byFingerprint = new Map(known.map((l) => [l.fingerprint, l.shape]));
    const shapeOf = (fp: number) => byFingerprint.get(fp);
    const valid = known.flatMap((l) => Array.from({ length: 40 }, () => validFrame(random, l)));
    // Warm the coders (their scratch is allocated on first use, as at server start).
    for (const [i, l] of known.entries())
      l.coder.decode(
        decodeFrame(valid[i * 40]!, shapeOf).codecId,
        decodeFrame(valid[i * 40]!, shapeOf).payload,
        l.out,
      );
    const seen = new Map<string, number>();
    let decodedFrames = 0;
    let decodedCodes = 0;
    const probe = installAllocationProbe();
    try {
      for (let n = 0; n < FRAMES; n++) {
        let buf: Uint8Array;
        const kind = n % 4;
        if (kind === 0) buf = randomBytes(random, randomInt(random, 0, 120));
        else if (kind === 1)
          buf = Uint8Array.from([n % 8 < 4 ? 0xc2 : 0xc3, ...randomBytes(random, randomInt(random, 0, 80))]);
        else buf = mutate(random, valid[randomInt(random, 0, valid.length - 1)]!, shapeOf);
        let frame: FeatureFrame | undefined;
        let layout: Layout | undefined;
        probe.arm();
        try {
          frame = decodeFrame(buf, shapeOf);
          decodedFrames++;
          layout = byLayout.get(`${frame.bits}:${frame.shape.join('x')}`);
          if (layout !== undefined) {
            layout.coder.decode(frame.codecId, frame.payload, layout.out);
            decodedCodes++;
          }
        } catch (err) {
          if (!(err instanceof FrameError || err instanceof FrameMismatchError)) {
            assert.fail(`frame ${n} threw ${String(err)}`);
          }
          const key = err instanceof FrameError ? `${err.code}/${err.field}` : err.code;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
        const allocated = probe.disarm();
        // Parsing allocates no buffer at all (the payload is a view); decoding writes into `out`.
        assert.equal(allocated.totalBytes, 0, `frame ${n} allocated ${allocated.totalBytes} bytes`);
        if (frame !== undefined && layout === undefined && frame.elementCount <= 4096) {
          // A layout no model here serves: decodeCodes allocates exactly what the frame declares.
          probe.arm();
          try {
            decodeCodes(frame, undefined);
          } catch (err) {
            assert.ok(err instanceof FrameError || err instanceof FrameMismatchError, String(err));
          }
          const declared = probe.disarm();
          assert.ok(
            declared.largestBytes <=
              Math.max(frame.elementCount * 8, 2 * frame.shape[0]! * 2 ** frame.bits * 2),
          );
          assert.ok(declared.largestBytes <= MAX_ELEMENTS * 8);
        }
      }
    } finally {
      probe.uninstall();
    }
    t.diagnostic(JSON.stringify({ decodedFrames, decodedCodes, errors: Object.fromEntries(seen) }));
    // The mix must reach deep into the decoder, not just bounce off the magic.
    for (const key of [
      'BAD_MAGIC/magic',
      'UNKNOWN_CODEC/codecId',
      'TRUNCATED/payload',
      'BAD_FIELD/shape',
      'BAD_FIELD/payloadLength',
      'CRC_MISMATCH/crc32c',
      'BAD_FIELD/payload',
    ]) {
      assert.ok(seen.has(key), `never saw ${key}: ${[...seen.keys()].join(', ')}`);
    }
    assert.ok(decodedCodes > 1000, `only ${decodedCodes} frames reached the entropy decoder and passed`);
    assert.ok(decodedFrames > decodedCodes);
  });
});
