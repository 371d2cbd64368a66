"""The memory-bandwidth floor: a 4-field, 5-point float32 stencil (one pass, njit parallel).

Every benchmark reports its kernels as a ratio to this one, timed in the same run,
so numbers from a busy, shared machine stay comparable.

    from bench.floor import Floor
    floor = Floor(rows, columns)
    ms = floor.time_ms()          # median of repeated runs
"""
from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import numpy as np
from numba import njit, prange

f32 = np.float32


@njit(cache=True, parallel=True)
def stencil4(a, b, c, d, out):
    """``out = Δa + Δb + Δc + Δd`` (5-point Laplacians, wrap in longitude; edge rows clamp)."""
    H, W = a.shape
    for j in prange(H):
        jn = max(j - 1, 0)
        js = min(j + 1, H - 1)
        for i in range(W):
            iw = i - 1 if i > 0 else W - 1
            ie = i + 1 if i < W - 1 else 0
            s = f32(0.0)
            s += a[jn, i] + a[js, i] + a[j, iw] + a[j, ie] - f32(4.0) * a[j, i]
            s += b[jn, i] + b[js, i] + b[j, iw] + b[j, ie] - f32(4.0) * b[j, i]
            s += c[jn, i] + c[js, i] + c[j, iw] + c[j, ie] - f32(4.0) * c[j, i]
            s += d[jn, i] + d[js, i] + d[j, iw] + d[j, ie] - f32(4.0) * d[j, i]
            out[j, i] = s


def machine() -> str:
    """One line naming the machine: CPU model, cores and the caches of the first core (Linux's
    ``/proc/cpuinfo`` and ``/sys``; the platform's processor string elsewhere). Benchmarks print it, so
    that figures from two machines are not compared as one (their floor kernels differ)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    caches = []
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    for index in sorted(root.glob("index*")) if root.is_dir() else []:
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind != "Instruction":
            caches.append(f"L{level} {size}")
    return f"machine: {model}, {os.cpu_count()} cores" + (f"; cache {', '.join(caches)}" if caches else "")


class Floor:
    """Four random float32 fields and an output of one grid size."""

    def __init__(self, rows: int, columns: int):
        rng = np.random.default_rng(0)
        self.fields = [rng.random((rows, columns), dtype=np.float32) for _ in range(4)]
        self.out = np.empty((rows, columns), np.float32)
        stencil4(*self.fields, self.out)   # compile / load from cache

    def run(self) -> None:
        stencil4(*self.fields, self.out)

    def time_ms(self, repeat: int = 50) -> float:
        """Median milliseconds of one stencil pass."""
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            stencil4(*self.fields, self.out)
            times.append(time.perf_counter() - t)
        return 1e3 * float(np.median(times))
