"""Which grid cell holds a point of the sphere, without trigonometry.

The rigid plates (``plates``) rotate every cell centre each step and need the cell that holds the
rotated point: row ``j = ⌊(π/2 − asin y) H/π⌋`` and column ``i = ⌊atan2(x, z) W/2π⌋`` for the unit
vector ``(x, y, z)`` (``y`` up, longitude 0 on ``+z``). ``asin`` and ``atan2`` cost about as much as
the rest of the plate rule together, so this module answers the same question with comparisons:

* **rows**: row ``j`` holds ``cos((j+1)π/H) < y ≤ cos(jπ/H)`` (the row edges are circles of
  constant ``y``), so the row is found among the precomputed edges ``yb[j] = cos(jπ/H)``;
* **columns**: the longitude is replaced by the *diamond angle* ``p`` (0 … 4, a monotone function of
  the longitude: in each quadrant the ratio of one coordinate to the sum of both), and the column
  is found among the edges ``pb[i] = p(2πi/W)``.

Either search starts at a table of ``8H`` (``8W``) equal bins of ``y`` (``p``) that gives the first
edge a bin can hold, and steps on while the point is past the next edge: one or two comparisons
for most points, a handful next to the poles where rows are thin in ``y``. The answer is the
cell ``asin``/``atan2`` give, except that a point within rounding (1e-15) of an edge may fall on
either side of it.
"""
from __future__ import annotations

import numpy as np
from numba import njit

#: bins per row (per column) of the start tables
BINS = 8


@njit(cache=True, nogil=True, inline="always")
def _diamond(x, z):
    """A monotone stand-in for ``atan2(x, z)`` mod 2π, in [0, 4): quadrant number plus the share of
    the quadrant's second coordinate (0 at the pole, where ``x = z = 0``)."""
    if x >= 0.0:
        if z >= 0.0:
            s = x + z
            return x / s if s > 0.0 else 0.0
        return 1.0 + (-z) / (x - z)
    if z <= 0.0:
        return 2.0 + (-x) / (-x - z)
    return 3.0 + z / (z - x)


def cell_tables(H: int, W: int):
    """``(yb, ystart, pb, pstart)`` for a grid of ``H`` rows and ``W`` columns: the row edges
    ``yb`` (H + 1, decreasing from 1 to −1), the column edges ``pb`` (W + 1, diamond angles from
    0 to 4), and for each of ``BINS·H`` (``BINS·W``) equal bins the first row (column) a point of
    the bin can be in, one early to be safe from rounding (the search only steps forward)."""
    yb = np.cos(np.pi * np.arange(H + 1) / H)
    yb[0], yb[H] = 1.0, -1.0
    lon = 2.0 * np.pi * np.arange(W + 1) / W
    pb = np.array([_diamond(np.sin(a), np.cos(a)) for a in lon[:W]] + [4.0])
    pb[0] = 0.0
    ny, nx = BINS * H, BINS * W
    top = 1.0 - 2.0 * np.arange(ny) / ny                      # the largest y of each bin
    ystart = np.searchsorted(-yb, -top, side="left") - 2      # the row whose edges hold it, less one
    low = 4.0 * np.arange(nx) / nx                            # the smallest p of each bin
    pstart = np.searchsorted(pb, low, side="right") - 2
    return (yb, np.clip(ystart, 0, H - 1).astype(np.int64), pb, np.clip(pstart, 0, W - 1).astype(np.int64))


@njit(cache=True, nogil=True, inline="always")
def cell_of(x, y, z, yb, ystart, pb, pstart):
    """Row and column of the cell holding the unit vector ``(x, y, z)`` (any direction, the poles
    included), from ``cell_tables``."""
    H = yb.size - 1
    W = pb.size - 1
    ny = ystart.size
    if not y < 1.0:              # NaN included: no float becomes an index unchecked
        y = 1.0
    elif y < -1.0:
        y = -1.0
    b = min(int((1.0 - y) * (0.5 * ny)), ny - 1)
    j = ystart[b]
    while j < H - 1 and y <= yb[j + 1]:
        j += 1
    p = _diamond(x, z)
    if not p >= 0.0:
        p = 0.0
    nx = pstart.size
    c = min(int(p * (0.25 * nx)), nx - 1)
    i = pstart[c]
    while i < W - 1 and p >= pb[i + 1]:
        i += 1
    return j, i
