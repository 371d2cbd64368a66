"""Rivers, the routing (spec §4, rule 3): each routed cell's receiver, ``receivers(z, level)``
(a public function that checks its input, and the ``@njit`` kernel ``_receivers`` that takes only
arrays and scalars; ``planet.processes.lithosphere.drainage`` accumulates the areas along them).

Steepest-descent routing on an elevation map. A cell is *routed* when ``z >= level``
(land and shore: ``level = D - 0.05``). Its receiver is the neighbour (longitude
wrap, polar reflection) with the steepest descent ``(z - z_n) / dist``, ``dist``
the distance between the two cells on the sphere, the slope stream power erodes
by; equal maxima go to the last in the order of ``metrics.router_offsets``. The
neighbours are the sphere's, not the map's. Within 48° of the equator they are
the D8 eight: N and S one row away (``dy``), E and W one column (``dy cos φ``),
and the diagonals one row and ``m_j = round(1/cos φ_j)`` columns away
(``metrics.diagonal_reach``; ``m_j = 1`` there, the ordinary D8). Beyond, where
``m_j >= 2``, a cell looks first at N, S, the diagonals, E and W ``m_j`` columns
away (about one cell height, like the diagonals), and the cells of the next rows
one column (and, where ``m_j >= 4``, ``round(m_j / 2)`` columns) east and west;
the adjacent columns, ``dy cos φ`` away, only when none of those is lower (so
no cell is a pit that has a lower D8 neighbour). Why: the adjacent diagonals wore
the polar land into east-west furrows (README's geology section), and with the
adjacent columns as east and west the roughness along a row, over so short a
distance, decided the descent near a pole: rivers ran along the rows, circles
around the pole on a globe (``tests/test_drainage.py``). A descent of exactly zero is accepted (so
water crosses flats, as in the reference; ``strict=True``, what the river
statistics use, accepts only positive descents); a cell with every neighbour
higher is a *pit* (``-1``). Unrouted cells get ``-2``. The receiver may be
an unrouted (ocean) cell: that is a river mouth. Per-cell independent,
parallel over rows.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from planet.core.grid import neighbour
from planet.processes.lithosphere.metrics import router_tables

f32 = np.float32
NOT_ROUTED = -2
PIT = -1


# ---------------------------------------------------------------------------
# receivers


@njit(cache=True, nogil=True, inline="always")
def _route_cell(z, zf, level, floor, inv_dist, dj, di, primary, j, i, H, W, rcv, rdir):
    """One cell through ``grid.neighbour``: the steepest descent over the first-choice directions
    (``metrics.router_offsets``), else over the adjacent columns east and west (in the D8 rows those
    are first choices too)."""
    zc = z[j, i]
    if zc < level:
        rcv[j, i] = NOT_ROUTED
        rdir[j, i] = -1
        return
    best = floor
    r = np.int64(-1)
    d = np.int64(-1)
    for k in range(dj.shape[1]):
        if primary[j, k]:
            jj, ii = neighbour(j, i, dj[j, k], di[j, k], H, W)
            best, r, d = _descent(zc, zf, jj * W + ii, k, inv_dist[j, k], best, r, d)
    if r < 0:
        for k in (2, 6):
            jj, ii = neighbour(j, i, dj[j, k], di[j, k], H, W)
            best, r, d = _descent(zc, zf, jj * W + ii, k, inv_dist[j, k], best, r, d)
    rcv[j, i] = r
    rdir[j, i] = d


@njit(cache=True, nogil=True, inline="always")
def _route_far_row(zf, level, floor, inv_dist, dj, di, primary, j, lo, hi, W, rcv, rdir):
    """``_route_cell`` for the cells ``lo <= i < hi`` of a row ``j`` with ``m_j >= 2`` that lie at least
    ``m_j`` columns from the wrap (every neighbour in the map), by flat offsets, without
    ``grid.neighbour``'s modulo."""
    K = dj.shape[1]
    offs = np.empty(K, dtype=np.int64)
    for k in range(K):
        offs[k] = dj[j, k] * W + di[j, k]
    rf = rcv.ravel()
    df = rdir.ravel()
    for i in range(lo, hi):
        c = j * W + i
        zc = zf[c]
        if zc < level:
            rf[c] = NOT_ROUTED
            df[c] = -1
            continue
        best = floor
        r = np.int64(-1)
        d = np.int64(-1)
        for k in range(K):
            if primary[j, k]:
                best, r, d = _descent(zc, zf, c + offs[k], k, inv_dist[j, k], best, r, d)
        if r < 0:
            for k in (2, 6):
                best, r, d = _descent(zc, zf, c + offs[k], k, inv_dist[j, k], best, r, d)
        rf[c] = r
        df[c] = d


