"""Rules 2 and 4 within a few rows of the poles, from a spatial index of the markers (``drift``).

Rule 4 (``drift``) gives a cell the nearest upstream marker of its plate in the window ``rows j − r
… j + r``, ``columns i ± m_j``, in cell units ``d = (Δe / w_j)² + (Δn / h)²``, a tie going to the
first in the scan's order. Within a few rows of a pole the window is nearly every column of the rows
there, and ``upstream``'s cut keeps them all: a marker stored up to 1.5 cell heights north of its
cell may sit across the pole from it, so no arc of columns bounds where the winner's cell lies
(at 2048 columns, the cells within 1° of the poles scanned 4 900 columns each: four fifths of the
plate rule's candidates). Yet the markers that can win lie in a small region of space: within
``√d w_j`` east and ``√d h`` north of the upstream point, a strip of the polar cap a few cell
heights long and a few cell widths across.

**The index.** It answers the first ``n = cap_rows(H)`` rows at each pole: ``ROWS`` (8), or every
row within ``DEGREES`` (2°) of the pole where those are more (11 at 2048 columns, where rule 2 had
scanned rows 4–18 at each pole, in windows of 36–148 columns each side). At each move, the markers
of the first ``n + r`` rows at each pole (every row a window of the first ``n`` rows reaches, across
the pole included) are sorted into square buckets of ``h / PER_H`` in the cap's plane (``x, z``; the
cap's rows end within ``(n + r + 3) h`` of the axis, so a fixed grid of ``2 PER_H (n + r + 3)``
buckets a side holds them; a marker beyond is clamped into the edge bucket, as is the query).

**The query.** With ``ê = (ê_x, 0, ê_z)`` and ``n̂`` the cell's east and north and ``f = (−ê_z,
ê_x)`` the direction of north in the plane, a marker at ``p`` moved by ``v`` lies within ``L_e``
east and ``L_n`` north of the centre ``x_c`` only if ``Δ = p_xz − (x_c − v)_xz`` has ``|Δ·ê| ≤ L_e``
and ``|Δ·f| ≤ (L_n + cos φ_c |Δy|) / |sin φ_c|`` (``n̂ = −sin φ_c f + cos φ_c ŷ``), ``|Δy|`` bounded
by the cap's extreme heights: a rectangle in the plane. The buckets it touches are visited (for each
bucket column, or row, along its long side, the range of the other index that the rectangle spans
there), every marker in them of the cell's plate and in its window is tested with the scans' own
arithmetic (``candidate.consider``), and ties go to the smaller position in the scan's order (its
row's place in the window, then its column's, from ``_scan``'s first column): the winner is the
one ``_scan`` finds, bit for bit, whenever it lies within the rectangle. ``drift._stretch`` sizes
the rectangle from a first upstream marker, so that it does. ``|Δy|`` is bounded by the lowest and
highest marker heights of the rows the cell's window holds (``_rise``).

**Rule 2** (the nearest marker moved inside the cell) on those rows, where the window is wide
(``m_j ≥ drift.ARC_MIN``; elsewhere a scan of the narrow window is cheaper), is the same query with
the inside test (``nearest(True, ...)``) and the rectangle of the cell's own half-extents
(``candidate.OUTSIDE``): every marker inside the cell lies in it, so the winner is the scan's, ties
included. There the scan (``drift._upstream``) kept whole rows, as for rule 4: at 2048 columns the
plate rule's move took 268–270 ms before and 254–255 after (a captured move at t = 30 s), with the
index on the first 4 rows; with it on 11 and the lists on the rows beyond, 262 / 260 → 258 / 254 ms
with the landing and the index (two pairs of runs, old and new code alternating).

**The buckets' size.** Near the pole a query's rectangle is a cell width across (a three-hundredth of
a cell height on the first row at 1024 columns) and a few cell heights long, so square buckets of a
sixteenth of a cell height (``PER_H``) hold fewer of the markers the query then skips than a quarter
of one did; the winner does not depend on the buckets' size.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from planet.processes.lithosphere.candidate import consider
from planet.processes.lithosphere.upstream import reflected_row, wrap

ROWS = 8          # rows at each pole whose rules 2 and 4 the index answers, at least (``cap_rows``)
DEGREES = 2.0     # and every row whose centre lies within this many degrees of a pole
PER_H = 16        # buckets per cell height
SLACK = 1e-12     # radians added to each half-side of a query (rounding of positions near 1)


#: the index that serves no row (``served`` is -1 everywhere): the rules scan
EMPTY = (np.zeros((2, 1), np.int32), np.zeros((2, 1), np.int32), np.zeros((2, 4)), np.zeros((2, 2, 1)))


def cap_rows(H: int) -> int:
    """The rows at each pole that the index answers on a grid of ``H`` rows: ``ROWS``, or as many as lie
    within ``DEGREES`` of the pole where that is more (11 at 2048 columns)."""
    return max(ROWS, int(math.floor(H * DEGREES / 180.0 + 0.5)))


def build(q0: np.ndarray, marks: np.ndarray, rows: int):
    """The index of this move's markers (``drift.positions``' ``marks``; ``rows`` the window's rows
    each side): ``(start, items, geometry, heights)``; ``EMPTY`` where the grid is too small for two
    separate caps."""
    H, W = q0.shape
    served = cap_rows(H)
    depth = served + rows
    if 4 * depth > H:
        return EMPTY
    h = math.pi / H
    side = 2 * PER_H * (depth + 3)
    start = np.empty((2, side * side + 1), np.int32)
    items = np.empty((2, depth * W), np.int32)
    geometry = np.empty((2, 4))
    heights = np.empty((2, 2, depth))
    _build(q0, marks, depth, (depth + 3) * h, h / PER_H, side, start, items, geometry, heights)
    geometry[:, 3] = served
    return start, items, geometry, heights


@njit(cache=True, nogil=True, inline="always")
def _bucket(x, radius, size, side):
    """Index of the bucket along one axis of the cap's plane holding coordinate ``x`` (clamped)."""
    t = (x + radius) / size
    if not t > 0.0:             # (also NaN)
        return 0
    if t >= side - 1:
        return side - 1
    return np.int64(t)


