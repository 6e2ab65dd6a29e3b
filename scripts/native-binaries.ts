// Finds the native binaries in a folder tree by their headers (ELF, PE, Mach-O), not by their
// names: a release for one processor must hold no binary for another. Used by pack-edge.ts to
// refuse an artifact and by the arm64 test to check the unpacked tarball.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';

export const RELEASE_ARCHES = ['arm64', 'x64'] as const;
export type ReleaseArch = (typeof RELEASE_ARCHES)[number];

/** What a binary was built for: an ELF machine we name, or the container format alone. */
export type BinaryKind = 'elf-arm64' | 'elf-x64' | 'elf-x86' | 'elf-other' | 'pe' | 'mach-o';

export interface NativeBinary {
  /** Relative to the scanned root. */
  path: string;
  kind: BinaryKind;
}

// ELF e_machine values (the System V ABI's list).
const EM_386 = 0x03;
const EM_X86_64 = 0x3e;
const EM_AARCH64 = 0xb7;
const MACH_O_MAGICS = new Set([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe, 0xbebafeca]);

/** The kind of a file from its first 64 bytes (and, for "MZ", its PE signature), or undefined. */
export function binaryKindOf(
  head: Uint8Array,
  peSignature?: (offset: number) => Uint8Array,
): BinaryKind | undefined {
  if (head.length >= 20 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
    // e_machine sits at byte 18 in both ELF classes; byte 5 gives its byte order.
    const machine = head[5] === 2 ? (head[18]! << 8) | head[19]! : head[18]! | (head[19]! << 8);
    if (machine === EM_AARCH64) return 'elf-arm64';
    if (machine === EM_X86_64) return 'elf-x64';
    if (machine === EM_386) return 'elf-x86';
    return 'elf-other';
  }
  // "MZ" also starts text files; a PE image says "PE\0\0" where e_lfanew (offset 0x3c) points.
  if (head.length >= 64 && head[0] === 0x4d && head[1] === 0x5a && peSignature) {
    const at = head[0x3c]! | (head[0x3d]! << 8) | (head[0x3e]! << 16) | (head[0x3f]! << 24);
    const sig = peSignature(at);
    if (sig[0] === 0x50 && sig[1] === 0x45 && sig[2] === 0 && sig[3] === 0) return 'pe';
  }
  if (head.length >= 4) {
    const magic = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
    if (MACH_O_MAGICS.has(magic)) return 'mach-o';
  }
  return undefined;
}

/** Every native binary under root (symbolic links are not followed). */
export function findNativeBinaries(root: string): NativeBinary[] {
  const found: NativeBinary[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const kind = kindOfFile(path);
        if (kind) found.push({ path: relative(root, path), kind });
      }
    }
  };
  walk(root);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

function kindOfFile(path: string): BinaryKind | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(64);
    const n = readSync(fd, head, 0, head.length, 0);
    return binaryKindOf(head.subarray(0, n), (offset) => {
      const sig = new Uint8Array(4);
      const m = offset >= 0 ? readSync(fd, sig, 0, 4, offset) : 0;
      return sig.subarray(0, m);
    });
  } finally {
    closeSync(fd);
  }
}

/** The binaries that a release for `arch` (Linux, glibc) cannot run. */
export function foreignBinaries(binaries: NativeBinary[], arch: ReleaseArch): NativeBinary[] {
  const own: BinaryKind = arch === 'arm64' ? 'elf-arm64' : 'elf-x64';
  return binaries.filter((b) => b.kind !== own);
}
