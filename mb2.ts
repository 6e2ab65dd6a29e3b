import { loadBundle } from '@cleave/models';
import { makeRealFrames } from './bench/src/real-frames.js';
import { buildRansTables } from './services/codec/src/rans-tables.js';
import { ransDecodeStatic, RANS_L, readState } from './services/codec/src/rans.js';
const bundle = await loadBundle('models/fmnist-c6b2');
const { codec, frames } = await makeRealFrames(bundle, 1024);
const parsed = frames.map((f) => codec.parse(f)).filter((p) => p.codecId === 1);
const tables = buildRansTables(bundle.manifest.bottleneck.entropy as any, codec.bits, 6);
function imulDecode(payload: Uint8Array, channelStride: number, tables: any, out: Uint8Array) {
  const { freq, start, slotSymbol, symbols, precisionBits: scale } = tables;
  const mask = (1 << scale) - 1;
  const end = payload.length;
  let x = readState(payload) | 0;
  let pos = 4;
  for (let c = 0; c < tables.channels; c++) {
    const row = c * symbols;
    const slots = c << scale;
    const stop = (c + 1) * channelStride;
    for (let i = c * channelStride; i < stop; i++) {
      const slot = x & mask;
      const s = slotSymbol[slots + slot]!;
      const k = row + s;
      x = (Math.imul(freq[k]!, x >>> scale) + slot - start[k]!) | 0;
      while (x < RANS_L) {
        if (pos >= end) throw new Error('x');
        x = (x << 8) | payload[pos++]!;
      }
      out[i] = s;
    }
  }
  if (x !== RANS_L) throw new Error('state');
  if (pos !== end) throw new Error('left');
  return out;
}
const a = new Uint8Array(294), b = new Uint8Array(294);
for (const p of parsed) { ransDecodeStatic(p.payload, 49, tables, a); imulDecode(p.payload, 49, tables, b); if (a.join() !== b.join()) throw new Error('mismatch'); }
for (let rep = 0; rep < 5; rep++) {
  let t = process.hrtime.bigint(); const N = 300;
  for (let n = 0; n < N; n++) for (const p of parsed) ransDecodeStatic(p.payload, 49, tables, a);
  const r1 = Number(process.hrtime.bigint() - t) / (N * parsed.length);
  t = process.hrtime.bigint();
  for (let n = 0; n < N; n++) for (const p of parsed) imulDecode(p.payload, 49, tables, b);
  const r2 = Number(process.hrtime.bigint() - t) / (N * parsed.length);
  console.log(`current ${r1.toFixed(0)} ns/frame, imul ${r2.toFixed(0)} ns/frame`);
}