@njit(cache=True, nogil=True)
def _build(q0, marks, depth, radius, size, side, start, items, geometry, heights):
    """Counting sort of the markers of rows ``0 … depth − 1`` (cap 0) and ``H − 1 … H − depth``
    (cap 1) by bucket, within a bucket in the order read (rows from the pole). ``geometry[cap]``: the grid's half-side,
    bucket size and buckets a side; ``heights[cap, 0 / 1, t]``: the
    lowest / highest ``y`` of the markers of the cap's row ``t`` (from the pole; ``inf`` / ``-inf`` with none).
    Sequential."""
    H, W = q0.shape
    cells = np.empty(depth * W, np.int64)
    buckets = np.empty(depth * W, np.int64)
    for cap in range(2):
        start[cap, :] = 0
        n = 0
        for t in range(depth):
            base = (t if cap == 0 else H - 1 - t) * W
            lo = np.inf
            hi = -np.inf
            for cc in range(base, base + W):
                if q0.flat[cc] < 0:
                    continue
                b = _bucket(marks[2, cc], radius, size, side) * side + _bucket(marks[0, cc], radius, size, side)
                cells[n] = cc
                buckets[n] = b
                n += 1
                start[cap, b + 1] += 1
                lo = min(lo, marks[1, cc])
                hi = max(hi, marks[1, cc])
            heights[cap, 0, t] = lo
            heights[cap, 1, t] = hi
        for b in range(side * side):
            start[cap, b + 1] += start[cap, b]
        fill = start[cap, :-1].copy()
        for t in range(n):
            items[cap, fill[buckets[t]]] = cells[t]
            fill[buckets[t]] += 1
        geometry[cap, 0] = radius
        geometry[cap, 1] = size
        geometry[cap, 2] = side


@njit(cache=True, nogil=True, inline="always")
def served(j, H, index):
    """The cap (0 north, 1 south) whose index answers rules 2 and 4 for row ``j`` (the first ``cap_rows(H)``
    rows at each pole, where the index holds markers), else -1."""
    if index[2][0, 1] <= 0.0:
        return -1
    rows = index[2][0, 3]
    if j < rows:
        return 0
    if j >= H - rows:
        return 1
    return -1


