"""Regional (flexural) isostasy: the lithosphere answers the load averaged over a flexural length.

A plate is not a bed of independent columns: it bends over a flexural wavelength of a few hundred
kilometres (continental lithosphere, elastic thickness 20–80 km; Watts, *Isostasy and Flexure of
the Lithosphere*, 2001). A river valley narrower than that is not buoyed back up on its own; the
region around it is, so erosion deepens valleys and lifts the interfluves (isostatic rebound)
instead of being undone cell by cell.

Here the isostatic rate of every cell reads the deficit ``d = z_eq(C) − z`` smoothed by a nearly
Gaussian kernel of standard deviation ``σ`` (``flexure_radius``, in ``L0``) on the sphere: three
passes of a box of half-width ``σ`` along each axis (a box of half-width ``r`` has variance
``r²/3``; three passes, ``r²``, and their sum is within a few per cent of a Gaussian, which is
isotropic: no axis-aligned edges). Along a row the box is ``σ / dx_j`` columns wide each side
(at most half the row; periodic), along a column ``σ / dy`` rows (rows beyond a pole left out and
the weights renormalised). The half-widths are not rounded to whole cells: a cell the box's edge
cuts counts with the share of it inside, so each pass is the exact box mean of the cell-wise
constant field, the same physical kernel at every resolution, except that the half-width is
never under one cell (``MIN_HALF_WIDTH``): a grid coarser than the kernel widens it to the
narrowest bend it can carry instead of losing the flexure. On 128 columns (cells of 4 ``L0``)
the default ``σ = 2 L0`` would be half a cell, every cell on its own (Airy): the coastal plains
that the rebound of eroded continents lifts to sea level, one or two ``L0`` wide on the finer
grids, were sub-grid there, and seed 0's land at the story's end was 0.349 against 0.399 at 512
columns; with the floor 0.390 (the grids of 256 columns and finer keep ``σ``: their cells are at
most ``σ`` wide). The passes are running sums, east-west and north-south (``O(1)`` per cell at
any width, which matters near the poles and on fine grids).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, uint64

from planet.processes.lithosphere.crust import buoyant_level

f32 = np.float32
PASSES = 3
#: the box's half-width is never under one cell (see the module)
MIN_HALF_WIDTH = 1.0


def half_widths(sigma, metrics, W):
    """The box's half-widths in cells: ``(rows, cols[j])`` (floats, see the module)."""
    rows = max(sigma / metrics.dy, MIN_HALF_WIDTH)
    cols = np.minimum(np.maximum(sigma / metrics.dx, MIN_HALF_WIDTH), (W - 1) / 2.0)
    return float(rows), cols.astype(np.float64)


@njit(cache=True, nogil=True, inline="always")
def _split(r):
    """Half-width ``r`` (cells) → (whole cells each side ``K``, weight ``f`` of the cell beyond)."""
    if r < 0.5:
        return 0, 0.0
    K = int(math.floor(r - 0.5))
    return K, r - (K + 0.5)


@njit(cache=True, nogil=True, parallel=True)
def _deficit(z0, c0, z_ocean, z_cont, h_thick, out):
    """``z_eq(C) − z`` per cell."""
    H, W = z0.shape
    for j in prange(H):
        for i in range(W):
            out[j, i] = buoyant_level(c0[j, i], z_ocean, z_cont, h_thick) - z0[j, i]


#: rows smoothed together where they share the whole cells ``K`` of their box (``_box_band``)
BAND = 16


@njit(cache=True, nogil=True)
def _bands(cols):
    """Rows grouped by their box's whole cells ``K``: ``(bands, counts, solo)``, ``BAND`` rows of one
    ``K`` per band (a band of fewer repeats its last row, solved but not written), and ``counts`` the
    real rows. A ``K`` shared by fewer than ``BAND // 4`` rows of a band's worth goes row by row: those
    rows are gathered ``BAND`` at a time into bands marked ``solo``, so that every band is about
    ``BAND`` rows of work and the parallel loop over them splits the rows evenly between its threads
    (near the poles ``K`` changes from row to row: at 1024 columns 60 of the 100 groups were single
    rows, and the thread given them idled)."""
    H = cols.size
    Ks = np.empty(H, np.int64)
    for j in range(H):
        Ks[j], _ = _split(cols[j])
    order = np.argsort(Ks, kind="mergesort")
    bands = np.empty((H, BAND), np.int64)
    counts = np.empty(H, np.int64)
    solo = np.zeros(H, np.bool_)
    singles = np.empty(H, np.int64)
    ns = 0
    nb = 0
    k = 0
    while k < H:
        e = k
        while e < H and e - k < BAND and Ks[order[e]] == Ks[order[k]]:
            e += 1
        n = e - k
        if n >= BAND // 4:
            for r in range(BAND):
                bands[nb, r] = order[min(k + r, e - 1)]
            counts[nb] = n
            nb += 1
        else:
            for m in range(k, e):
                singles[ns] = order[m]
                ns += 1
        k = e
    for g in range(0, ns, BAND):
        n = min(BAND, ns - g)
        for r in range(BAND):
            bands[nb, r] = singles[g + min(r, n - 1)]
        counts[nb] = n
        solo[nb] = True
        nb += 1
    return bands[:nb], counts[:nb], solo[:nb]


