import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packBits, packedByteLength, unpackBits } from './bit-pack.js';
import { createRandom, randomInt } from './testing/seeded-random.js';

const opts = { timeout: 20_000 };

function randomCodes(random: () => number, count: number, bits: number): Uint8Array {
  const codes = new Uint8Array(count);
  for (let i = 0; i < count; i++) codes[i] = randomInt(random, 0, 2 ** bits - 1);
  return codes;
}

/** Reference packing, one bit at a time, straight from the definition in bit-pack.ts. */
function packBitwise(codes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(packedByteLength(codes.length, bits));
  codes.forEach((code, i) => {
    for (let b = 0; b < bits; b++) {
      const k = i * bits + b;
      if ((code >> b) & 1) out[k >> 3]! |= 1 << (k & 7);
    }
  });
  return out;
}

describe('bit-pack', () => {
  it('packBits - packs LSB-first and contiguously (worked example)', opts, () => {
    // 3-bit codes 1,2,3,4,5: bits 100 010 110 001 101 (LSB first) → 0xd1, 0x58
    assert.deepEqual([...packBits(Uint8Array.from([1, 2, 3, 4, 5]), 3)], [0xd1, 0x58]);
    assert.deepEqual([...packBits(Uint8Array.from([1, 0, 1, 1, 0, 0, 0, 0, 1]), 1)], [0x0d, 0x01]);
    assert.deepEqual([...packBits(Uint8Array.from([0xa, 0x5, 0xf]), 4)], [0x5a, 0x0f]);
    assert.deepEqual([...packBits(Uint8Array.from([0, 255, 7]), 8)], [0, 255, 7]);
  });

  it('packBits/unpackBits - round trip random codes at every bit width 1..8', opts, () => {
    const random = createRandom(1);
    for (let bits = 1; bits <= 8; bits++) {
      for (let trial = 0; trial < 60; trial++) {
        const count = trial < 20 ? trial : randomInt(random, 0, 3000);
        const codes = randomCodes(random, count, bits);
        const packed = packBits(codes, bits);
        assert.equal(packed.length, Math.ceil((count * bits) / 8));
        assert.deepEqual(packed, packBitwise(codes, bits), `bits=${bits} count=${count}`);
        assert.deepEqual(unpackBits(packed, bits, count), codes, `bits=${bits} count=${count}`);
      }
    }
  });

  it('packBits - leaves the padding bits of the last byte zero', opts, () => {
    for (let bits = 1; bits <= 7; bits++) {
      const packed = packBits(new Uint8Array(3).fill(2 ** bits - 1), bits);
      const used = (3 * bits) % 8;
      if (used !== 0) assert.equal(packed[packed.length - 1]! >>> used, 0, `bits=${bits}`);
    }
  });

  it('packBits - refuses codes that do not fit and invalid bit widths', opts, () => {
    assert.throws(() => packBits(Uint8Array.from([0, 8]), 3), /code 8 at index 1/);
    for (const bits of [0, 9, 2.5, Number.NaN])
      assert.throws(() => packBits(new Uint8Array(1), bits), RangeError);
  });

  it('unpackBits - refuses a byte count that is not exactly ceil(count * bits / 8)', opts, () => {
    assert.throws(() => unpackBits(new Uint8Array(3), 3, 3), RangeError);
    assert.throws(() => unpackBits(new Uint8Array(1), 3, 6), RangeError);
    assert.throws(() => unpackBits(new Uint8Array(1), 3, -1), RangeError);
    assert.equal(unpackBits(new Uint8Array(0), 5, 0).length, 0);
  });

  it('unpackBits - writes into a caller buffer and respects view offsets', opts, () => {
    const codes = Uint8Array.from([3, 1, 0, 2, 3]);
    const packed = packBits(codes, 2);
    const framed = new Uint8Array(packed.length + 4);
    framed.set(packed, 2);
    const out = new Uint8Array(8).fill(9);
    const result = unpackBits(framed.subarray(2, 2 + packed.length), 2, 5, out);
    assert.deepEqual(result, codes);
    assert.equal(result.buffer, out.buffer);
    assert.deepEqual([...out.subarray(5)], [9, 9, 9]);
    assert.throws(() => unpackBits(packed, 2, 5, new Uint8Array(4)), RangeError);
  });
});
