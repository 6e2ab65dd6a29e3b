// Builders for frame tests: a valid frame, and raw frames that skip encodeFrame's checks so the
// decoder can be fed every kind of bad field.
import { crc32c } from '../crc32c.js';
import type { FrameFields } from '../encode-frame.js';

export const SAMPLE_SHA256 = '0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210';

/** 5 codes of 3 bits in shape [1, 5]: payload 0xd1 0x58 (see bit-pack.test.ts). */
export function sampleFields(overrides: Partial<FrameFields> = {}): FrameFields {
  return {
    modelName: 'fmnist-split',
    modelVersion: '1.0.0',
    headSha256: SAMPLE_SHA256,
    shape: [1, 5],
    bits: 3,
    codecId: 0,
    payload: Uint8Array.from([0xd1, 0x58]),
    ...overrides,
  };
}

export interface RawFrame {
  magic: number[];
  version: number;
  codecId: number;
  bits: number;
  fingerprint: number[];
  name: number[];
  nameLength?: number;
  modelVersion: number[];
  modelVersionLength?: number;
  rank?: number;
  dims: number[];
  payloadLength?: number;
  payload: number[];
  /** Defaults to the correct CRC. */
  crc?: number;
  trailing?: number[];
}

const ascii = (text: string): number[] => [...text].map((ch) => ch.charCodeAt(0));

export function sampleRaw(overrides: Partial<RawFrame> = {}): RawFrame {
  return {
    magic: [0x43, 0x56],
    version: 1,
    codecId: 0,
    bits: 3,
    fingerprint: [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
    name: ascii('fmnist-split'),
    modelVersion: ascii('1.0.0'),
    dims: [1, 5],
    payload: [0xd1, 0x58],
    ...overrides,
  };
}

/** Serialises a RawFrame exactly as told, little-endian, with no validation. */
export function buildRaw(raw: RawFrame): Uint8Array {
  const bytes: number[] = [...raw.magic, raw.version, raw.codecId, raw.bits, ...raw.fingerprint];
  bytes.push(raw.nameLength ?? raw.name.length, ...raw.name);
  bytes.push(raw.modelVersionLength ?? raw.modelVersion.length, ...raw.modelVersion);
  bytes.push(raw.rank ?? raw.dims.length);
  for (const d of raw.dims) bytes.push(d & 0xff, (d >>> 8) & 0xff);
  const length = raw.payloadLength ?? raw.payload.length;
  bytes.push(length & 0xff, (length >>> 8) & 0xff, (length >>> 16) & 0xff, length >>> 24);
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
