// Static rANS (Duda 2013; the byte-wise 32-bit layout of ryg_rans), bit-exact with the Python
// reference in training/cleave_train/rans.py:
//   - the state x lives in [RANS_L, 2^31), RANS_L = 2^23, and is renormalised a byte at a time;
//   - symbols are coded in C order over the shape, symbol i with the table of its channel
//     (the first dim), so the encoder runs from the last symbol to the first;
//   - the stream is the encoder's final state (4 bytes, little-endian) followed by the bytes it
//     shifted out, in the order the decoder reads them: front to back.
// The decoder trusts nothing: every byte read is bounds-checked, and a stream must end with the
// state back at RANS_L and every byte consumed, otherwise it is a FrameError.
import { FrameError, FrameErrorCode } from './errors.js';
import { RANS_STATE_BYTES } from './frame-format.js';

/** Lower bound of the normalised state interval [RANS_L, 256 * RANS_L). */
export const RANS_L = 1 << 23;
/** Largest state a valid stream can start with: 256 * RANS_L - 1. */
export const RANS_STATE_MAX = 2 ** 31 - 1;

/**
 * Tables of at most this many symbols (1- and 2-bit codes) are decoded by comparing the slot with
 * the channel's cumulative starts, with no slot → symbol table.
 */
export const SEARCH_MAX_SYMBOLS = 4;

/** A static entropy model laid out for the inner loops (built by buildRansTables). */
export interface RansTables {
  readonly precisionBits: number;
  readonly channels: number;
  /** 2^bits: entries per table. */
  readonly symbols: number;
  /** Int32 (entries are at most 2^16), so the decoder's arithmetic stays in 32-bit integers. */
  readonly freq: Int32Array;
  /** Cumulative frequency of the symbols before each one. */
  readonly start: Int32Array;
  /** The encoder shifts bytes out while x >= ((RANS_L >> precisionBits) << 8) * freq. */
  readonly renormLimit: Uint32Array;
  /**
   * [channel << precisionBits | slot] → the symbol whose range holds the slot. Empty for tables of
   * at most SEARCH_MAX_SYMBOLS symbols, whose symbol the decoder finds by comparison instead.
   */
  readonly slotSymbol: Uint8Array;
  /** [channel * symbols + symbol] → the symbol: what ransDecodeStatic writes by default. */
  readonly codes: Uint8Array;
}

/** A payload whose entropy-coded stream does not decode. */
export function corruptStream(message: string, offset?: number): FrameError {
  return new FrameError(FrameErrorCode.BAD_FIELD, 'payload', message, { offset });
}

/** Writes the final state little-endian just before `pos`; returns the new start of the stream. */
export function writeState(out: Uint8Array, pos: number, x: number): number {
  out[pos - 4] = x & 0xff;
  out[pos - 3] = (x >>> 8) & 0xff;
  out[pos - 2] = (x >>> 16) & 0xff;
  out[pos - 1] = x >>> 24;
  return pos - 4;
}

/** Reads the start state of a stream and checks it is one an encoder can end in. */
export function readState(payload: Uint8Array): number {
  if (payload.length < RANS_STATE_BYTES) {
    throw corruptStream(`rANS stream of ${payload.length} bytes is shorter than its state`, 0);
  }
  const x = (payload[0]! | (payload[1]! << 8) | (payload[2]! << 16) | (payload[3]! << 24)) >>> 0;
  if (x < RANS_L || x > RANS_STATE_MAX) throw corruptStream(`rANS state 0x${x.toString(16)} out of range`, 0);
  return x;
}

/**
 * Encodes `codes` (length = channels * channelStride, each < tables.symbols) backwards into the
 * end of `out`. Returns the offset where the stream starts, so the stream is out.subarray(start),
 * or -1 when it would need more than out.length bytes (the caller then sends bit-packed codes).
 */
