"""How a plate's content rides from cell to cell: one marker per cell, at a continuous position.

The plate rule (``plates``) decides *which plate* covers a cell, from the plates' rigid shapes in
the epoch-start frame. *What* the cell then holds (elevation, uplift, flow, basin colour, crust)
comes from a **marker**: each cell holds the content of one material point of its plate, which
sits at an offset ``(u, v)`` from the cell centre, in cell widths east and cell heights north
(the state fields ``drift_east`` and ``drift_north``; inside the cell while ``|u|, |v| ≤ 1/2``).

Plate ``k`` moves the point ``x`` of the unit sphere by ``v_k(x) = ω_k e_k × x`` per step (``e_k``
its Euler pole, ``ω_k`` radians per step). A cell ``c = (j, i)`` of width ``w_j = 2π cos φ_j / W``
and height ``h = π / H`` (radians of arc) that plate ``k`` covers takes, in this order:

1. **stay**: its own marker, if ``c`` held plate ``k`` and the marker, moved by ``v_k`` (east and
   north components ``v_e``, ``v_n`` at the centre), is still inside the cell:
   ``|u + v_e / w_j| ≤ 1/2`` and ``|v + v_n / h| ≤ 1/2``;
2. **arrive**: else, of plate ``k``'s markers on the cells around ``c`` (rows ``j − r … j + r``
   with ``r = max(1, ⌈max_k |ω_k| / h⌉)``, columns ``i ± m_j`` with ``m_j = 1 + ⌈max_k |ω_k| / w⌉``
   for the narrowest of those rows, so a step's motion is always in reach: ``window.search``),
   each moved by ``v_k``, the one inside ``c`` nearest its centre in cell units,
   ``(Δe / w_j)² + (Δn / h)²`` (a tie goes to the first in the scan: rows north to south, columns
   west to east): the marker moves in with its content. Within 60° only the markers listed as landing
   near ``c`` are tested (``arrivals``); where ``m_j ≥ ARC_MIN`` (near the poles) each row ``j'`` (latitude
   ``φ'``) is scanned only on the columns of that window whose centres can hold such a marker
   (``upstream``): those within an arc of longitudes around the upstream point
   ``q = x_c − v_k(x_c) = (ρ_q sin λ_q, q_y, ρ_q cos λ_q)``, the narrower of
   ``cos(λ − λ_q) ≥ (1 + |q|² − R² − 2 sin φ' q_y) / (2 cos φ' ρ_q)`` (the centres within ``R`` of
   ``q``; ``R`` = the row's largest marker offset plus the cell's half-diagonal) and
   ``|sin(λ − λ_q)| ≤ (A + α + γ σ) / (ρ_q − γ)`` (``A`` the row's largest east offset, ``α``
   half the cell's width, ``γ ≈`` half its height, ``σ = |sin(λ_c − λ_q)|``), with slack; in the
   same order, so the result is the same as the whole window's. Along runs of at least ``SKIM_MIN``
   columns, blocks of ``SKIM`` whose moved markers all lie beyond the cell's half-width east or
   west are skipped after one test without branches (``_run``): the same result again; on the
   rows within a few of each pole (``polar.cap_rows``), where that arc is nearly the whole row, the
   markers near the upstream point come from buckets in the polar cap's plane (``polar``), ties resolved in the scan's
   order: the same result once more;
3. **wait**: else (no marker inside) its own marker while that is within one cell
   (``|u|, |v| ≤ 1``): markers of one plate move together, so the next one is about to arrive;
4. **stretch**: else (the flow spreads the crust over more cells than it came from, as on its way
   towards a pole, where cells are narrower) a copy of the nearest marker upstream (behind the
   centre: ``(u, v)·(v_e / w_j, v_n / h) < 0``; the nearest of all if there is none), content and
   position: a new material point where that one is, which evolves on its own from then on. Where
   ``m_j ≥ STRETCH_MIN`` the scan is cut as rule 2's (``_stretch``): an upstream marker of the
   window bounds the winner's distance ``√d`` (the nearest on the 3 × 3 cells the motion comes
   from, ``_guess``, where that is within ``CORE`` cells; else the nearest within ``CORE`` cells of
   the centre), and only the columns that can hold a marker within ``√d`` cells east and north are
   scanned, in the same order, so the result is the whole window's; within ``polar.cap_rows`` rows of
   a pole, where no arc of columns bounds them, the markers near the upstream point are taken from
   buckets in the polar cap's plane instead (``polar``), ties resolved in the scan's order;
5. else (no marker of plate ``k`` within reach: an edge that the shapes and the markers draw
   differently) the frame's source (``plates._arrival``), offset 0.

Offsets are stored within ``±3/2``. Positions are compared in three dimensions, projected on the
tangent plane of ``c`` (east ``ê``, north ``n̂``), so the poles are ordinary points. Every rule
reads only the previous step's arrays: the result does not depend on the thread count.

Rules 3 and 4 keep every marker where its material point is: a copy placed at the cell centre
instead put content up to a cell away from where it belonged, and those errors cascaded (a lone
plate turned by 30°, 32×64 cells: the content's median error 17–21°, against 2.5° as built).

**Why markers.** A frame cell (the reference ``r_k(c)`` of ``plates``) is as wide as the cells of
the row where the crust sat when the plates formed. Crust that has since moved poleward lies on
narrower cells, several per frame cell; when each step took the content of one holder of the
frame cell, those cells held one content, again and again: east–west streaks of equal elevation
(seed 0, 256 columns, t = 60 s: cells equal to their west neighbour 33 % at 50–65° of latitude,
41 % at 65–75°, 69 % beyond 75°; with markers 21 %, 14 % and 4 %). A lone plate turned by 30° on
32×64 cells puts the content within 2.5° of where the rotation brings it (median; 95th percentile
6.0°), where the frame's holders gave 3.0° and 23.8°.

**Compiled out of line.** ``carry`` and the common paths (``listed``, ``_scan``, ``_run``) are inlined
into ``plates._plates``; ``_upstream``, ``_stretch`` and ``polar.nearest``, which scan many markers a
call, are not: each inlined copy of them multiplied the kernel's code, and ``_plates`` took 12.6 minutes
and 2.2 GB to compile from a cold cache. Out of line it takes under two minutes, at the same speed and
with the same bits.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from planet.processes.lithosphere import polar
from planet.processes.lithosphere.candidate import HALF, NONE, OUTSIDE, consider, east_offset
from planet.processes.lithosphere.euler import _velocity
from planet.processes.lithosphere.upstream import half_columns, pieces, reflected_row, wrap

KEEP = 1.0        # a cell keeps its own marker this far out while no other marker is inside
LIMIT = 1.5       # the stored offsets' bound
ARC_MIN = 24      # rule 2 scans only the columns around the upstream point where m_j is at least this
STRETCH_MIN = 8   # rule 4 does where m_j is at least this (``_stretch``)
SKIM = 8          # ``_run``: columns per block of its skim along long runs
SKIM_MIN = 32     # ``_run`` skims runs of at least this many columns (near the poles)
CORE = 2.0        # cells: ``_stretch``'s first look around the centre, east and north
FAR = 32.0        # cells: the largest look of ``_stretch`` near the poles before it scans the window


@njit(cache=True, nogil=True)
def _frame(j, i, coslat, sinlat, coslon, sinlon):
    """Centre ``x``, east ``ê`` and north ``n̂`` of cell (j, i) (``x = (sin λ cos φ, sin φ, cos λ cos φ)``)."""
    cl, sl, co, so = coslat[j], sinlat[j], coslon[i], sinlon[i]
    return (so * cl, sl, co * cl), (co, 0.0, -so), (-sl * so, cl, -sl * co)


@njit(cache=True, nogil=True, inline="always")
def _motion(k, j, i, coslat, sinlat, coslon, sinlon, poles, omega, wj, h):
    """``(x, ê, n̂, v, f_u, f_v)``: cell (j, i)'s centre, east and north (``_frame``), plate ``k``'s motion
    there and that motion in cell widths and heights: what ``carry`` moves the markers it tests for the
    cell by, and ``arrivals.landing`` each marker on its own cell."""
    x, e, nn = _frame(j, i, coslat, sinlat, coslon, sinlon)
    v = _velocity(k, x[0], x[1], x[2], poles, omega)
    return x, e, nn, v, (v[0] * e[0] + v[2] * e[2]) / wj, (v[0] * nn[0] + v[1] * nn[1] + v[2] * nn[2]) / h


@njit(cache=True, nogil=True, parallel=True)
def positions(q0, u0, v0, coslat, sinlat, coslon, sinlon, wrow, h, out, spread):
    """``out[:, c]`` = the position ``x_c + a ê_c + b n̂_c`` of cell ``c``'s marker (``a = u w_j``,
    ``b = v h``; not normalised: the tangent-plane offset of rule 2), for the cells that carry a
    plate (``q0 >= 0``; ``out`` is ``(3, H·W)``, so that a row's coordinates are contiguous for
    ``_run``'s skim). ``carry`` reads it for each neighbour it scans, so each marker is placed
    once per step, not once per cell that looks at it; the sums are formed in ``carry``'s order.
    ``spread[j]``: the largest ``|a|`` and ``√(a² + b²)`` of row ``j``'s markers (0 for none), the
    bounds that cut rule 2's window near the poles (``upstream``)."""
    H, W = q0.shape
    for j in prange(H):
        cl2, sl2 = coslat[j], sinlat[j]
        wj = wrow[j]
        a_max = 0.0
        d_max = 0.0
        for i in range(W):
            if q0[j, i] < 0:
                continue
            cc = j * W + i
            co2, so2 = coslon[i], sinlon[i]
            a = u0[cc] * wj
            b = v0[cc] * h
            out[0, cc] = so2 * cl2 + a * co2 - b * sl2 * so2
            out[1, cc] = sl2 + b * cl2
            out[2, cc] = co2 * cl2 - a * so2 - b * sl2 * co2
            a_max = max(a_max, abs(a))
            d_max = max(d_max, math.sqrt(a * a + b * b))
        spread[j, 0] = a_max
        spread[j, 1] = d_max


@njit(cache=True, nogil=True, inline="always")
def carry(k, qk, j, i, q0, q0f, u0, v0, marks, spread, index, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h,
          reach_rows, rows, slots, count):
    """Rules 1-4 for cell (j, i) covered by plate index ``k`` (id ``qk``): ``(source, u, v)``, the flat
    index of the cell whose content it takes and its marker's new offset (source -1: no marker of the plate
    within reach). ``q0``: the previous plates (``q0f`` flat); ``u0``, ``v0``: the previous offsets (flat); ``marks``,
    ``spread``: ``positions``; ``index``: ``polar.build`` of ``marks`` (rule 4 near the poles); ``reach_rows``,
    ``rows``: the window's columns per row and rows (``reach``, ``rows_reach``); rule 2 tests the markers
    ``slots[i, :count[i]]`` where ``count[i] >= 0`` (``arrivals``), else scans the window, or the columns
    around the upstream point where ``m_j >= ARC_MIN`` (``_upstream``)."""
    W = q0.shape[1]
    # the cell's centre x, east (ex, 0, ez), north (nx, ny, nz), the plate's motion there, and in cells
    wj = wrow[j]
    (x0, y0, z0), (ex, _, ez), (nx, ny, nz), (vx, vy, vz), fu, fv = _motion(k, j, i, coslat, sinlat, coslon,
                                                                             sinlon, poles, omega, wj, h)
    cl, sl = coslat[j], sinlat[j]
    c = j * W + i
    own = q0[j, i] == qk
    u_own = 0.0
    v_own = 0.0
    if own:
        u_own = u0[c] + fu
        v_own = v0[c] + fv
        if abs(u_own) <= HALF and abs(v_own) <= HALF:
            return c, u_own, v_own
    # rule 2 first: only markers that may be inside the cell are placed exactly
    m = reach_rows[j]
    cap = polar.served(j, q0.shape[0], index) if m >= ARC_MIN else -1
    if cap >= 0:                                   # the markers near the upstream point (``polar``)
        best_in, _, u_in, v_in = polar.nearest(True, index, cap, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez,
                                               nx, ny, nz, wj, h, fu, fv, cl, sl, m, rows, OUTSIDE)
    elif m <= i < W - m and count[i] >= 0:         # the markers listed as landing near the cell (``arrivals``)
        best_in, u_in, v_in = listed(qk, i, q0f, marks, slots, count, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz,
                                     wj, h, fu, fv)
    elif m >= ARC_MIN:
        best_in, u_in, v_in, _, _, _ = _upstream(True, qk, j, i, q0, marks, spread, vx, vy, vz, x0, y0, z0, ex, ez,
                                                 nx, ny, nz, wj, h, fu, fv, cl, sl, coslat, sinlat, m, rows,
                                                 OUTSIDE * wj, OUTSIDE * h)
    else:
        best_in, u_in, v_in, _, _, _ = _scan(True, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz,
                                             wj, h, fu, fv, reach_rows[j], rows)
    if best_in >= 0:
        return best_in, u_in, v_in
    if own and abs(u_own) <= KEEP and abs(v_own) <= KEEP:
        return c, u_own, v_own
    if reach_rows[j] >= STRETCH_MIN:
        best_up, u_up, v_up, best_any, u_any, v_any = _stretch(qk, j, i, q0, marks, spread, index, vx, vy, vz, x0,
                                                               y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, cl, sl,
                                                               coslat, sinlat, reach_rows[j], rows)
    else:
        best_up, u_up, v_up, best_any, u_any, v_any = _scan(False, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex,
                                                            ez, nx, ny, nz, wj, h, fu, fv, reach_rows[j], rows)
    if best_up >= 0:
        return best_up, u_up, v_up
    return best_any, u_any, v_any


@njit(cache=True, nogil=True, inline="always")
def listed(qk, i, q0f, marks, slots, count, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv):
    """Rule 2 for cell (j, i) from its list (``arrivals.fill``: ``slots[i, :count[i]]``, the markers of the
    window in scan order): of plate ``qk``'s listed markers (``q0f``: the plates, flat), the one moved inside
    the cell nearest its centre, ``(cell, u, v)`` (cell -1: none); the scan's arithmetic (``consider``)."""
    best = NONE
    for t in range(count[i]):
        cc = slots[i, t]
        if q0f[cc] == qk:
            a, d_a, u_a, v_a, b, d_b, u_b, v_b = best
            best = consider(True, cc, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv,
                            OUTSIDE * wj, OUTSIDE * h, a, d_a, u_a, v_a, b, d_b, u_b, v_b)
    return best[0], best[2], best[3]


@njit(cache=True, nogil=True, inline="always")
def _run(inside, qk, jj, ii, count, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, lim_u,
         lim_v, best):
    """``consider`` for plate ``qk``'s markers on ``count`` columns of row ``jj`` from column ``ii``
    eastward (wrapped), in that order: the scans' one candidate loop. ``best``: ``consider``'s
    ``(a, d_a, u_a, v_a, b, d_b, u_b, v_b)`` so far, returned updated (one tuple, so that a call stays
    within the 30 arguments CPython passes without packing them)."""
    a, d_a, u_a, v_a, b, d_b, u_b, v_b = best
    W = q0.shape[1]
    base = jj * W
    # a long run (near a pole, where a move spans hundreds of columns) is skimmed: in blocks of
    # SKIM columns, first only whether some moved marker lies within ``lim_u`` east or west of the
    # centre, in a loop without branches over contiguous positions; a block with none is skipped,
    # since ``consider`` would skip each of its markers on the same arithmetic, ``east_offset`` (a NaN,
    # skipped here, would change nothing there either). Shorter runs visit every column
    skim = count >= SKIM_MIN and lim_u < np.inf
    left = count
    while left > 0:
        seg = min(left, W - ii)              # the contiguous part of the run, up to the wrap
        k = 0
        while k < seg:
            n = min(SKIM, seg - k)
            near = not skim or n < SKIM
            if not near:
                for t in range(SKIM):
                    tu = east_offset(marks, base + ii + k + t, vx, vz, x0, z0, ex, ez)[2]
                    near |= not abs(tu) > lim_u
            if near:
                for t in range(n):
                    col = ii + k + t
                    if q0[jj, col] != qk:
                        continue
                    a, d_a, u_a, v_a, b, d_b, u_b, v_b = consider(inside, base + col, marks, vx, vy, vz, x0, y0, z0,
                                                                   ex, ez, nx, ny, nz, wj, h, fu, fv, lim_u, lim_v, a,
                                                                   d_a, u_a, v_a, b, d_b, u_b, v_b)
            k += n
        left -= seg
        ii = 0
    return a, d_a, u_a, v_a, b, d_b, u_b, v_b


@njit(cache=True, nogil=True, inline="always")
def _scan(inside, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, m, rows):
    """The markers of plate ``qk`` on rows ``j − rows … j + rows`` (reflected over the poles),
    columns ``i ± m``, moved, relative to the centre of cell (j, i), in scan order (a tie goes to
    the first; ``consider``). ``inside``: the one inside the cell nearest its centre (rule 2),
    ``(cell, u, v, -1, 0, 0)``; else the nearest upstream one and the nearest of all (rule 4),
    ``(up, u, v, any, u, v)``. Cell -1: none. Each row is reflected once (``reflected_row``) and
    scanned as one wrapped run of columns (``_run``): the cells and order of ``sampling._reflect``
    applied to every cell, without its branches per cell."""
    H, W = q0.shape
    best = NONE
    lim_u = OUTSIDE * wj if inside else np.inf
    lim_v = OUTSIDE * h if inside else np.inf
    jc = np.int64(j)     # (a prange index may arrive unsigned)
    ic = np.int64(i)
    for dj in range(-rows, rows + 1):
        jj, shift = reflected_row(jc + dj, H, W)
        best = _run(inside, qk, jj, wrap(ic - m + shift, W), 2 * m + 1, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx,
                    ny, nz, wj, h, fu, fv, lim_u, lim_v, best)
    a, _, u_a, v_a, b, _, u_b, v_b = best
    return a, u_a, v_a, b, u_b, v_b


@njit(cache=True, nogil=True)
def _upstream(inside, qk, j, i, q0, marks, spread, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, cl, sl,
              coslat, sinlat, m, rows, lim_u, lim_v):
    """``_scan(inside, ...)`` over the candidates whose moved marker lies within ``lim_u`` east and
    ``lim_v`` north of the cell's centre (``OUTSIDE`` times the cell's half-extents for rule 2),
    scanning on each row only the columns of the window ``i ± m`` that ``upstream`` leaves for that
    box: those near the upstream point ``x_c − v``, in the same order. The others cannot hold such a
    marker, so for rule 2 the result is ``_scan``'s; for rule 4 it is wherever the box holds the
    winner (``_stretch``)."""
    H, W = q0.shape
    best = NONE
    qx = x0 - vx
    qy = y0 - vy
    qz = z0 - vz
    rq = math.sqrt(qx * qx + qz * qz)
    q2 = qx * qx + qy * qy + qz * qz
    fq = math.atan2(qx, qz) * W / (2.0 * math.pi) - 0.5
    t = math.sqrt(lim_u * lim_u + lim_v * lim_v) + math.sqrt(vx * vx + vy * vy + vz * vz)
    ve = abs(vx * ex + vz * ez)
    for dj in range(-rows, rows + 1):
        jj, shift = reflected_row(np.int64(j) + dj, H, W)
        half = half_columns(coslat[jj], sinlat[jj], spread[jj, 0], spread[jj, 1], W, cl, sl, qy, q2, rq, lim_u,
                            lim_v, t, ve)
        lo0, hi0, lo1, hi1 = pieces(np.int64(i), shift, m, W, fq, half)
        for piece in range(2):
            lo = lo0 if piece == 0 else lo1
            hi = hi0 if piece == 0 else hi1
            best = _run(inside, qk, jj, wrap(np.int64(i) + lo + shift, W), hi - lo + 1, q0, marks, vx, vy, vz, x0, y0,
                        z0, ex, ez, nx, ny, nz, wj, h, fu, fv, lim_u, lim_v, best)
    a, _, u_a, v_a, b, _, u_b, v_b = best
    return a, u_a, v_a, b, u_b, v_b


@njit(cache=True, nogil=True, inline="always")
def _guess(qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, m, rows):
    """Rule 4's first bound, cheap: of plate ``qk``'s markers on the 3 × 3 cells around the cell the
    motion comes from (``(j + fv, i − fu)`` rounded; those of them in the window), the nearest
    upstream one, ``(cell, u, v)`` (cell -1: none)."""
    H, W = q0.shape
    a, d_a, u_a, v_a, b, d_b, u_b, v_b = NONE
    if not (abs(fu) <= m and abs(fv) <= rows + 1):      # (also NaN)
        return a, u_a, v_a
    jg = np.int64(j) + np.int64(math.floor(fv + 0.5))
    dg = -np.int64(math.floor(fu + 0.5))
    for jr in range(jg - 1, jg + 2):
        if abs(jr - j) > rows:
            continue
        jj, shift = reflected_row(jr, H, W)
        for di in range(dg - 1, dg + 2):
            col = wrap(np.int64(i) + di + shift, W)
            if abs(di) > m or q0[jj, col] != qk:
                continue
            a, d_a, u_a, v_a, b, d_b, u_b, v_b = consider(False, jj * W + col, marks, vx, vy, vz, x0, y0, z0, ex, ez,
                                                           nx, ny, nz, wj, h, fu, fv, np.inf, np.inf, a, d_a, u_a, v_a,
                                                           b, d_b, u_b, v_b)
    return a, u_a, v_a


@njit(cache=True, nogil=True)
def _stretch(qk, j, i, q0, marks, spread, index, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, cl, sl,
             coslat, sinlat, m, rows):
    """Rule 4 as ``_scan(False, ...)`` gives it, ``(up, u, v, any, u, v)``, scanning only columns
    near the upstream point (``_upstream``). First a bound: some upstream marker of the window, at
    ``d`` (cell units squared), bounds the winner's distance. It is the nearest of the few that
    ``_guess`` tests, where that is within ``CORE`` cells; else the nearest of the window's markers
    within ``CORE`` cells of the centre, east and north (after the move). Then every marker within
    ``√d`` cells east and north, in ``_scan``'s order: the winner is among them, so it is
    ``_scan``'s, ties included (``any`` is then the nearest of those, unused: rule 4 takes ``up``).
    Where no upstream marker is that near, the whole window (``_scan``). Within ``polar.cap_rows`` rows
    of a pole, the markers within ``√d`` cells come from ``index`` (``polar.nearest``), the bound
    from ``_guess`` or else from the index at ``CORE``, ``2 CORE``, … cells, up to ``FAR``."""
    a, ua, va = _guess(qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, m, rows)
    cap = polar.served(j, q0.shape[0], index)
    if cap >= 0:
        r = CORE if a < 0 or ua * ua + va * va > CORE * CORE else math.sqrt(ua * ua + va * va) * (1.0 + 1e-6)
        while r <= FAR:
            b, d, ub, vb = polar.nearest(False, index, cap, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx,
                                         ny, nz, wj, h, fu, fv, cl, sl, m, rows, r)
            if b >= 0 and d <= r * r:       # every marker at d or nearer was in the rectangle
                return b, ub, vb, b, ub, vb
            r = math.sqrt(d) * (1.0 + 1e-6) if b >= 0 else 2.0 * r
        return _scan(False, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, m, rows)
    if a < 0 or ua * ua + va * va > CORE * CORE:
        a, ua, va, _, _, _ = _upstream(False, qk, j, i, q0, marks, spread, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny,
                                       nz, wj, h, fu, fv, cl, sl, coslat, sinlat, m, rows, CORE * wj, CORE * h)
    if a < 0:
        return _scan(False, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, m, rows)
    r = math.sqrt(ua * ua + va * va) * (1.0 + 1e-6)
    return _upstream(False, qk, j, i, q0, marks, spread, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv,
                     cl, sl, coslat, sinlat, m, rows, r * wj, r * h)
