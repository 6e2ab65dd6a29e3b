// A bundle's static entropy model (manifest bottleneck.entropy), checked once and laid out for
// the rANS inner loops: flat typed arrays indexed [channel * symbols + symbol], plus, for codes of
// 3 bits or more, a slot → symbol lookup of 2^precisionBits entries per channel for the decoder.
import { RANS_L, type RansTables, SEARCH_MAX_SYMBOLS } from './rans.js';

/** bottleneck.entropy from the manifest: one frequency table per channel. */
export interface EntropyTablesSpec {
  /** The tables' entries sum to 2^precisionBits. */
  precisionBits: number;
  /** tables[c][q]: frequency of code q in channel c; 2^bits positive integers per channel. */
  tables: readonly (readonly number[])[];
}

/** rANS needs RANS_L to be a multiple of 2^precisionBits with room for byte-wise renormalisation. */
export const MAX_PRECISION_BITS = 16;

/**
 * Checks the tables (RangeError on any fault: count, length, entries, sum) and builds the lookups.
 * `channels` is the bottleneck's first dim; `bits` its code width.
 */
export function buildRansTables(spec: EntropyTablesSpec, bits: number, channels: number): RansTables {
  const { precisionBits, tables } = spec;
  if (!Number.isInteger(precisionBits) || precisionBits < bits || precisionBits > MAX_PRECISION_BITS) {
    throw new RangeError(
      `entropy precisionBits must be ${bits}..${MAX_PRECISION_BITS}, got ${precisionBits}`,
    );
  }
  if (!Array.isArray(tables) || tables.length !== channels) {
    throw new RangeError(`entropy needs ${channels} tables (one per channel), got ${tables?.length}`);
  }
  const symbols = 1 << bits;
  const total = 1 << precisionBits;
  const freq = new Int32Array(channels * symbols);
  const start = new Int32Array(channels * symbols);
  const renormLimit = new Uint32Array(channels * symbols);
  // Only the decoder of tables with more symbols than it searches by comparison reads this.
  const slotSymbol = new Uint8Array(symbols > SEARCH_MAX_SYMBOLS ? channels * total : 0);
  const codes = new Uint8Array(channels * symbols);
  const unit = (RANS_L >>> precisionBits) << 8;
  tables.forEach((table, c) => {
    if (!Array.isArray(table) || table.length !== symbols) {
      throw new RangeError(`entropy table ${c} needs ${symbols} entries, got ${table?.length}`);
    }
    let acc = 0;
    for (let s = 0; s < symbols; s++) {
      const f = table[s]!;
      if (!Number.isInteger(f) || f < 1 || f > total) {
        throw new RangeError(`entropy table ${c} entry ${s} must be an integer 1..${total}, got ${f}`);
      }
      const k = c * symbols + s;
      freq[k] = f;
      codes[k] = s;
      start[k] = acc;
      renormLimit[k] = unit * f;
      if (slotSymbol.length > 0 && acc + f <= total) slotSymbol.fill(s, c * total + acc, c * total + acc + f);
      acc += f;
    }
    if (acc !== total) throw new RangeError(`entropy table ${c} sums to ${acc}, expected ${total}`);
  });
  return { precisionBits, channels, symbols, freq, start, renormLimit, slotSymbol, codes };
}