@njit(cache=True, nogil=True, parallel=True)
def _box_rows(src, cols, passes, out):
    """``passes`` east-west box means of half-width ``cols[j]`` cells in every row (periodic),
    done on a copy of the row padded with its wrapped ends (no modulo in the running sums).
    Rows whose boxes span the same whole cells ``K`` (``K`` changes slowly with latitude, and the
    two hemispheres mirror) go ``BAND`` at a time (``_bands``, ``_box_band``), each with the
    arithmetic of ``_box_row``; the few others one by one, ``BAND`` of them to a band too."""
    bands, counts, solo = _bands(cols)
    for b in prange(bands.shape[0]):
        if solo[b]:
            for r in range(counts[b]):
                _box_row(src, cols, passes, out, bands[b, r])
        else:
            _box_band(src, cols, passes, out, bands[b], counts[b])


@njit(cache=True, nogil=True)
def _box_row(src, cols, passes, out, j):
    """Row ``j`` of ``_box_rows``."""
    W = src.shape[1]
    K, f = _split(cols[j])
    norm = 1.0 / (2 * K + 1 + 2 * f)
    a = np.empty(W, np.float64)
    for i in range(W):
        a[i] = src[j, i]
    pad = np.empty(W + 2 * K + 2, np.float64)      # pad[i + K + 1] = a[i]
    for _ in range(passes):
        for i in range(W):
            pad[i + K + 1] = a[i]
        for i in range(K + 1):
            pad[i] = a[(i - K - 1) % W]
            pad[W + K + 1 + i] = a[i % W]
        s = 0.0
        for k in range(1, 2 * K + 2):
            s += pad[k]
        for i in range(W):
            c = i + K + 1
            edge = f32(pad[c - K - 1] + pad[c + K + 1])     # float32 between passes and at the edges
            a[i] = f32((s + f * edge) * norm)
            if i < W - 1:
                s += pad[c + K + 1] - pad[c - K]
    for i in range(W):
        out[j, i] = f32(a[i])


@njit(cache=True, nogil=True, error_model="numpy")
def _box_band(src, cols, passes, out, rows, n):
    """Rows ``rows[:n]`` of ``_box_rows`` (``BAND`` rows, all with the same whole cells ``K``): the
    operations of ``_box_row`` for each row, the rows side by side (lane ``r`` of the arrays, index
    ``i · BAND + r``), so the loops over the band vectorize (unsigned offsets)."""
    W = src.shape[1]
    R = BAND
    K, _ = _split(cols[rows[0]])
    L = W + 2 * K + 2
    a = np.empty(W * R)
    pad = np.empty(L * R)
    s = np.empty(R)
    fn = np.empty(2 * R)          # each row's f (lanes 0 … R − 1), then its 1 / (2K + 1 + 2f)
    for r in range(R):
        j = rows[r]
        _, f = _split(cols[j])
        fn[r] = f
        fn[R + r] = 1.0 / (2 * K + 1 + 2 * f)
        for i in range(W):
            a[i * R + r] = src[j, i]
    lo_end = uint64(2 * K + 2) * uint64(R)
    uR = uint64(R)
    for _ in range(passes):
        for i in range(W):
            d = uint64(i + K + 1) * uR
            o = uint64(i) * uR
            for r in range(R):
                pad[d + uint64(r)] = a[o + uint64(r)]
        for i in range(K + 1):
            d0 = uint64(i) * uR
            o0 = uint64((i - K - 1) % W) * uR
            d1 = uint64(W + K + 1 + i) * uR
            o1 = uint64(i % W) * uR
            for r in range(R):
                pad[d0 + uint64(r)] = a[o0 + uint64(r)]
                pad[d1 + uint64(r)] = a[o1 + uint64(r)]
        for r in range(R):
            s[r] = 0.0
        for k in range(1, 2 * K + 2):
            o = uint64(k) * uR
            for r in range(R):
                s[r] += pad[o + uint64(r)]
        for i in range(W - 1):
            lo = uint64(i) * uR
            hi = lo + lo_end
            nx = lo + uR
            for r in range(R):
                u = uint64(r)
                edge = f32(pad[lo + u] + pad[hi + u])
                a[lo + u] = f32((s[u] + fn[u] * edge) * fn[uR + u])
                s[u] += pad[hi + u] - pad[nx + u]
        lo = uint64(W - 1) * uR
        hi = lo + lo_end
        for r in range(R):
            u = uint64(r)
            edge = f32(pad[lo + u] + pad[hi + u])
            a[lo + u] = f32((s[u] + fn[u] * edge) * fn[uR + u])
    for r in range(n):
        j = rows[r]
        for i in range(W):
            out[j, i] = f32(a[i * R + r])