export function ransEncodeStatic(
  codes: Uint8Array,
  channelStride: number,
  tables: RansTables,
  out: Uint8Array,
): number {
  const { freq, start, renormLimit, symbols, precisionBits: scale } = tables;
  let x = RANS_L;
  let pos = out.length;
  for (let c = tables.channels - 1; c >= 0; c--) {
    const row = c * symbols;
    const base = c * channelStride;
    for (let i = base + channelStride - 1; i >= base; i--) {
      const k = row + codes[i]!;
      const f = freq[k]!;
      const limit = renormLimit[k]!;
      while (x >= limit) {
        if (pos <= RANS_STATE_BYTES) return -1;
        out[--pos] = x & 0xff;
        x >>>= 8;
      }
      // x < 2^31 and f < 2^16: the float quotient truncates to the exact integer quotient.
      const q = (x / f) >>> 0;
      x = (q << scale) + (x - q * f) + start[k]!;
    }
  }
  if (pos < RANS_STATE_BYTES) return -1;
  return writeState(out, pos, x);
}

/**
 * Decodes channels * channelStride symbols from `payload` into `out`: symbol s of channel c is
 * written as values[c * symbols + s], which is its code by default (tables.codes), or whatever
 * the caller maps codes to (BottleneckCodec passes the dequantised levels, so features come out
 * in this one pass). Throws FrameError (field 'payload') if the stream runs out, ends in another
 * state than RANS_L, or has bytes left over.
 */
export function ransDecodeStatic(
  payload: Uint8Array,
  channelStride: number,
  tables: RansTables,
  out: Uint8Array,
): Uint8Array;
export function ransDecodeStatic(
  payload: Uint8Array,
  channelStride: number,
  tables: RansTables,
  out: Float32Array,
  values: Float32Array,
): Float32Array;
export function ransDecodeStatic(
  payload: Uint8Array,
  channelStride: number,
  tables: RansTables,
  out: Uint8Array | Float32Array,
  values: Uint8Array | Float32Array = tables.codes,
): Uint8Array | Float32Array {
  const { freq, start, slotSymbol, symbols, precisionBits: scale } = tables;
  const mask = (1 << scale) - 1;
  const end = payload.length;
  let x = readState(payload);
  let pos = RANS_STATE_BYTES;
  // With at most 4 symbols (1- and 2-bit codes) the symbol is the count of the channel's
  // cumulative starts at or below the slot, three branch-free comparisons, instead of a lookup in
  // a table of 2^precisionBits bytes per channel, which falls out of cache between a busy server's
  // batches. ((t - slot) >>> 31 is 1 exactly when slot > t; a bound of `mask` never counts.)
  const small = symbols <= SEARCH_MAX_SYMBOLS;
  for (let c = 0; c < tables.channels; c++) {
    const row = c * symbols;
    const slots = c << scale;
    const stop = (c + 1) * channelStride;
    const t1 = small ? start[row + 1]! - 1 : 0;
    const t2 = small && symbols > 2 ? start[row + 2]! - 1 : mask;
    const t3 = small && symbols > 3 ? start[row + 3]! - 1 : mask;
    for (let i = c * channelStride; i < stop; i++) {
      const slot = x & mask;
      const k = small
        ? row + ((t1 - slot) >>> 31) + ((t2 - slot) >>> 31) + ((t3 - slot) >>> 31)
        : row + slotSymbol[slots + slot]!;
      // < 2^31: x >>> scale < 2^(31 - scale) and freq <= 2^scale.
      x = (freq[k]! * (x >>> scale) + slot - start[k]!) | 0;
      while (x < RANS_L) {
        if (pos >= end) throw corruptStream(`rANS stream ends at symbol ${i}`, pos);
        x = (x << 8) | payload[pos++]!;
      }
      out[i] = values[k]!;
    }
  }
  if (x !== RANS_L) throw corruptStream(`rANS stream ends in state 0x${x.toString(16)}, not 0x800000`, end);
  if (pos !== end) throw corruptStream(`${end - pos} rANS bytes left after the last symbol`, pos);
  return out;
}
