// Uniform codes of `bits` bits each, packed LSB-first and contiguously: code i occupies bits
// [i*bits, (i+1)*bits) of the byte stream, where bit k is bit (k % 8) of byte floor(k / 8).
// The unused high bits of the last byte are zero, so every code sequence has one packing.

/** Bytes needed to pack `count` codes of `bits` bits: ceil(count * bits / 8). */
export function packedByteLength(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

export function assertBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) {
    throw new RangeError(`bits must be an integer in 1..8, got ${bits}`);
  }
}

/** Packs codes in [0, 2^bits - 1] into ceil(codes.length * bits / 8) bytes. */
export function packBits(codes: Uint8Array, bits: number): Uint8Array {
  assertBits(bits);
  const out = new Uint8Array(packedByteLength(codes.length, bits));
  if (bits === 8) {
    out.set(codes);
    return out;
  }
  const limit = 1 << bits;
  let acc = 0; // pending bits, at most 7 + 8 = 15 wide
  let pending = 0;
  let o = 0;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code >= limit) throw new RangeError(`code ${code} at index ${i} does not fit in ${bits} bits`);
    acc |= code << pending;
    pending += bits;
    if (pending >= 8) {
      out[o++] = acc & 0xff;
      acc >>>= 8;
      pending -= 8;
    }
  }
  if (pending > 0) out[o] = acc;
  return out;
}

/**
 * Unpacks `count` codes of `bits` bits. `bytes` must hold exactly ceil(count * bits / 8) bytes;
 * padding bits are ignored here (decodeFrame checks that they are zero).
 */
export function unpackBits(bytes: Uint8Array, bits: number, count: number, out?: Uint8Array): Uint8Array {
  assertBits(bits);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be >= 0, got ${count}`);
  const expected = packedByteLength(count, bits);
  if (bytes.length !== expected) {
    throw new RangeError(`${count} codes of ${bits} bits need ${expected} bytes, got ${bytes.length}`);
  }
  if (out !== undefined && out.length < count) {
    throw new RangeError(`out holds ${out.length} codes, need ${count}`);
  }
  const codes = out === undefined ? new Uint8Array(count) : out.subarray(0, count);
  if (bits === 8) {
    codes.set(bytes);
    return codes;
  }
  const mask = (1 << bits) - 1;
  let acc = 0;
  let available = 0;
  let b = 0;
  for (let i = 0; i < count; i++) {
    if (available < bits) {
      acc |= bytes[b++]! << available;
      available += 8;
    }
    codes[i] = acc & mask;
    acc >>>= bits;
    available -= bits;
  }
  return codes;
}