@njit(cache=True, nogil=True, inline="always")
def _rise(index, cap, j, rows, H, W, level):
    """The largest ``|y − level|`` of the markers in the rows of cell row ``j``'s window (the rows
    across the pole included; ``heights`` of ``build``), 0 where they hold none."""
    heights = index[3]
    dy = 0.0
    for dj in range(-rows, rows + 1):
        jr, _ = reflected_row(np.int64(j) + dj, H, W)
        t = jr if cap == 0 else H - 1 - jr
        lo = heights[cap, 0, t]
        hi = heights[cap, 1, t]
        if lo <= hi:
            dy = max(dy, abs(lo - level), abs(hi - level))
    return dy


@njit(cache=True, nogil=True, inline="always")
def _rank(cc, j, i, m, rows, W, H):
    """Position of cell ``cc`` in ``drift._scan``'s order for cell (j, i) (its first visit), -1 if
    the window does not hold it."""
    jj = cc // W
    col = cc - jj * W
    for dj in range(-rows, rows + 1):
        jr, shift = reflected_row(np.int64(j) + dj, H, W)
        if jr == jj:
            off = wrap(col - (np.int64(i) - m + shift), W)
            if off <= 2 * m:
                return (dj + rows) * (W + 1) + off
    return -1


@njit(cache=True, nogil=True)
def nearest(inside, index, cap, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, cl,
            sl, m, rows, r):
    """Of plate ``qk``'s markers in cell (j, i)'s window whose moved position lies within ``r w_j``
    east and ``r h`` north of its centre (and perhaps a few more), the nearest inside the cell
    (``inside``, rule 2) or the nearest upstream one (rule 4), ties by the scan's order: ``(cell, d,
    u, v)``, cell -1 for none (module docstring)."""
    start, items, geometry, _ = index
    H, W = q0.shape
    radius = geometry[cap, 0]
    size = geometry[cap, 1]
    side = np.int64(geometry[cap, 2])
    qx = x0 - vx
    qz = z0 - vz
    dy = _rise(index, cap, j, rows, H, W, y0 - vy)
    half_e = r * wj + SLACK
    half_n = (r * h + cl * dy) / abs(sl) + SLACK
    fx = -ez
    fz = ex
    # march along the axis nearer to the rectangle's long side ``f``: a = that axis, b = the other
    along_x = abs(fx) >= abs(fz)
    qa, qb = (qx, qz) if along_x else (qz, qx)
    fa, fb = (fx, fz) if along_x else (fz, fx)
    ea, eb = (ex, ez) if along_x else (ez, ex)
    reach_a = half_n * abs(fa) + half_e * abs(ea)
    a_lo = _bucket(qa - reach_a, radius, size, side)
    a_hi = _bucket(qa + reach_a, radius, size, side)
    widen = half_e * abs(ea / fa)
    best, d_best, u_best, v_best, rank_best = -1, np.inf, 0.0, 0.0, -1
    for ba in range(a_lo, a_hi + 1):
        a0 = -radius + ba * size - qa            # the bucket column's extent along a, relative to q;
        a1 = a0 + size                           # the edge columns also hold what lies beyond
        if ba == 0:
            a0 = -np.inf
        if ba == side - 1:
            a1 = np.inf
        t0 = a0 / fa
        t1 = a1 / fa
        t_lo = max(min(t0, t1) - widen, -half_n)
        t_hi = min(max(t0, t1) + widen, half_n)
        if t_lo > t_hi:
            continue
        b_lo = _bucket(qb + min(t_lo * fb, t_hi * fb) - half_e * abs(eb), radius, size, side)
        b_hi = _bucket(qb + max(t_lo * fb, t_hi * fb) + half_e * abs(eb), radius, size, side)
        for bb in range(b_lo, b_hi + 1):
            b = bb * side + ba if along_x else ba * side + bb
            for t in range(start[cap, b], start[cap, b + 1]):
                cc = items[cap, t]
                if q0.flat[cc] != qk:
                    continue
                a, d, u, v, _, _, _, _ = consider(inside, cc, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj,
                                                  h, fu, fv, np.inf, np.inf, -1, np.inf, 0.0, 0.0, -1, np.inf, 0.0,
                                                  0.0)
                if a < 0 or d > d_best:
                    continue
                rank = _rank(cc, j, i, m, rows, W, H)
                if rank < 0 or (d == d_best and rank > rank_best):
                    continue
                best, d_best, u_best, v_best, rank_best = cc, d, u, v, rank
    return best, d_best, u_best, v_best
