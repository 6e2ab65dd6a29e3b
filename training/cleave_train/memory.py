"""glibc's allocator, tuned for training: call `use_training_malloc()` first thing in a script.

With glibc's defaults, every allocation over 32 MiB (a batch's activations or gradients) is mapped
afresh with 4 KiB pages and unmapped when freed, so each training step pays a page fault per 4 KiB
on memory it held a moment before. On this project's 2-core VM that was a third of the CPU time of
`train.py --quick` (74 s of CPU, 19 s of it in the kernel; 46 s with these settings) and most of
the kernel time of the `--learn` trainer and the torchvision fixtures.

The tunables can only be set before the process starts, so the script re-executes itself once
with them in the environment (same PID, same arguments; nothing has been printed yet):
- `glibc.malloc.hugetlb=1`: the allocator asks for transparent huge pages (madvise), 2 MiB per fault;
- `glibc.malloc.trim_threshold`: freed heap memory is kept for the next step, up to 1 GiB.

The weights and results are the same; only where the memory comes from changes. Elsewhere (not
Linux, or the tunables already set, or CLEAVE_DEFAULT_MALLOC=1 to compare) it does nothing.
"""
import os
import sys

TUNABLES = "glibc.malloc.hugetlb=1:glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432"


def use_training_malloc():
    env = os.environ
    if not sys.platform.startswith("linux") or env.get("CLEAVE_DEFAULT_MALLOC") == "1":
        return
    if "glibc.malloc.hugetlb" in env.get("GLIBC_TUNABLES", ""):
        return
    tunables = f"{env['GLIBC_TUNABLES']}:{TUNABLES}" if env.get("GLIBC_TUNABLES") else TUNABLES
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], {**env, "GLIBC_TUNABLES": tunables})
