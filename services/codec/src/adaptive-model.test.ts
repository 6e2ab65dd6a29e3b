import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADAPTIVE_COUNT_LIMIT, createAdaptiveCoder } from './adaptive-model.js';
import { FrameError } from './errors.js';
import { createRandom, randomInt } from './testing/seeded-random.js';

const opts = { timeout: 30_000 };

function encode(codes: Uint8Array, bits: number, channels: number): Uint8Array {
  const coder = createAdaptiveCoder(bits, channels, codes.length / channels);
  const out = new Uint8Array(codes.length * 2 + 16);
  const start = coder.encode(codes, out);
  assert.ok(start >= 0);
  return out.slice(start);
}

describe('adaptive model', () => {
  it('createAdaptiveCoder - matches the Python mirror (worked example in docs/wire-format.md)', opts, () => {
    // Same codes as the static example: shape [2, 16], 2 bits.
    const codes = new Uint8Array(32);
    codes.fill(3, 16);
    codes[5] = 1;
    codes[25] = 2;
    const stream = encode(codes, 2, 2);
    assert.equal(Buffer.from(stream).toString('hex'), '7022a400be12ef');
    const back = createAdaptiveCoder(2, 2, 16).decode(stream, new Uint8Array(32));
    assert.deepEqual(back, codes);
  });

  it('createAdaptiveCoder - round trip at every bit width, skewed and uniform codes', opts, () => {
    const random = createRandom(21);
    for (let bits = 1; bits <= 8; bits++) {
      for (let trial = 0; trial < 8; trial++) {
        const channels = randomInt(random, 1, 5);
        const stride = randomInt(random, 1, 80);
        const skew = trial % 2 === 0 ? 0.8 : 0;
        const codes = Uint8Array.from({ length: channels * stride }, () =>
          random() < skew ? 0 : randomInt(random, 0, 2 ** bits - 1),
        );
        const coder = createAdaptiveCoder(bits, channels, stride);
        const stream = encode(codes, bits, channels);
        // The coder is reusable: it starts afresh each frame.
        for (let again = 0; again < 2; again++) {
          assert.deepEqual(coder.decode(stream, new Uint8Array(codes.length)), codes, `bits=${bits}`);
        }
      }
    }
  });

  it('createAdaptiveCoder - learns: a constant channel costs far less than its packed size', opts, () => {
    const codes = new Uint8Array(4 * 196).fill(5);
    const stream = encode(codes, 8, 4);
    assert.ok(stream.length < 40, `${stream.length} bytes for 784 identical 8-bit codes`);
  });

  it('createAdaptiveCoder - survives the count halving on long runs', opts, () => {
    const random = createRandom(22);
    const n = ADAPTIVE_COUNT_LIMIT * 3;
    const codes = Uint8Array.from({ length: n }, (_, i) =>
      i < n / 2 ? (random() < 0.9 ? 1 : 0) : random() < 0.9 ? 0 : 1,
    );
    const coder = createAdaptiveCoder(1, 1, n);
    assert.deepEqual(coder.decode(encode(codes, 1, 1), new Uint8Array(n)), codes);
  });

  it('createAdaptiveCoder - a damaged stream is a FrameError on the payload, never a crash', opts, () => {
    const random = createRandom(23);
    const codes = Uint8Array.from({ length: 3 * 30 }, () => (random() < 0.6 ? 2 : randomInt(random, 0, 7)));
    const stream = encode(codes, 3, 3);
    const coder = createAdaptiveCoder(3, 3, 30);
    const decode = (bytes: Uint8Array) => () => coder.decode(bytes, new Uint8Array(90));
    const corrupt = (err: unknown) => err instanceof FrameError && err.field === 'payload';
    assert.throws(decode(stream.subarray(0, stream.length - 1)), corrupt);
    assert.throws(decode(Uint8Array.from([...stream, 7])), corrupt);
    assert.throws(decode(stream.subarray(0, 2)), corrupt);
    for (let i = 0; i < stream.length; i++) {
      const bad = stream.slice();
      bad[i]! ^= 0x10;
      try {
        assert.notDeepEqual(coder.decode(bad, new Uint8Array(90)), codes);
      } catch (err) {
        assert.ok(corrupt(err), String(err));
      }
    }
  });
});
