// A streaming scanner for the fashion-mnist class files ({"data": [[784 ints], ...]}).
// JSON.parse would build 7,000 arrays of boxed numbers per class; this reads the digits
// straight into one Uint8Array and can stop after the entries it needs.

export const IMAGE_PIXELS = 784;

export class DatasetError extends Error {
  override name = 'DatasetError';
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

/**
 * Returns the non-empty entries of one class file, in file order, up to `maxEntries`.
 * Empty entries (the package uses them as separators in some class files) are dropped.
 */
export function scanClassFile(
  file: string,
  bytes: Uint8Array,
  maxEntries = Number.POSITIVE_INFINITY,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  let current = new Uint8Array(IMAGE_PIXELS);
  let count = 0;
  let fill = 0;
  let depth = 0;
  let value = -1;
  for (let i = 0; i < bytes.length && chunks.length < maxEntries; i++) {
    const b = bytes[i]!;
    if (b >= 48 && b <= 57) {
      value = value < 0 ? b - 48 : value * 10 + (b - 48);
      continue;
    }
    if (value >= 0) {
      if (depth !== 2 || value > 255 || fill >= IMAGE_PIXELS) {
        throw new DatasetError(file, `unexpected value ${value} at byte ${i} (entry ${count})`);
      }
      current[fill++] = value;
      value = -1;
    }
    if (b === 91 /* [ */) {
      depth++;
      if (depth === 2) fill = 0;
    } else if (b === 93 /* ] */) {
      if (depth === 2) {
        if (fill === IMAGE_PIXELS) {
          chunks.push(current);
          current = new Uint8Array(IMAGE_PIXELS);
        } else if (fill !== 0) {
          throw new DatasetError(file, `entry ${count} has ${fill} pixels, expected ${IMAGE_PIXELS} or none`);
        }
        count++;
      }
      depth--;
    }
  }
  const out = new Uint8Array(chunks.length * IMAGE_PIXELS);
  chunks.forEach((c, k) => {
    out.set(c, k * IMAGE_PIXELS);
  });
  return out;
}
