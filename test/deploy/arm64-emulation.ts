// Runs a staged arm64 install on this x86 machine the way an arm64 board would run it:
//   - a user and mount namespace of its own (unshare), so nothing below changes the machine;
//   - in it, a private binfmt_misc (Linux >= 6.7) where qemu-aarch64 is the interpreter of
//     arm64 ELF files, so the arm64 node and every arm64 program it starts (esbuild for tsx)
//     run under emulation, as under docker buildx; the arm64 glibc comes from the Debian cross
//     packages (QEMU_LD_PREFIX);
//   - the staged root where the unit expects it: /opt/cleave and /etc/cleave from --destdir,
//     and empty /var/lib/cleave and /var/cache/cleave as systemd's StateDirectory and
//     CacheDirectory would make them. So the unit's ExecStart runs as written;
//   - /proc/cpuinfo as an arm64 board's kernel writes it (Cortex-A72 cores, a Raspberry Pi 4's,
//     as many as this machine has): qemu-user 7.2 passes the host's x86 one through, and
//     onnxruntime's CPU detection (pytorch/cpuinfo) crashed on it on one of these VMs, a SIGSEGV
//     while the binding loaded, right after reading /sys/devices/system/cpu/cpu1/cache.
// What it cannot show is speed: emulated code runs many times slower than on a board.
import { type ChildProcess, spawn } from 'node:child_process';

export const QEMU_AARCH64 = '/usr/bin/qemu-aarch64';
/** libc6-arm64-cross and friends install the arm64 loader and libraries here. */
export const AARCH64_SYSROOT = '/usr/aarch64-linux-gnu';

// binfmt_misc's register line for arm64 ELF executables (the one qemu's own
// scripts/qemu-binfmt-conf.sh writes). F: the interpreter is opened now, outside any mount change.
const BINFMT_AARCH64 = String.raw`:qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:${QEMU_AARCH64}:F`;

const NAMESPACE_SETUP = `set -eu
binfmt=$1 stage=$2 cwd=$3; shift 3
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
printf '%s' "$binfmt" > /proc/sys/fs/binfmt_misc/register
mount -t tmpfs tmpfs /opt && mkdir /opt/cleave && mount --bind "$stage/opt/cleave" /opt/cleave
mount -t overlay overlay -o "lowerdir=$stage/etc:/etc" /etc
mount -t tmpfs tmpfs /var/lib && mkdir /var/lib/cleave
mount -t tmpfs tmpfs /var/cache && mkdir /var/cache/cleave
cpuinfo=$(mktemp)
i=0; n=$(getconf _NPROCESSORS_CONF)
while [ "$i" -lt "$n" ]; do
  printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n' "$i"
  i=$((i + 1))
done > "$cpuinfo"
mount --bind "$cpuinfo" /proc/cpuinfo && rm "$cpuinfo"
cd "$cwd"
exec "$@"`;

/**
 * Starts argv (absolute paths as on the device) in the staged root under arm64 emulation.
 * The process is the command itself (unshare and bash exec it), so a signal sent to the
 * returned child reaches it directly.
 */
export function spawnInArm64Root(
  stage: string,
  argv: string[],
  options: { cwd: string; env: Record<string, string> },
): ChildProcess {
  // Those folders are covered by new mounts in the namespace, so the stage cannot live there.
  for (const covered of ['/opt/', '/etc/', '/var/lib/', '/var/cache/']) {
    if (`${stage}/`.startsWith(covered)) throw new Error(`the stage ${stage} must not be under ${covered}`);
  }
  return spawn(
    'unshare',
    [
      '--user',
      '--map-root-user',
      '--mount',
      'bash',
      '-c',
      NAMESPACE_SETUP,
      'arm64-root',
      BINFMT_AARCH64,
      stage,
      options.cwd,
      ...argv,
    ],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env, QEMU_LD_PREFIX: AARCH64_SYSROOT },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}
