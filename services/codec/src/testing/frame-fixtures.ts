// Builders for frame tests: a valid frame, and raw frames that skip encodeFrame's checks so the
// decoder can be fed every kind of bad field.
import { crc32c } from '../crc32c.js';
import type { FrameFields } from '../encode-frame.js';

export const SAMPLE_SHA256 = '0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210';

/** 5 codes of 3 bits in shape [1, 5]: payload 0xd1 0x58 (see bit-pack.test.ts). */
export function sampleFields(overrides: Partial<FrameFields> = {}): FrameFields {
  return {
    headSha256: SAMPLE_SHA256,
    shape: [1, 5],
    bits: 3,
    codecId: 0,
    payload: Uint8Array.from([0xd1, 0x58]),
    // The golden vectors of docs/wire-format.md are version 2 frames, which carry their dims.
    version: 2,
    ...overrides,
  };
}

export interface RawFrame {
  /** Byte 0: magic nibble and version nibble. */
  lead: number;
  codecId: number;
  bits: number;
  /** Rank as written in the format byte; defaults to dims.length. */
  rank?: number;
  fingerprint: number[];
  dims: number[];
  /** Written as given instead of the varint of each dim. */
  dimBytes?: number[];
  payloadLength?: number;
  /** Written as given instead of the varint of the payload length. */
  lengthBytes?: number[];
  payload: number[];
  /** Defaults to the correct CRC. */
  crc?: number;
  trailing?: number[];
}

export function sampleRaw(overrides: Partial<RawFrame> = {}): RawFrame {
  return {
    lead: 0xc2,
    codecId: 0,
    bits: 3,
    fingerprint: [0x01, 0x23, 0x45, 0x67],
    dims: [1, 5],
    payload: [0xd1, 0x58],
    ...overrides,
  };
}

export function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** Serialises a RawFrame exactly as told, with no validation. */
export function buildRaw(raw: RawFrame): Uint8Array {
  const rank = raw.rank ?? raw.dims.length;
  const bytes: number[] = [
    raw.lead,
    ((raw.codecId << 5) | (((raw.bits - 1) & 7) << 2) | ((rank - 1) & 3)) & 0xff,
  ];
  bytes.push(...raw.fingerprint);
  bytes.push(...(raw.dimBytes ?? raw.dims.flatMap(varint)));
  bytes.push(...(raw.lengthBytes ?? varint(raw.payloadLength ?? raw.payload.length)));
  bytes.push(...raw.payload);
  const crc = raw.crc ?? crc32c(Uint8Array.from(bytes));
  bytes.push(crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24);
  bytes.push(...(raw.trailing ?? []));
  return Uint8Array.from(bytes);
}

/** Rewrites the last 4 bytes with the CRC of everything before them. */
export function withFixedCrc(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  const at = out.length - 4;
  new DataView(out.buffer).setUint32(at, crc32c(out.subarray(0, at)), true);
  return out;
}
