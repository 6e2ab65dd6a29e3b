// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and gRPC's
// own tooling. Slicing-by-8 tables: 8 KiB, built once at import, ~1 GB/s in V8.
const POLY = 0x82f63b78;

const TABLE = new Uint32Array(256 * 8);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLE[n]!;
  for (let s = 1; s < 8; s++) {
    c = TABLE[c & 0xff]! ^ (c >>> 8);
    TABLE[s * 256 + n] = c;
  }
}

/**
 * CRC-32C of `data`, as an unsigned 32-bit integer. Pass a previous result as `crc` to
 * continue a checksum over several chunks: crc32c(b, crc32c(a)) === crc32c(a ‖ b).
 */
export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      TABLE[7 * 256 + (lo & 0xff)]! ^
      TABLE[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      TABLE[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      TABLE[4 * 256 + (lo >>> 24)]! ^
      TABLE[3 * 256 + data[i + 4]!]! ^
      TABLE[2 * 256 + data[i + 5]!]! ^
      TABLE[256 + data[i + 6]!]! ^
      TABLE[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
