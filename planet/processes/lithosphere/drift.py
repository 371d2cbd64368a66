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
2. **arrive**: else, of plate ``k``'s markers on the cells around ``c`` (rows ``j − 1 … j + 1``,
   columns ``i ± m_j`` with ``m_j = 1 + ⌈max_k |ω_k| / w⌉`` for the narrowest of the three rows,
   so a step's motion is always in reach), each moved by ``v_k``, the one inside ``c`` nearest its
   centre in cell units, ``(Δe / w_j)² + (Δn / h)²``: the marker moves in with its content;
3. **wait**: else (no marker inside) its own marker while that is within one cell
   (``|u|, |v| ≤ 1``): markers of one plate move together, so the next one is about to arrive;
4. **stretch**: else (the flow spreads the crust over more cells than it came from, as on its way
   towards a pole, where cells are narrower) a copy of the nearest marker upstream (behind the
   centre: ``(u, v)·(v_e / w_j, v_n / h) < 0``; the nearest of all if there is none), content and
   position: a new material point where that one is, which evolves on its own from then on;
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
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from planet.core.grid import neighbour

HALF = 0.5
KEEP = 1.0        # a cell keeps its own marker this far out while no other marker is inside
LIMIT = 1.5       # the stored offsets' bound


@njit(cache=True, nogil=True)
def _frame(j, i, coslat, sinlat, coslon, sinlon):
    """Centre ``x``, east ``ê`` and north ``n̂`` of cell (j, i) (``x = (sin λ cos φ, sin φ, cos λ cos φ)``)."""
    cl, sl, co, so = coslat[j], sinlat[j], coslon[i], sinlon[i]
    return (so * cl, sl, co * cl), (co, 0.0, -so), (-sl * so, cl, -sl * co)


@njit(cache=True, nogil=True)
def _velocity(k, px, py, pz, poles, omega):
    """``v_k(p) = ω_k e_k × p``."""
    ex, ey, ez = poles[k, 0], poles[k, 1], poles[k, 2]
    w = omega[k]
    return w * (ey * pz - ez * py), w * (ez * px - ex * pz), w * (ex * py - ey * px)


def widths(H: int, W: int) -> np.ndarray:
    """``w_j``: each row's cell width in radians of arc (float64)."""
    lat = np.radians(90.0 - 180.0 * (np.arange(H) + 0.5) / H)
    return 2.0 * math.pi * np.cos(lat) / W


def reach(width: np.ndarray, W: int, step_max: float) -> np.ndarray:
    """``m_j`` of rule 2 (int64, per row of ``width``, the ``widths`` of a grid of ``W`` columns):
    columns each side that hold every marker a step of at most ``step_max`` radians can bring into
    a cell of row ``j`` (at most ``W / 2``)."""
    narrowest = np.minimum(width, np.minimum(np.roll(width, 1), np.roll(width, -1)))
    if width.size > 1:
        narrowest[0] = min(width[0], width[1])
        narrowest[-1] = min(width[-1], width[-2])
    return np.minimum(1 + np.ceil(step_max / narrowest), max(W // 2, 1)).astype(np.int64)


@njit(cache=True, nogil=True, inline="always")
def carry(k, qk, j, i, q0, u0, v0, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, reach_rows):
    """Rules 1-3 for cell (j, i) covered by plate index ``k`` (id ``qk``): ``(source, u, v)``, the
    flat index of the cell whose content it takes and its marker's new offset; source -1 when no
    marker of the plate is within reach (rule 4 is the caller's). ``q0``: the previous plates;
    ``u0``, ``v0``: the previous offsets (flat)."""
    H, W = q0.shape
    # the cell's centre x, east (ex, 0, ez) and north (nx, ny, nz), and the plate's motion there
    cl, sl, co, so = coslat[j], sinlat[j], coslon[i], sinlon[i]
    x0, y0, z0 = so * cl, sl, co * cl
    ex, ez = co, -so
    nx, ny, nz = -sl * so, cl, -sl * co
    vx, vy, vz = _velocity(k, x0, y0, z0, poles, omega)
    wj = wrow[j]
    c = j * W + i
    own = q0[j, i] == qk
    u_own = 0.0
    v_own = 0.0
    if own:
        u_own = u0[c] + (vx * ex + vz * ez) / wj
        v_own = v0[c] + (vx * nx + vy * ny + vz * nz) / h
        if abs(u_own) <= HALF and abs(v_own) <= HALF:
            return c, u_own, v_own
    best_in = -1
    d_in = np.inf
    u_in = 0.0
    v_in = 0.0
    best_any = -1
    d_any = np.inf
    best_up = -1
    d_up = np.inf
    u_any = v_any = u_up = v_up = 0.0
    fu = (vx * ex + vz * ez) / wj                      # the motion, in cell widths and heights
    fv = (vx * nx + vy * ny + vz * nz) / h
    m = reach_rows[j]
    for dj in range(-1, 2):
        for di in range(-m, m + 1):
            jj, ii = neighbour(j, i, dj, di, H, W)
            if q0[jj, ii] != qk:
                continue
            cc = jj * W + ii
            cl2, sl2, co2, so2 = coslat[jj], sinlat[jj], coslon[ii], sinlon[ii]
            a = u0[cc] * wrow[jj]
            b = v0[cc] * h
            # the neighbour's marker, moved, relative to this cell's centre
            px = so2 * cl2 + a * co2 - b * sl2 * so2 + vx - x0
            py = sl2 + b * cl2 + vy - y0
            pz = co2 * cl2 - a * so2 - b * sl2 * co2 + vz - z0
            u = (px * ex + pz * ez) / wj
            v = (px * nx + py * ny + pz * nz) / h
            d = u * u + v * v
            if abs(u) <= HALF and abs(v) <= HALF and d < d_in:
                best_in = cc
                d_in = d
                u_in = u
                v_in = v
            if d < d_any:
                best_any = cc
                d_any = d
                u_any = u
                v_any = v
            if u * fu + v * fv < 0.0 and d < d_up:
                best_up = cc
                d_up = d
                u_up = u
                v_up = v
    if best_in >= 0:
        return best_in, u_in, v_in
    if own and abs(u_own) <= KEEP and abs(v_own) <= KEEP:
        return c, u_own, v_own
    if best_up >= 0:
        return best_up, u_up, v_up
    return best_any, u_any, v_any
