// Counts the typed arrays and ArrayBuffers constructed while armed, so a test can show a decoder
// allocates nothing (or exactly what the frame declares). Installed once around a whole test:
// swapping globals per call would deoptimise the code under test.
const CONSTRUCTORS = [
  'ArrayBuffer',
  'Uint8Array',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
] as const;

export interface AllocationProbe {
  /** Start recording (clears the previous record). */
  arm(): void;
  /** Stop recording; returns what was allocated while armed. */
  disarm(): { count: number; largestBytes: number; totalBytes: number };
  /** Puts the real constructors back. */
  uninstall(): void;
}

export function installAllocationProbe(): AllocationProbe {
  const g = globalThis as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  let armed = false;
  let count = 0;
  let largestBytes = 0;
  let totalBytes = 0;
  for (const name of CONSTRUCTORS) {
    const original = g[name] as new (...args: unknown[]) => object;
    originals.set(name, original);
    const perElement = (original as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    g[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        if (armed) {
          count++;
          // A length (or an array-like to copy) allocates; a (buffer, offset, length) view does not.
          const first = args[0];
          const bytes =
            typeof first === 'number'
              ? first * perElement
              : first instanceof (originals.get('ArrayBuffer') as typeof ArrayBuffer)
                ? 0
                : ((first as { length?: number } | undefined)?.length ?? 0) * perElement;
          largestBytes = Math.max(largestBytes, bytes);
          totalBytes += bytes;
        }
        return Reflect.construct(target, args, newTarget === g[name] ? target : newTarget);
      },
    });
  }
  return {
    arm() {
      count = 0;
      largestBytes = 0;
      totalBytes = 0;
      armed = true;
    },
    disarm() {
      armed = false;
      return { count, largestBytes, totalBytes };
    },
    uninstall() {
      for (const [name, original] of originals) g[name] = original;
    },
  };
}
