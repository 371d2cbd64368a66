"""How much memory a new allocation can get (for refusing worlds and files that cannot fit)."""
from __future__ import annotations

import os


def available_memory(meminfo: str = "/proc/meminfo") -> int | None:
    """Bytes a new allocation can get: ``MemAvailable`` (free pages plus the page cache and other
    memory the kernel gives back on demand), not ``MemFree``, which on a machine with a large page
    cache is a small fraction of it. Falls back to free pages where /proc/meminfo has no such line."""
    try:
        with open(meminfo, encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    value, unit = line.split()[1:3]
                    return int(value) * {"kB": 1024, "mB": 2**20, "gB": 2**30}.get(unit, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


#: glibc ``mallopt`` parameters (``malloc.h``)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: while worlds step, blocks up to this size come from malloc's heap instead of a fresh ``mmap`` each
#: (glibc's largest allowed value on 64-bit systems): a 4096-column field is 32 MiB
HEAP_MMAP_THRESHOLD = 32 << 20
#: and the heap keeps up to this much free memory at its top instead of giving it back to the system
HEAP_TRIM_THRESHOLD = 512 << 20
#: environment variable: ``system`` leaves malloc's settings as they are
MALLOC_ENV = "PLANET_MALLOC"

_heap_kept: bool | None = None


def keep_heap() -> bool:
    """Ask glibc's malloc to reuse freed field-sized blocks instead of returning their pages to the system.

    Every step allocates its output fields afresh (a state's arrays are never written again: the user
    may hold them). With glibc's default, dynamic thresholds, a freed 2 MiB field often goes back to the
    system (``mmap``'d, or trimmed from the heap's top once a few are free together), and the next
    step's arrays fault in every page they write: at 1024 columns, the life and vapour kernels then
    take about 1.3–2x as long (``bench/bench_kernels.py``). Fixed thresholds keep those pages: up to
    ``HEAP_MMAP_THRESHOLD`` a block comes from the heap, and up to ``HEAP_TRIM_THRESHOLD`` of free
    memory stays in it. The cost is that the process keeps its peak heap. Called once, by the first
    world that steps; a no-op (``False``) where malloc is not glibc's or ``PLANET_MALLOC=system``.
    Returns whether the thresholds are set."""
    global _heap_kept
    if _heap_kept is None:
        _heap_kept = False
        if os.environ.get(MALLOC_ENV, "").strip().lower() != "system":
            import platform

            if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
                import ctypes

                try:
                    mallopt = ctypes.CDLL(None).mallopt
                    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
                    _heap_kept = bool(mallopt(_M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD)
                                      and mallopt(_M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD))
                except (OSError, AttributeError):
                    pass
    return _heap_kept
