"""The memory-bandwidth floor: a 4-field, 5-point float32 stencil (one pass, njit parallel).

Every benchmark reports its kernels as a ratio to this one, timed in the same run,
so numbers from a busy, shared machine stay comparable.

    from bench.floor import Floor
    floor = Floor(rows, columns)
    ms = floor.time_ms()          # median of repeated runs
"""
from __future__ import annotations

import time

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
