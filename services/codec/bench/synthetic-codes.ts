// Inputs for the codec benchmark: codes drawn from per-channel frequency tables, and synthetic
// tables for layouts that ship none. Deterministic: a run reproduces from its seed.
import type { EntropyTablesSpec } from '../src/index.js';

/**
 * Per-channel tables at 2^precisionBits of a discretised Laplacian centred on the middle code,
 * each channel a little wider than the last (as real bottleneck channels differ), every entry >= 1.
 */
export function laplacianTables(channels: number, bits: number, precisionBits: number): EntropyTablesSpec {
  const symbols = 2 ** bits;
  const total = 2 ** precisionBits;
  const tables = Array.from({ length: channels }, (_, c) => {
    const scale = 0.5 + (c % 8) * (symbols / 64);
    const weights = Array.from({ length: symbols }, (_, s) => Math.exp(-Math.abs(s - symbols / 2) / scale));
    const sum = weights.reduce((a, b) => a + b, 0);
    const freq = weights.map((w) => Math.max(1, Math.floor((w / sum) * (total - symbols))));
    // Give the rounding remainder to the most likely symbol so the table sums exactly.
    const peak = freq.indexOf(Math.max(...freq));
    freq[peak]! += total - freq.reduce((a, b) => a + b, 0);
    return freq;
  });
  return { precisionBits, tables };
}

/** One sample of codes, channel c drawn from tables[c] by inverse CDF. */
export function drawCodes(
  entropy: EntropyTablesSpec,
  shape: readonly number[],
  bits: number,
  random: () => number,
): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const plane = count / shape[0]!;
  const total = 2 ** entropy.precisionBits;
  const codes = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const table = entropy.tables[Math.floor(i / plane)]!;
    let u = Math.floor(random() * total);
    let s = 0;
    while (s < 2 ** bits - 1 && u >= table[s]!) u -= table[s++]!;
    codes[i] = s;
  }
  return codes;
}
