import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameError } from './errors.js';
import { RANS_L, ransDecodeStatic, ransEncodeStatic } from './rans.js';
import { buildRansTables, type EntropyTablesSpec } from './rans-tables.js';
import { drawCodes, randomTables } from './testing/entropy-fixtures.js';
import { createRandom, randomInt } from './testing/seeded-random.js';

const opts = { timeout: 30_000 };

function encode(codes: Uint8Array, stride: number, spec: EntropyTablesSpec, bits: number): Uint8Array {
  const tables = buildRansTables(spec, bits, spec.tables.length);
  const out = new Uint8Array(codes.length * 2 + 16);
  const start = ransEncodeStatic(codes, stride, tables, out);
  assert.ok(start >= 0);
  return out.subarray(start);
}

function expectCorrupt(fn: () => unknown): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof FrameError && err.field === 'payload' && err.code === 'BAD_FIELD',
  );
}

describe('rans', () => {
  it('ransEncodeStatic - matches the Python reference (worked example in docs/wire-format.md)', opts, () => {
    const spec = {
      precisionBits: 12,
      tables: [
        [3584, 256, 128, 128],
        [128, 128, 256, 3584],
      ],
    };
    const codes = new Uint8Array(32);
    codes.fill(3, 16);
    codes[5] = 1;
    codes[25] = 2;
    const stream = encode(codes, 16, spec, 2);
    assert.equal(Buffer.from(stream).toString('hex'), 'f30c771b00');
    const out = ransDecodeStatic(stream, 16, buildRansTables(spec, 2, 2), new Uint8Array(32));
    assert.deepEqual(out, codes);
  });

  it('ransEncodeStatic/ransDecodeStatic - round trip at every bit width and precision', opts, () => {
    const random = createRandom(11);
    for (let bits = 1; bits <= 8; bits++) {
      for (const precisionBits of [bits, Math.max(bits, 12), 16]) {
        for (let trial = 0; trial < 6; trial++) {
          const channels = randomInt(random, 1, 6);
          const stride = randomInt(random, 1, 60);
          const spec = randomTables(random, channels, bits, precisionBits);
          const codes =
            trial % 3 === 2
              ? Uint8Array.from({ length: channels * stride }, () => randomInt(random, 0, 2 ** bits - 1))
              : drawCodes(random, spec, stride);
          const stream = encode(codes, stride, spec, bits);
          const tables = buildRansTables(spec, bits, channels);
          const back = ransDecodeStatic(stream, stride, tables, new Uint8Array(codes.length));
          assert.deepEqual(back, codes, `bits=${bits} precision=${precisionBits} trial=${trial}`);
          // Decoded to values instead: code q of channel c comes out as values[c * 2^bits + q].
          const values = Float32Array.from({ length: channels << bits }, (_, k) => k * 0.5 - 3);
          const mapped = ransDecodeStatic(stream, stride, tables, new Float32Array(codes.length), values);
          const expected = Float32Array.from(codes, (q, i) => values[(Math.floor(i / stride) << bits) + q]!);
          assert.deepEqual(
            mapped,
            expected,
            `values: bits=${bits} precision=${precisionBits} trial=${trial}`,
          );
        }
      }
    }
  });

  it('ransEncodeStatic - gives up (-1) when the stream does not fit the buffer', opts, () => {
    const spec = { precisionBits: 12, tables: [[1, 4095]] };
    const tables = buildRansTables(spec, 1, 1);
    // 64 codes of probability 1/4096: ~96 bytes of stream.
    assert.equal(ransEncodeStatic(new Uint8Array(64), 64, tables, new Uint8Array(40)), -1);
    assert.equal(ransEncodeStatic(new Uint8Array(64), 64, tables, new Uint8Array(3)), -1);
    assert.ok(ransEncodeStatic(new Uint8Array(64), 64, tables, new Uint8Array(200)) > 0);
  });

  it(
    'ransDecodeStatic - a damaged stream is a FrameError: short, long, wrong state or wrong end',
    opts,
    () => {
      const random = createRandom(12);
      const spec = randomTables(random, 3, 3, 12);
      const tables = buildRansTables(spec, 3, 3);
      const codes = drawCodes(random, spec, 40);
      const stream = encode(codes, 40, spec, 3);
      const decode = (bytes: Uint8Array) => () => ransDecodeStatic(bytes, 40, tables, new Uint8Array(120));
      expectCorrupt(decode(stream.subarray(0, stream.length - 1)));
      expectCorrupt(decode(Uint8Array.from([...stream, 0])));
      expectCorrupt(decode(stream.subarray(0, 3)));
      const low = stream.slice();
      low[3] = 0; // state < 2^23
      expectCorrupt(decode(low));
      let caught = 0;
      for (let i = 0; i < stream.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = stream.slice();
          bad[i]! ^= 1 << bit;
          try {
            const out = ransDecodeStatic(bad, 40, tables, new Uint8Array(120));
            assert.notDeepEqual(out, codes, 'a changed stream cannot decode to the same codes');
          } catch (err) {
            assert.ok(err instanceof FrameError, String(err));
            caught++;
          }
        }
      }
      // The end-state check catches nearly every flip (the frame CRC catches the rest).
      assert.ok(caught / (stream.length * 8) > 0.9, `caught ${caught} of ${stream.length * 8}`);
      assert.equal(RANS_L, 2 ** 23);
    },
  );

  it('buildRansTables - refuses tables that do not fit the layout', opts, () => {
    const ok = { precisionBits: 4, tables: [[8, 4, 2, 2]] };
    assert.doesNotThrow(() => buildRansTables(ok, 2, 1));
    assert.throws(() => buildRansTables(ok, 2, 2), /2 tables/);
    assert.throws(() => buildRansTables(ok, 5, 1), /precisionBits/);
    assert.throws(() => buildRansTables({ ...ok, precisionBits: 17 }, 2, 1), RangeError);
    assert.throws(() => buildRansTables({ precisionBits: 4, tables: [[8, 4, 4]] }, 2, 1), /4 entries/);
    assert.throws(() => buildRansTables({ precisionBits: 4, tables: [[8, 4, 4, 0]] }, 2, 1), /entry 3/);
    assert.throws(() => buildRansTables({ precisionBits: 4, tables: [[8, 4, 2, 1.5]] }, 2, 1), /entry 3/);
    assert.throws(() => buildRansTables({ precisionBits: 4, tables: [[8, 4, 2, 3]] }, 2, 1), /sums to 17/);
  });
});
