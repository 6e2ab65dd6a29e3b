import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame } from './decode-frame.js';
import { encodeFrame } from './encode-frame.js';
import { FrameError } from './errors.js';
import { sampleFields, withFixedCrc } from './testing/frame-fixtures.js';
import { createRandom, randomBytes, randomInt, randomSha256 } from './testing/seeded-random.js';

const BUFFERS = 20_000;

/** A valid frame with random fields. */
function randomFrame(random: () => number): Uint8Array {
  const bits = randomInt(random, 1, 8);
  const shape = Array.from({ length: randomInt(random, 1, 4) }, () => randomInt(random, 1, 6));
  const count = shape.reduce((a, b) => a * b, 1);
  const payload = randomBytes(random, Math.ceil((count * bits) / 8));
  const used = (count * bits) % 8;
  if (used !== 0) payload[payload.length - 1]! &= (1 << used) - 1;
  return encodeFrame(sampleFields({ bits, shape, payload, headSha256: randomSha256(random) }));
}

/** A valid frame damaged in one of several ways; the CRC is sometimes repaired to reach field checks. */
function mutate(random: () => number, frame: Uint8Array): Uint8Array {
  let out = frame.slice();
  switch (randomInt(random, 0, 4)) {
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
    default:
      // Header bytes only: small integers where lengths and dims live.
      out[randomInt(random, 2, Math.min(out.length - 1, 40))] = randomInt(random, 0, 8);
  }
  return out.length >= 4 && random() < 0.5 ? withFixedCrc(out) : out;
}

describe('frame fuzz', () => {
  it(`decodeFrame - ${BUFFERS} random and damaged buffers: a frame or a FrameError, nothing else`, {
    timeout: 60_000,
  }, () => {
    const random = createRandom(0xc1ea7e);
    const seen = new Map<string, number>();
    let decoded = 0;
    for (let n = 0; n < BUFFERS; n++) {
      let buf: Uint8Array;
      const kind = n % 3;
      if (kind === 0) buf = randomBytes(random, randomInt(random, 0, 120));
      else if (kind === 1)
        buf = Uint8Array.from([0x43, 0x56, 1, 0, ...randomBytes(random, randomInt(random, 0, 80))]);
      else buf = mutate(random, randomFrame(random));
      try {
        const frame = decodeFrame(buf);
        decoded++;
        // Whatever decodes is canonical: encoding it again gives the same bytes.
        const again = encodeFrame({ ...frame, headSha256: frame.headFingerprint.padEnd(64, '0') });
        assert.deepEqual(again, buf);
      } catch (err) {
        if (!(err instanceof FrameError)) assert.fail(`buffer ${n} threw ${String(err)}`);
        const key = `${err.code}/${err.field}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    // The mix must reach deep into the decoder, not just bounce off the magic.
    for (const key of ['BAD_MAGIC/magic', 'TRUNCATED/payload', 'BAD_FIELD/shape', 'CRC_MISMATCH/crc32c']) {
      assert.ok(seen.has(key), `never saw ${key}: ${[...seen.keys()].join(', ')}`);
    }
    assert.ok(decoded > 0, 'some mutations (e.g. a changed payload with a repaired CRC) should decode');
  });
});