@njit(cache=True, nogil=True, parallel=True)
def _receivers(z, level, inv_dist, reach, dj, di, primary, rcv, rdir, floor=f32(0.0)):
    """Receivers of the ``(H, W)`` map ``z`` into the ``(H, W)`` arrays ``rcv`` and ``rdir``
    (``inv_dist``: ``metrics.inverse_distances(H, W)``; ``reach``: ``metrics.diagonal_reach(H, W)``,
    the columns a diagonal steps; ``dj, di, primary``: ``metrics.router_offsets(H, W)``).

    Rows with ``m_j = 1`` (within 48° of the equator) route by D8: interior cells index their
    neighbours in the flat map with unsigned offsets (no wraparound checks, so LLVM vectorizes
    the row: 0.84 -> 0.23 ms at 512x256, one thread); their first and last columns go through
    ``grid.neighbour`` (``_route_cell``), as every cell of the rows beyond does, with their further
    directions.
    """
    H, W = z.shape
    zf = z.ravel()
    rf = rcv.ravel()
    df = rdir.ravel()
    for j in prange(H):
        m = reach[j]
        edge_row = j == 0 or j == H - 1
        lo = W if edge_row else min(m, W)
        hi = max(W - m, lo)
        for i in range(0, lo):
            _route_cell(z, zf, level, floor, inv_dist, dj, di, primary, j, i, H, W, rcv, rdir)
        for i in range(hi, W):
            _route_cell(z, zf, level, floor, inv_dist, dj, di, primary, j, i, H, W, rcv, rdir)
        if edge_row:
            continue
        if m >= 2:
            _route_far_row(zf, level, floor, inv_dist, dj, di, primary, j, lo, hi, W, rcv, rdir)
            continue
        up = uint64((j - 1) * W)
        row = uint64(j * W)
        down = uint64((j + 1) * W)
        um = uint64(m)
        one = uint64(1)
        g = inv_dist[j]
        g0, g1, g2, g3, g4, g5, g6, g7 = g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
        for i in range(lo, hi):       # m <= i < W - m: every offset below stays in the map
            u = uint64(i)
            zc = zf[row + u]
            best = floor
            r = np.int64(-1)
            d = np.int64(-1)
            best, r, d = _descent(zc, zf, up + u, 0, g0, best, r, d)
            best, r, d = _descent(zc, zf, up + u + um, 1, g1, best, r, d)
            best, r, d = _descent(zc, zf, row + u + one, 2, g2, best, r, d)
            best, r, d = _descent(zc, zf, down + u + um, 3, g3, best, r, d)
            best, r, d = _descent(zc, zf, down + u, 4, g4, best, r, d)
            best, r, d = _descent(zc, zf, down + u - um, 5, g5, best, r, d)
            best, r, d = _descent(zc, zf, row + u - one, 6, g6, best, r, d)
            best, r, d = _descent(zc, zf, up + u - um, 7, g7, best, r, d)
            routed = zc >= level
            rf[row + u] = r if routed else NOT_ROUTED
            df[row + u] = d if routed else -1


@njit(cache=True, nogil=True, inline="always")
def _descent(zc, zf, n, k, inv, best, r, d):
    """Keep neighbour ``n`` (a flat index into the flat map ``zf``, direction ``k``, ``inv`` = 1 / its
    distance) if its descent is >= the best."""
    s = (zc - zf[n]) * inv
    if s >= best:
        return s, np.int64(n), np.int64(k)
    return best, r, d


#: the smallest positive float32: as the starting "best descent" it makes only a strictly
#: positive descent count (``receivers(..., strict=True)``)
STRICT = f32(np.nextafter(f32(0.0), f32(1.0)))


def receivers(elevation: np.ndarray, level: float, *, strict: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Receivers of an ``(H, W)`` float32 elevation map for the cells with ``z >= level``.

    ``strict``: only a strictly positive descent counts, so every cell of a flat is a pit and
    no loop can form. The model routes with zero descents (water crosses flats, as in the
    reference, loops broken by ``accumulate``); the river statistics route strictly
    (``planet.analysis.d8``: a flat does not join two basins, and the statistics need no loop
    breaking). Off flats (no two neighbours of equal elevation) the two agree cell for cell.

    Returns ``(rcv, direction)``: int32 ``(H, W)`` flat receiver indices (``-1`` pit,
    ``-2`` not routed) and int8 directions (``metrics.router_offsets``: 0..7 N, NE, …, NW, then
    the polar rows' further ones; ``-1`` none).
    """
    z = _check_map(elevation, "elevation")
    H, W = z.shape
    rcv = np.empty((H, W), dtype=np.int32)
    rdir = np.empty((H, W), dtype=np.int8)
    _receivers(z, f32(level), *router_tables(H, W), rcv, rdir, STRICT if strict else f32(0.0))
    return rcv, rdir


def _check_map(a, name):
    a = np.ascontiguousarray(a, dtype=np.float32)
    if a.ndim != 2 or a.shape[1] != 2 * a.shape[0] or a.shape[0] < 2:
        raise ValueError(f"{name} must be a (rows, 2·rows) array, got shape {a.shape}")
    return a
