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
