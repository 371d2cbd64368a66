"""The climate map: the grid box-averaged down by ``f = 2^L``, ``L = max(1, floor(log2(W / 144)))``
(128 columns at W = 256, 256 at W = 512 and 1024), and bilinear sampling back to full resolution
(wrap in longitude, clamped beyond the first/last row centre). A box that sticks out of the grid
(``H`` or ``W`` not divisible by ``f``) averages the cells it has. The atmosphere shares it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit, prange

from planet.core.grid import Grid

f32 = np.float32


def climate_level(columns: int) -> int:
    """``L = max(1, floor(log2(W / 144)))``: the climate map is the grid coarsened by ``2^L``."""
    return max(1, int(math.floor(math.log2(columns / 144.0))))


@dataclass(frozen=True)
class ClimateMap:
    """Geometry of the coarse climate map of a full grid, and how to sample it back."""

    rows: int           # full grid
    columns: int
    factor: int         # 2^L
    lat: np.ndarray     # (Hc,) float32 degrees, mean latitude of the full rows each climate row covers
    row_area: np.ndarray  # (Hc,) float64, area of one climate cell in each row (relative)
    cell_deg: float     # nominal climate-cell size in degrees
    row0: np.ndarray    # (H,) int64, bilinear up-sampling: climate rows either side of each full row
    row1: np.ndarray
    row_w: np.ndarray   # (H,) float32 weight of row1
    col0: np.ndarray    # (W,) int64
    col1: np.ndarray
    col_w: np.ndarray   # (W,) float32

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.lat), -(-self.columns // self.factor))     # len(col_centres()), without building them

    def col_centres(self) -> np.ndarray:
        f, W = self.factor, self.columns
        starts = np.arange(0, W, f)
        ends = np.minimum(starts + f, W)
        return (starts + ends - 1) / 2.0


def _interpolation(centres: np.ndarray, n: int, wrap: bool):
    """For each full index 0..n-1 the two climate indices around it and the weight of the second."""
    x = np.arange(n, dtype=np.float64)
    m = len(centres)
    if wrap:
        ext = np.concatenate([centres, [centres[0] + n]])
        k = np.searchsorted(ext, x, side="right") - 1           # ext[k] <= x < ext[k+1], k in [-1, m-1]
        lo = np.where(k < 0, m - 1, k)
        lo_pos = np.where(k < 0, centres[-1] - n, ext[np.maximum(k, 0)])
        hi_pos = np.where(k < 0, centres[0], ext[np.maximum(k, 0) + 1])
        hi = (lo + 1) % m
        w = (x - lo_pos) / (hi_pos - lo_pos)
    else:
        k = np.clip(np.searchsorted(centres, x, side="right") - 1, 0, m - 1)
        lo = k
        hi = np.minimum(k + 1, m - 1)
        span = np.where(hi > lo, centres[hi] - centres[lo], 1.0)
        w = np.clip((x - centres[lo]) / span, 0.0, 1.0)
        w = np.where(hi > lo, w, 0.0)
    return lo.astype(np.int64), hi.astype(np.int64), w.astype(np.float32)


@lru_cache(maxsize=16)
def climate_map(rows: int, columns: int) -> ClimateMap:
    """The climate map of an ``rows × columns`` grid (cached)."""
    f = 2 ** climate_level(columns)
    grid = Grid(rows, columns)
    rstarts = np.arange(0, rows, f)
    rends = np.minimum(rstarts + f, rows)
    lat = np.array([grid.lat[a:b].mean() for a, b in zip(rstarts, rends)], dtype=np.float32)
    edges = np.radians(90.0 - 180.0 * np.append(rstarts, rows) / rows)
    row_area = np.sin(edges[:-1]) - np.sin(edges[1:])
    rcent = (rstarts + rends - 1) / 2.0
    cstarts = np.arange(0, columns, f)
    ccent = (cstarts + np.minimum(cstarts + f, columns) - 1) / 2.0
    r0, r1, rw = _interpolation(rcent, rows, wrap=False)
    c0, c1, cw = _interpolation(ccent, columns, wrap=True)
    return ClimateMap(rows, columns, f, lat, row_area, 360.0 * f / columns, r0, r1, rw, c0, c1, cw)


# ---------------------------------------------------------------------------
# Box average and bilinear up-sampling

@njit(cache=True, nogil=True, inline="always")
def _add_row(row, f, acc, Wf):
    """``acc[ic] += row[ic f] + … + row[ic f + f − 1]`` one cell at a time, left to right, for the
    ``Wf`` full boxes (2, 4 and 8 spelled out, so that the loop vectorises)."""
    if f == 2:
        for ic in range(Wf):
            acc[ic] = acc[ic] + row[2 * ic] + row[2 * ic + 1]
    elif f == 4:
        for ic in range(Wf):
            acc[ic] = acc[ic] + row[4 * ic] + row[4 * ic + 1] + row[4 * ic + 2] + row[4 * ic + 3]
    elif f == 8:
        for ic in range(Wf):
            k = 8 * ic
            acc[ic] = (acc[ic] + row[k] + row[k + 1] + row[k + 2] + row[k + 3] + row[k + 4] + row[k + 5]
                       + row[k + 6] + row[k + 7])
    else:
        for ic in range(Wf):
            s = acc[ic]
            for t in range(f):
                s += row[ic * f + t]
            acc[ic] = s


@njit(cache=True, nogil=True, parallel=True)
def _box_average(field, f, Hc, Wc):
    """Per climate row, the sums of its ``f`` full rows accumulate in a row buffer, each cell added in
    the order row by row, left to right (the order of a plain double loop over the box)."""
    H, W = field.shape
    Wf = W // f                      # full boxes in a row; a last partial box follows if W % f
    out = np.empty((Hc, Wc), dtype=np.float32)
    for jc in prange(Hc):
        j0 = jc * f
        j1 = min(j0 + f, H)
        acc = np.zeros(Wc, dtype=np.float32)
        for j in range(j0, j1):
            _add_row(field[j], f, acc, Wf)
            for ic in range(Wf, Wc):
                s = acc[ic]
                for i in range(ic * f, min(ic * f + f, W)):
                    s += field[j, i]
                acc[ic] = s
        for ic in range(Wc):
            i0 = ic * f
            i1 = min(i0 + f, W)
            out[jc, ic] = acc[ic] / f32((j1 - j0) * (i1 - i0))
    return out


def box_average(field: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each ``factor × factor`` box (partial boxes at the edges average what they hold)."""
    field = np.ascontiguousarray(field, dtype=np.float32)
    if field.ndim != 2:
        raise ValueError(f"field must be a 2-D array, got shape {field.shape}")
    if not isinstance(factor, (int, np.integer)) or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    H, W = field.shape
    return _box_average(field, int(factor), -(-H // factor), -(-W // factor))


@njit(cache=True, nogil=True, inline="always")
def column_pattern(col0, col1, col_w, Wc):
    """``f`` (2, 4 or 8) when the column interpolation is the regular one of a map ``f`` times coarser with
    ``W = f Wc`` (full column ``i = f ic + p`` lies between climate columns ``ic − 1`` and ``ic`` for
    ``p < f/2``, ``ic`` and ``ic + 1`` else, wrapped, with the weight ``col_w[p]``), else 0: then
    ``expand_row`` may read the climate columns in order instead of gathering them."""
    W = col0.shape[0]
    f = W // Wc
    if (f != 2 and f != 4 and f != 8) or W != f * Wc:
        return 0
    for i in range(W):
        ic = i // f
        p = i - ic * f
        lo = ic - 1 if 2 * p < f else ic
        if lo < 0:
            lo += Wc
        hi = lo + 1 if lo + 1 < Wc else 0
        if col0[i] != lo or col1[i] != hi or col_w[i] != col_w[p]:
            return 0
    return f


@njit(cache=True, nogil=True, inline="always")
def _pair8(ext, col_w, ic, p):
    """For full column ``8 ic + p`` of a map 8 times coarser: the two climate values it lies between
    (from ``ext``, the row with one wrapped value either side: columns ``ic − 1`` and ``ic`` for the
    western half of the box, ``ic`` and ``ic + 1`` for the eastern) and the weight of the second."""
    s = 0 if p < 4 else 1
    return ext[ic + s], ext[ic + s + 1], col_w[p]


@njit(cache=True, nogil=True, inline="always")
def expand_row(tmp, ext, f, col0, col1, col_w, out):
    """``out[i] = tmp[col0[i]] (1 − col_w[i]) + tmp[col1[i]] col_w[i]`` along a row (the bilinear
    sampling's blend between climate columns). With ``f = column_pattern(...)`` 2, 4 or 8 the climate
    columns are read in order from ``ext`` (``Wc + 2``: the row with one wrapped value either side), the
    same products and sums, so the result is the gather's bit for bit; ``f = 0``: the gather."""
    Wc = tmp.shape[0]
    one = f32(1.0)
    if f == 0:
        for i in range(out.shape[0]):
            wx = col_w[i]
            out[i] = tmp[col0[i]] * (one - wx) + tmp[col1[i]] * wx
        return
    ext[0] = tmp[Wc - 1]
    for ic in range(Wc):
        ext[ic + 1] = tmp[ic]
    ext[Wc + 1] = tmp[0]
    if f == 2:
        w0 = col_w[0]
        w1 = col_w[1]
        u0 = one - w0
        u1 = one - w1
        for ic in range(Wc):
            out[2 * ic] = ext[ic] * u0 + ext[ic + 1] * w0
            out[2 * ic + 1] = ext[ic + 1] * u1 + ext[ic + 2] * w1
    elif f == 4:
        w0 = col_w[0]
        w1 = col_w[1]
        w2 = col_w[2]
        w3 = col_w[3]
        u0 = one - w0
        u1 = one - w1
        u2 = one - w2
        u3 = one - w3
        for ic in range(Wc):
            a = ext[ic]
            b = ext[ic + 1]
            c = ext[ic + 2]
            out[4 * ic] = a * u0 + b * w0
            out[4 * ic + 1] = a * u1 + b * w1
            out[4 * ic + 2] = b * u2 + c * w2
            out[4 * ic + 3] = b * u3 + c * w3
    else:
        for ic in range(Wc):
            for p in range(8):
                x, y, w = _pair8(ext, col_w, ic, p)
                out[8 * ic + p] = x * (one - w) + y * w


@njit(cache=True, nogil=True, inline="always")
def expand_parts(tmp, ext, f, col0, col1, col_w, lo, hi):
    """The two terms of ``expand_row`` apart: ``lo[i] = tmp[col0[i]] (1 − col_w[i])`` and
    ``hi[i] = tmp[col1[i]] col_w[i]`` (read in order when ``f`` is 2, 4 or 8, as ``expand_row``)."""
    Wc = tmp.shape[0]
    one = f32(1.0)
    if f == 0:
        for i in range(lo.shape[0]):
            wx = col_w[i]
            lo[i] = tmp[col0[i]] * (one - wx)
            hi[i] = tmp[col1[i]] * wx
        return
    ext[0] = tmp[Wc - 1]
    for ic in range(Wc):
        ext[ic + 1] = tmp[ic]
    ext[Wc + 1] = tmp[0]
    if f == 2:
        w0 = col_w[0]
        w1 = col_w[1]
        u0 = one - w0
        u1 = one - w1
        for ic in range(Wc):
            lo[2 * ic] = ext[ic] * u0
            hi[2 * ic] = ext[ic + 1] * w0
            lo[2 * ic + 1] = ext[ic + 1] * u1
            hi[2 * ic + 1] = ext[ic + 2] * w1
    elif f == 4:
        w0 = col_w[0]
        w1 = col_w[1]
        w2 = col_w[2]
        w3 = col_w[3]
        u0 = one - w0
        u1 = one - w1
        u2 = one - w2
        u3 = one - w3
        for ic in range(Wc):
            a = ext[ic]
            b = ext[ic + 1]
            c = ext[ic + 2]
            lo[4 * ic] = a * u0
            hi[4 * ic] = b * w0
            lo[4 * ic + 1] = a * u1
            hi[4 * ic + 1] = b * w1
            lo[4 * ic + 2] = b * u2
            hi[4 * ic + 2] = c * w2
            lo[4 * ic + 3] = b * u3
            hi[4 * ic + 3] = c * w3
    else:
        for ic in range(Wc):
            for p in range(8):
                x, y, w = _pair8(ext, col_w, ic, p)
                lo[8 * ic + p] = x * (one - w)
                hi[8 * ic + p] = y * w


def upsample(coarse: np.ndarray, cmap: ClimateMap) -> np.ndarray:
    """Bilinear sampling of climate-map fields ``(K, Hc, Wc)`` (or ``(Hc, Wc)``) at full resolution."""
    coarse = np.ascontiguousarray(coarse, dtype=np.float32)
    single = coarse.ndim == 2
    if single:
        coarse = coarse[None]
    if coarse.shape[1:] != cmap.shape:
        raise ValueError(f"climate fields must have shape {cmap.shape}, got {coarse.shape[1:]}")
    out = np.empty((coarse.shape[0], cmap.rows, cmap.columns), np.float32)
    _upsample_each(coarse, cmap.row0, cmap.row1, cmap.row_w, cmap.col0, cmap.col1, cmap.col_w,
                   tuple(out[k] for k in range(out.shape[0])))
    return out[0] if single else out


@njit(cache=True, nogil=True, parallel=True)
def _upsample_each(coarse, row0, row1, row_w, col0, col1, col_w, outs):
    """Bilinear sampling of ``(K, Hc, Wc)`` climate fields at every full cell into ``outs``, a tuple of
    ``K`` ``(H, W)`` arrays. Per full row: blend the two climate rows around it (``Wc`` values), then
    blend along the row between the two climate columns around each cell (``expand_row``)."""
    K, Hc, Wc = coarse.shape
    H = row0.shape[0]
    one = f32(1.0)
    f = column_pattern(col0, col1, col_w, Wc)
    for j in prange(H):
        a = row0[j]
        b = row1[j]
        wy = row_w[j]
        tmp = np.empty(Wc, dtype=np.float32)
        ext = np.empty(Wc + 2, dtype=np.float32)
        for k in range(K):
            for ic in range(Wc):
                tmp[ic] = coarse[k, a, ic] * (one - wy) + coarse[k, b, ic] * wy
            expand_row(tmp, ext, f, col0, col1, col_w, outs[k][j])


def upsample_each(coarse: np.ndarray, cmap: ClimateMap) -> list[np.ndarray]:
    """``upsample`` of ``(K, Hc, Wc)`` climate fields as ``K`` separate full-resolution arrays: one block of
    ``K`` fields would be a single allocation of ``4 K H W`` bytes, which at 2048 columns (32 MiB for four)
    the C allocator maps afresh every step (page faults on every page it writes), where arrays of one field
    each are reused from its heap."""
    coarse = np.ascontiguousarray(coarse, dtype=np.float32)
    if coarse.ndim != 3 or coarse.shape[1:] != cmap.shape:
        raise ValueError(f"climate fields must have shape (K, {cmap.shape[0]}, {cmap.shape[1]}), got {coarse.shape}")
    outs = tuple(np.empty((cmap.rows, cmap.columns), np.float32) for _ in range(coarse.shape[0]))
    _upsample_each(coarse, cmap.row0, cmap.row1, cmap.row_w, cmap.col0, cmap.col1, cmap.col_w, outs)
    return list(outs)
