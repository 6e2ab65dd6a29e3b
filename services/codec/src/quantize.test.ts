import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dequantize, dequantizedLevels, type QuantSpec, quantize, resolveQuantSpec } from './quantize.js';
import { createRandom, randomInt } from './testing/seeded-random.js';

const opts = { timeout: 30_000 };

function randomSpec(random: () => number, bits: number, perChannel: boolean): QuantSpec {
  const rank = randomInt(random, 1, 3);
  const shape = Array.from({ length: rank }, () => randomInt(random, 1, 9));
  const ranges = perChannel ? shape[0]! : 1;
  const min: number[] = [];
  const max: number[] = [];
  for (let c = 0; c < ranges; c++) {
    const lo = (random() - 0.5) * 20;
    min.push(lo);
    max.push(lo + 0.01 + random() * 10);
  }
  return { bits, shape, min, max };
}

/** Features mostly inside the range, some outside to exercise clamping. */
function randomFeatures(random: () => number, spec: QuantSpec): Float32Array {
  const { count, channelStride } = resolveQuantSpec(spec);
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(i / channelStride);
    const lo = spec.min[c]!;
    const hi = spec.max[c]!;
    x[i] = lo + (random() * 1.2 - 0.1) * (hi - lo);
  }
  return x;
}

describe('quantize', () => {
  it('quantize - follows the training formula (worked example)', opts, () => {
    // step = (1 - -1) / 3 = 2/3; q = floor((x + 1) / step + 0.5)
    const spec: QuantSpec = { bits: 2, shape: [6], min: [-1], max: [1] };
    const x = Float32Array.from([-1, -0.67, -0.66, 0.3, 0.34, 1]);
    assert.deepEqual([...quantize(x, spec)], [0, 0, 1, 2, 2, 3]);
    assert.deepEqual(
      [...dequantize(Uint8Array.from([0, 1, 2, 3]), { ...spec, shape: [4] })],
      [-1, -1 + 2 / 3, -1 + 4 / 3, 1].map(Math.fround),
    );
  });

  it('quantize - uses the range of each channel', opts, () => {
    const spec: QuantSpec = { bits: 8, shape: [2, 2], min: [0, 10], max: [255, 265] };
    assert.deepEqual([...quantize(Float32Array.from([0, 255, 10, 137.4]), spec)], [0, 255, 0, 127]);
  });

  it('quantize - clamps out-of-range values and sends NaN to code 0', opts, () => {
    const spec: QuantSpec = { bits: 3, shape: [5], min: [0], max: [7] };
    const x = Float32Array.from([-100, 100, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    assert.deepEqual([...quantize(x, spec)], [0, 7, 0, 7, 0]);
  });

  it('quantize - equals the formula with Math.floor and clamp, including huge and odd values', opts, () => {
    const random = createRandom(43);
    for (let bits = 1; bits <= 8; bits++) {
      const spec = randomSpec(random, bits, true);
      const r = resolveQuantSpec(spec);
      const specials = [Number.NaN, 1e30, -1e30, 2 ** 31, -(2 ** 31), 2 ** 30, -0, Number.MIN_VALUE];
      const x = Float32Array.from({ length: r.count }, (_, i) =>
        i < specials.length ? specials[i]! : (random() - 0.5) * 4 * (spec.max[0]! - spec.min[0]! + 1),
      );
      const out = new Uint8Array(r.count).fill(99);
      quantize(x, r, out);
      for (let i = 0; i < r.count; i++) {
        const c = Math.floor(i / r.channelStride);
        const q = r.step[c] === 0 ? 0 : Math.floor((x[i]! - r.min[c]!) / r.step[c]! + 0.5);
        const want = Number.isNaN(q) ? 0 : Math.min(Math.max(q, 0), r.maxCode);
        assert.equal(out[i], want, `bits=${bits} x=${x[i]}`);
      }
      assert.throws(() => quantize(x, r, new Uint8Array(r.count + 1)), /out holds/);
    }
  });

  it('quantize - a channel with min == max codes to 0 and dequantises to min', opts, () => {
    const spec: QuantSpec = { bits: 4, shape: [2, 2], min: [0.5, 0], max: [0.5, 1] };
    const codes = quantize(Float32Array.from([3, -3, 0, 1]), spec);
    assert.deepEqual([...codes], [0, 0, 0, 15]);
    assert.deepEqual([...dequantize(codes, spec)], [0.5, 0.5, 0, 1]);
  });

  it(
    'quantize/dequantize - requantising dequantised codes gives the same codes, every bit width',
    opts,
    () => {
      const random = createRandom(42);
      for (let bits = 1; bits <= 8; bits++) {
        for (const perChannel of [false, true]) {
          for (let trial = 0; trial < 40; trial++) {
            const spec = randomSpec(random, bits, perChannel);
            const resolved = resolveQuantSpec(spec);
            const x = randomFeatures(random, spec);
            const codes = quantize(x, spec);
            const xHat = dequantize(codes, spec);
            assert.deepEqual(
              quantize(xHat, resolved),
              codes,
              `bits=${bits} perChannel=${perChannel} trial=${trial}`,
            );
            // Inside the range the error is at most half a step (plus float32 rounding).
            for (let i = 0; i < x.length; i++) {
              const c = perChannel ? Math.floor(i / resolved.channelStride) : 0;
              const inside = x[i]! >= spec.min[c]! && x[i]! <= spec.max[c]!;
              if (inside) assert.ok(Math.abs(x[i]! - xHat[i]!) <= resolved.step[c]! / 2 + 1e-5);
            }
          }
        }
      }
    },
  );

  it('dequantize - writes into a caller buffer', opts, () => {
    const spec: QuantSpec = { bits: 1, shape: [3], min: [-2], max: [2] };
    const out = new Float32Array(3);
    assert.equal(dequantize(Uint8Array.from([1, 0, 1]), spec, out), out);
    assert.deepEqual([...out], [2, -2, 2]);
    assert.throws(() => dequantize(Uint8Array.from([1, 0, 1]), spec, new Float32Array(4)), RangeError);
    assert.throws(() => dequantize(Uint8Array.from([2, 0, 1]), spec), /code 2 at index 0 exceeds 1/);
  });

  it(
    'dequantizedLevels - every code of every channel as dequantize writes it, per channel or per tensor',
    opts,
    () => {
      for (const spec of [
        { bits: 2, shape: [3, 2], min: [-1.3, 0.1, -7], max: [2.9, 0.1, 1.7] },
        { bits: 3, shape: [2, 5], min: [-0.7], max: [3.1] },
      ] satisfies QuantSpec[]) {
        const r = resolveQuantSpec(spec);
        const channels = spec.shape[0]!;
        const levels = dequantizedLevels(r, channels);
        assert.equal(levels.length, channels << spec.bits);
        for (let c = 0; c < channels; c++) {
          for (let q = 0; q <= r.maxCode; q++) {
            const codes = new Uint8Array(r.count);
            codes.fill(q, c * (r.count / channels), (c + 1) * (r.count / channels));
            const x = dequantize(codes, r)[c * (r.count / channels)]!;
            assert.equal(levels[(c << spec.bits) + q], x, `bits=${spec.bits} c=${c} q=${q}`);
          }
        }
      }
    },
  );

  it('resolveQuantSpec - refuses invalid specs', opts, () => {
    const ok: QuantSpec = { bits: 4, shape: [2, 3], min: [0, 0], max: [1, 1] };
    assert.doesNotThrow(() => resolveQuantSpec(ok));
    const bad: QuantSpec[] = [
      { ...ok, bits: 0 },
      { ...ok, bits: 9 },
      { ...ok, shape: [] },
      { ...ok, shape: [2, 0] },
      { ...ok, shape: [2, 1.5] },
      { ...ok, min: [0, 0, 0], max: [1, 1, 1] },
      { ...ok, min: [0], max: [1, 1] },
      { ...ok, min: [0, 2], max: [1, 1] },
      { ...ok, min: [0, Number.NaN], max: [1, 1] },
      { ...ok, max: [1, Number.POSITIVE_INFINITY] },
    ];
    for (const spec of bad) assert.throws(() => resolveQuantSpec(spec), RangeError, JSON.stringify(spec));
    assert.throws(() => quantize(new Float32Array(5), ok), /features hold 5 values/);
    assert.throws(() => dequantize(new Uint8Array(7), ok), /codes hold 7 values/);
  });
});