#: rows per block of ``_box_columns``: each block starts its running sums afresh, so the result does not
#: depend on the thread count
COLUMN_BLOCK = 32


@njit(cache=True, nogil=True, parallel=True)
def _box_columns(src, rows, out):
    """North-south box mean of half-width ``rows`` cells, rows beyond the poles left out: a running
    sum (float64) of the box's whole rows down each block of ``COLUMN_BLOCK`` rows, plus its two
    part rows, so a cell costs the same at any box width."""
    H, W = src.shape
    K, f = _split(rows)
    for b in prange((H + COLUMN_BLOCK - 1) // COLUMN_BLOCK):
        j0 = b * COLUMN_BLOCK
        core = np.zeros(W, np.float64)            # the sum of rows j - K ... j + K on the grid
        for jj in range(max(j0 - K, 0), min(j0 + K, H - 1) + 1):
            for i in range(W):
                core[i] += src[jj, i]
        for j in range(j0, min(H, j0 + COLUMN_BLOCK)):
            if j > j0 and j + K <= H - 1:
                for i in range(W):
                    core[i] += src[j + K, i]
            if j > j0 and j - K - 1 >= 0:
                for i in range(W):
                    core[i] -= src[j - K - 1, i]
            lo = j - K - 1 if j - K - 1 >= 0 and f > 0.0 else j    # a part row, or none (weight 0)
            hi = j + K + 1 if j + K + 1 <= H - 1 and f > 0.0 else j
            f_lo = f if lo != j else 0.0
            f_hi = f if hi != j else 0.0
            inv = 1.0 / (min(j + K, H - 1) - max(j - K, 0) + 1 + f_lo + f_hi)
            for i in range(W):
                out[j, i] = f32((core[i] + f_lo * src[lo, i] + f_hi * src[hi, i]) * inv)


def smooth(field, sigma, metrics, passes=PASSES, scratch=None):
    """``field`` smoothed by ``passes`` box passes of half-width ``sigma`` (``L0``) along each axis (a new
    array, or one of ``scratch``: two float32 arrays of ``field``'s shape, neither of them ``field``)."""
    H, W = field.shape
    rows, cols = half_widths(sigma, metrics, W)
    if scratch is None:
        a = np.empty((H, W), np.float32)
        b = np.empty((H, W), np.float32)
    else:
        a, b = scratch
    _box_rows(np.ascontiguousarray(field, dtype=np.float32), cols, passes, a)
    for _ in range(passes):
        _box_columns(a, rows, b)
        a, b = b, a
    return a


def regional_deficit(z0, c0, cfg, metrics, scratch=None):
    """The deficit ``z_eq(C) − z`` smoothed over the flexural length (see the module), or, when
    ``flexure_radius`` is 0 (Airy), a ``(1, 1)`` placeholder: the surface kernel then reads each
    cell's own deficit. ``scratch``: three float32 arrays of ``z0``'s shape to work in (the stage
    keeps them: fresh ones each step cost page faults, more than the passes at 1024 columns and
    over); the result is then one of them."""
    if cfg.flexure_radius <= 0:
        return np.zeros((1, 1), np.float32)
    d = np.empty(z0.shape, np.float32) if scratch is None else scratch[0]
    _deficit(z0, c0, f32(cfg.ocean_floor_level), f32(cfg.continent_level), f32(cfg.thickened_relief), d)
    return smooth(d, cfg.flexure_radius, metrics, scratch=None if scratch is None else scratch[1:])
