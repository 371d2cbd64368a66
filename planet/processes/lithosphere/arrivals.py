"""Rule 2's candidates by where the markers land: each target cell's short list of arriving markers.

Rule 2 of ``drift`` (**arrive**) gives a cell ``c`` covered by plate ``k`` the marker of plate ``k``
nearest its centre among those that the move brings inside ``c``; ``drift._scan`` finds it by
testing every marker of the search window, ``(2r + 1)(2m_j + 1)`` candidates (15–21 in
mid-latitudes at 1024 columns, 35 at 2048), for every cell whose own marker left it. Here the
markers are sorted to the cells they land in instead, once per move (``landing``). A marker of cell
``s = (j_s, i_s)``, at offset ``(u, v)`` (cell widths east, heights north), moved by its plate's
motion at the centre of ``s`` (``(f_u, f_v)`` in the same units), lands near

    row ``j_s − (v + f_v)``,  column ``i_s + (u + f_u)``

(columns are longitudes, the same in every row; to first order in the offset). Beyond 60° of
latitude (``MIN_COS``) that first guess is rounded to a cell ``c'`` and the marker placed again with
the scan's own arithmetic for ``c'``: moved by the plate's motion at the centre of ``c'``, in the
tangent plane of ``c'``, in the cell units of ``c'`` (``(u', v')``), so that it lands at row
``j' − v'``, column ``i' + u'``. Each target row collects, per cell, the markers of rows ``j ± r`` whose
landing point lies within ``1/2 + MARGIN`` cells of the cell's centre in both directions (``fill``).
Rule 2 then tests only those, in the order of the scan (the rows north to south, the columns west to
east, which is the order in which they were collected), with the scan's own arithmetic
(``candidate.consider``), so the winner and its new offsets are the scan's, bit for bit, as long as
every marker the scan would find inside the cell is on the list.

**Why the list holds them.** The scan tests a marker in the cell's tangent plane, moved by the
plate's motion at the cell's centre. The first guess uses the marker's own cell: over the distances
involved (at most ``r`` rows and ``m_j`` columns) the two differ by second-order terms, the motion's
change across the window (``ω`` times a few cells, a hundredth of a cell per move at 1024 columns)
and the tangent planes' tilt (the distance squared times ``h tan φ``, ``h`` the cell height in
radians: under 0.07 cells within 60° at 512 columns and less on finer grids; with both of a
marker's offsets at their bound, 1.5 cells, about 0.11 at 256 columns and 0.22 at 128).
``MARGIN`` = 1/4 cell covers both within 60°. Further poleward that error grows as ``tan φ``
(on random offsets, lists from the first guess alone first missed the scan's marker at 71–85°),
so there the second placement is used: the scan places a marker for a cell ``c`` as the landing
places it for ``c'``, and a cell that lists it lies within a cell and a quarter of ``c'`` each way,
so the two differ only by the change between neighbouring cells. The motion's is ``ω`` times a
cell; the tilt between two cells a column apart, whose tangent planes are turned by ``2π/W`` about
the polar axis, moves a point ``b`` cell heights north of one by about ``b h tan φ`` cell widths
east in the other: at most ``1.5 h tan φ`` for the markers a list can hold. ``MARGIN`` covers that
wherever ``h tan φ ≤ TILT`` = 0.1 (``min_cos``): up to 88.2° of latitude at 2048 columns, 86.5°
at 1024, 83.0° at 512, 76° at 256, and 60° at least on any grid (on random offsets the lists then
missed none of the scan's markers on any row they may serve). Beyond that latitude, wherever the
window would wrap around the map or cross a pole or ``m_j`` reaches ``drift.ARC_MIN`` (87° at 2048
columns on the plates' moves), or where a cell's list overflows ``LISTED``, rule 2 scans as before
(``simple``). ``tests/test_arrivals.py`` compares the two on real moves at 128–1024 columns and on
random offsets at 512–2048.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.processes.lithosphere.drift import ARC_MIN, _motion
from planet.processes.lithosphere.euler import _index_of

#: cells beyond the landing point's cell that a marker is listed for (see the module)
MARGIN = 0.25
#: markers listed per cell at most (more: that cell scans)
LISTED = 8
#: rows further from the equator than this (cos φ below it) scan, unless ``TILT`` allows them (``min_cos``); their
#: markers land by the second placement (``landing``)
MIN_COS = 0.5
#: the largest ``h tan φ`` (``h`` the cell height in radians) of a row beyond ``MIN_COS`` that takes rule 2
#: from its lists (``min_cos``)
TILT = 0.10
#: a landing point for the cells without a plate: never near any cell
FAR = 1e30


@njit(cache=True, nogil=True, parallel=True)
def landing(q0, u0, v0, marks, ids, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, out):
    """``out[0, c]``, ``out[1, c]``: the row and column (cell units, float64) where the marker of cell
    ``c`` lands when its plate moves it (module docstring: a first guess from the motion at the cell's
    centre; beyond ``MIN_COS``, that guess rounded to a cell ``c'`` and the marker placed again with the
    scan's arithmetic for ``c'``, ``candidate.consider``'s offsets); ``FAR`` for cells without a plate.
    ``u0``, ``v0`` flat; ``marks``: ``drift.positions``. The column is not wrapped (``c'`` may be column
    -1 or ``W``)."""
    H, W = q0.shape
    for j in prange(H):
        wj = wrow[j]
        for i in range(W):
            c = j * W + i
            k = _index_of(q0[j, i], ids)
            if k < 0:
                out[0, c] = FAR
                out[1, c] = FAR
                continue
            fu, fv = _motion(k, j, i, coslat, sinlat, coslon, sinlon, poles, omega, wj, h)[4:]
            row = j - (v0[c] + fv)
            col = i + (u0[c] + fu)
            out[0, c] = row
            out[1, c] = col
            if coslat[j] >= MIN_COS or not (abs(row) < H + 1.0 and abs(col) < 2.0 * W):   # (NaN: not an index)
                continue
            jr = min(max(np.int64(np.floor(row + 0.5)), 0), H - 1)
            ir = np.int64(np.floor(col + 0.5))
            iw = ir
            while iw < 0:
                iw += W
            while iw >= W:
                iw -= W
            wr = wrow[jr]
            (x0, y0, z0), (ex, _, ez), (nx, ny, nz), (vx, vy, vz), _, _ = _motion(k, jr, iw, coslat, sinlat, coslon,
                                                                                 sinlon, poles, omega, wr, h)
            px = marks[0, c] + vx - x0
            py = marks[1, c] + vy - y0
            pz = marks[2, c] + vz - z0
            out[0, c] = jr - (px * nx + py * ny + pz * nz) / h
            out[1, c] = ir + (px * ex + pz * ez) / wr


@njit(cache=True, nogil=True, inline="always")
def min_cos(H):
    """The smallest ``cos φ`` of the rows that take rule 2 from lists on a grid of ``H`` rows: ``MIN_COS``,
    or further poleward where ``h tan φ ≤ TILT`` (the module's note on the lists' reach)."""
    t = TILT / (np.pi / H)
    if t * t <= 1.0 / (MIN_COS * MIN_COS) - 1.0:
        return MIN_COS
    return 1.0 / np.sqrt(1.0 + t * t)


@njit(cache=True, nogil=True, inline="always")
def simple(j, H, W, rows, m, coslat):
    """Whether row ``j``'s cells may take rule 2 from their lists: the window stays off the poles,
    ``m`` (its columns each side) is under ``drift.ARC_MIN`` and the row within ``min_cos``."""
    return j - rows >= 0 and j + rows < H and m < ARC_MIN and 2 * m + 1 <= W and coslat[j] >= min_cos(H)


@njit(cache=True, nogil=True)
def fill(j, rows, land, W, slots, count):
    """The lists of target row ``j``: ``slots[i, :count[i]]`` the flat indices of the markers of rows
    ``j − rows … j + rows`` that land within ``1/2 + MARGIN`` of cell ``(j, i)``'s centre, in scan
    order (rows north to south, columns west to east); ``count[i]`` is ``-1`` where more than
    ``LISTED`` do (that cell scans). Cells near the map's east and west edges (whose window wraps)
    scan anyway, so a list is not kept across the wrap."""
    for i in range(W):
        count[i] = 0
    reach = 0.5 + MARGIN
    for jj in range(j - rows, j + rows + 1):
        base = jj * W
        for col in range(W):
            c = base + col
            r = land[0, c]
            if not abs(r - j) <= reach:
                continue
            x = land[1, c]
            lo = max(np.int64(np.ceil(x - reach)), 0)
            hi = min(np.int64(np.floor(x + reach)), W - 1)
            for i in range(lo, hi + 1):
                n = count[i]
                if n < 0:
                    continue
                if n == LISTED:
                    count[i] = -1
                    continue
                slots[i, n] = np.int32(c)
                count[i] = n + 1
