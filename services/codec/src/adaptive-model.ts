// Codec 2: rANS with an adaptive model, for bundles that ship no frequency tables. The model
// learns within one frame and starts afresh in the next, so a lost frame never desynchronises
// the decoder. It is specified exactly (integers only) so another language can mirror it:
//
//   Each channel c (first dim) has a binary tree over its codes: node 1 is the root and a code's
//   bits, most significant first, walk from node n to 2n + bit, touching `bits` nodes. Every node
//   holds two counts (n0, n1), both ADAPTIVE_INITIAL_COUNT at the start of a frame.
//   To code bit b at a node, with M = 2^ADAPTIVE_PRECISION_BITS:
//     f0 = 1 + floor(n0 * (M - 2) / (n0 + n1)),  f1 = M - f0,  start0 = 0,  start1 = f0
//   and code (start_b, f_b) with the rANS step of rans.ts at precision ADAPTIVE_PRECISION_BITS.
//   Then n_b += ADAPTIVE_INCREMENT, and if n0 + n1 > ADAPTIVE_COUNT_LIMIT both halve:
//   n = (n + 1) >> 1.
//   Binary decisions are ordered by symbol (C order), then bit (MSB first); the encoder runs
//   the model forwards to learn each decision's f0, then codes the decisions backwards.
// Initial count 1 with increment 1 is Laplace's estimator at each node. On the shipped bundles'
// test codes it beat increments 2 (Krichevsky–Trofimov), 3, 4, 6 and 8 and initial counts 2..4,
// by up to 7%; the halving limit barely matters at these frame sizes.

import { RANS_STATE_BYTES } from './frame-format.js';
import { corruptStream, RANS_L, readState, writeState } from './rans.js';

export const ADAPTIVE_PRECISION_BITS = 12;
export const ADAPTIVE_INITIAL_COUNT = 1;
export const ADAPTIVE_INCREMENT = 1;
export const ADAPTIVE_COUNT_LIMIT = 1024;

const P = ADAPTIVE_PRECISION_BITS;
const M = 1 << P;
const MASK = M - 1;
const UNIT = (RANS_L >>> P) << 8;

export interface AdaptiveCoder {
  /** Like ransEncodeStatic: the stream is out.subarray(result), or -1 if it does not fit in out. */
  encode(codes: Uint8Array, out: Uint8Array): number;
  /** Decodes the layout's codes into `out`; a bad stream is a FrameError on 'payload'. */
  decode(payload: Uint8Array, out: Uint8Array): Uint8Array;
}

/** A coder for `channels` channels of `channelStride` codes of `bits` bits; it owns its scratch. */
export function createAdaptiveCoder(bits: number, channels: number, channelStride: number): AdaptiveCoder {
  const symbols = 1 << bits;
  const count = channels * channelStride;
  // counts[(c * symbols + node) * 2 + b]; node 0 is unused.
  const counts = new Uint16Array(channels * symbols * 2);
  let decisions: Uint16Array | undefined; // (b << 15) | f0 per binary decision, for the encoder

  /** f0 of the node at `at`, then the node learns bit b. */
  const learn = (at: number, b: number): number => {
    const n0 = counts[at]!;
    const n1 = counts[at + 1]!;
    const f0 = 1 + Math.floor((n0 * (M - 2)) / (n0 + n1));
    counts[at + b] = counts[at + b]! + ADAPTIVE_INCREMENT;
    if (n0 + n1 + ADAPTIVE_INCREMENT > ADAPTIVE_COUNT_LIMIT) {
      counts[at] = (counts[at]! + 1) >>> 1;
      counts[at + 1] = (counts[at + 1]! + 1) >>> 1;
    }
    return f0;
  };

  return {
    encode(codes, out) {
      counts.fill(ADAPTIVE_INITIAL_COUNT);
      decisions ??= new Uint16Array(count * bits);
      let d = 0;
      for (let c = 0; c < channels; c++) {
        const tree = c * symbols;
        const stop = (c + 1) * channelStride;
        for (let i = c * channelStride; i < stop; i++) {
          const s = codes[i]!;
          let node = 1;
          for (let k = bits - 1; k >= 0; k--) {
            const b = (s >>> k) & 1;
            decisions[d++] = (b << 15) | learn((tree + node) * 2, b);
            node = (node << 1) | b;
          }
        }
      }
      let x = RANS_L;
      let pos = out.length;
      while (d > 0) {
        const e = decisions[--d]!;
        const f0 = e & 0x7fff;
        const one = e >>> 15;
        const f = one ? M - f0 : f0;
        const limit = UNIT * f;
        while (x >= limit) {
          if (pos <= RANS_STATE_BYTES) return -1;
          out[--pos] = x & 0xff;
          x >>>= 8;
        }
        const q = (x / f) >>> 0;
        x = (q << P) + (x - q * f) + (one ? f0 : 0);
      }
      if (pos < RANS_STATE_BYTES) return -1;
      return writeState(out, pos, x);
    },

    decode(payload, out) {
      counts.fill(ADAPTIVE_INITIAL_COUNT);
      const end = payload.length;
      let x = readState(payload);
      let pos = RANS_STATE_BYTES;
      for (let c = 0; c < channels; c++) {
        const tree = c * symbols;
        const stop = (c + 1) * channelStride;
        for (let i = c * channelStride; i < stop; i++) {
          let node = 1;
          for (let k = 0; k < bits; k++) {
            const at = (tree + node) * 2;
            const n0 = counts[at]!;
            const f0 = 1 + Math.floor((n0 * (M - 2)) / (n0 + counts[at + 1]!));
            const slot = x & MASK;
            const b = slot >= f0 ? 1 : 0;
            x = b ? (M - f0) * (x >>> P) + slot - f0 : f0 * (x >>> P) + slot;
            while (x < RANS_L) {
              if (pos >= end) throw corruptStream(`rANS stream ends at symbol ${i}`, pos);
              x = (x << 8) | payload[pos++]!;
            }
            learn(at, b);
            node = (node << 1) | b;
          }
          out[i] = node - symbols;
        }
      }
      if (x !== RANS_L)
        throw corruptStream(`rANS stream ends in state 0x${x.toString(16)}, not 0x800000`, end);
      if (pos !== end) throw corruptStream(`${end - pos} rANS bytes left after the last symbol`, pos);
      return out;
    },
  };
}
