// Entropy tables and codes for coder tests: skewed like real code histograms, seeded.
import type { EntropyTablesSpec } from '../rans-tables.js';

/** Random positive tables summing to 2^precisionBits, skewed like real code histograms. */
export function randomTables(
  random: () => number,
  channels: number,
  bits: number,
  precisionBits: number,
): EntropyTablesSpec {
  const symbols = 2 ** bits;
  const total = 2 ** precisionBits;
  const tables = Array.from({ length: channels }, () => {
    const freq = new Array<number>(symbols).fill(1);
    let left = total - symbols;
    while (left > 0) {
      // Mostly a few symbols: a peaked distribution with a long tail.
      const s = random() < 0.7 ? Math.floor(random() * Math.min(symbols, 3)) : Math.floor(random() * symbols);
      const add = Math.min(left, 1 + Math.floor(random() * (total / 16)));
      freq[s]! += add;
      left -= add;
    }
    return freq;
  });
  return { precisionBits, tables };
}

/** Codes drawn from the tables, so the stream is as long as real traffic makes it. */
export function drawCodes(random: () => number, spec: EntropyTablesSpec, channelStride: number): Uint8Array {
  const total = 2 ** spec.precisionBits;
  const codes = new Uint8Array(spec.tables.length * channelStride);
  for (let i = 0; i < codes.length; i++) {
    const table = spec.tables[Math.floor(i / channelStride)]!;
    let u = Math.floor(random() * total);
    let s = 0;
    while (u >= table[s]!) u -= table[s++]!;
    codes[i] = s;
  }
  return codes;
}
