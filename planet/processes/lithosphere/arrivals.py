"""Rule 2's candidates by where the markers land: each target cell's short list of arriving markers.

Rule 2 of ``drift`` (**arrive**) gives a cell ``c`` covered by plate ``k`` the marker of plate ``k``
nearest its centre among those that the move brings inside ``c``; ``drift._scan`` finds it by
testing every marker of the search window, ``(2r + 1)(2m_j + 1)`` candidates (15–21 in
mid-latitudes at 1024 columns, 35 at 2048), for every cell whose own marker left it. Here the
markers are sorted to the cells they land in instead, once per move (``landing``). A marker of cell
``s = (j_s, i_s)``, at offset ``(u, v)`` (cell widths east, heights north), moved by its plate's
motion at the centre of ``s`` (``(f_u, f_v)`` in the same units), lands near

    row ``j_s − (v + f_v)``,  column ``i_s + (u + f_u)``

(columns are longitudes, the same in every row; to first order in the offset). Where that first
guess is too coarse (``first_guess``, below) it is rounded to a cell ``c'`` and the marker placed
again with the scan's own arithmetic for ``c'``: moved by the plate's motion at the centre of ``c'``,
in the tangent plane of ``c'``, in the cell units of ``c'`` (``(u', v')``), so that it lands at row
``j' − v'``, column ``i' + u'``; where that point is not in ``c'`` (the first guess was more than
half a cell out, as it is within a few degrees of the poles, or the point is near a cell's edge),
placed once more for the cell it is in. Each target row collects, per cell, the markers of rows ``j ± r``
whose landing point lies within ``1/2 + MARGIN`` cells of the cell's centre in both directions
(``fill``). Rule 2 then tests only those, in the order of the scan (the rows north to south, the
columns west to east, which is the order in which they were collected), with the scan's own
arithmetic (``candidate.consider``), so the winner and its new offsets are the scan's, bit for bit,
as long as every marker the scan would find inside the cell is on the list.

**Why the list holds them.** The scan tests a marker in the cell's tangent plane, moved by the
plate's motion at the cell's centre. The first guess uses the marker's own cell, up to ``r`` rows
and ``m_j`` columns away (``r`` the window's rows, the move's largest motion in cells rounded up),
so the two differ by the motion's change over that distance, about ``r² h`` cells (``h`` the cell
height in radians), and by the tangent planes' tilt, about the distance squared times ``h tan φ``:
``h (r² + (r + SPAN)² tan φ)`` with the marker's own offset (``SPAN`` = 1.35 cells). Where that bound
is within ``TILT`` = 0.1 cell, ``MARGIN`` = 1/4 cell covers it: on the plates' moves (``r`` = 1 at
512 and 1024 columns, 2 at 2048) up to 52° of latitude at 512 columns, 70° at 1024 and 69° at 2048.
Elsewhere the second placement is used: the scan places a marker for a cell ``c`` as the landing
places it for ``c'``, and a cell that lists it lies within a cell and a quarter of ``c'`` each way, so
the two differ only by the change between neighbouring cells, ``h (SPAN r + 1.5 tan φ)``: the motion's
over a cell and a quarter, and the tilt between two cells a column apart, whose tangent planes are
turned by ``2π/W`` about the polar axis (a point ``b`` cell heights north of one moves by about
``b h tan φ`` cell widths east in the other). The lists serve the rows where that is within
``1.5 TILT`` (``min_cos``): up to 82° of latitude at 512 columns, 86° at 1024 and 88° at 2048 on the
plates' moves; on a coarse grid or for long moves less far, and nowhere where even the equator's
bound is too large. On random offsets within their bounds (a tenth at them), lists from the first
guess alone first missed the scan's marker at 71–85° of latitude on 1–3-cell moves, and down to
1–14° from the equator on moves of 4–8 cells; with the second placement where the bound asks for it,
they missed none on any row they may serve (``tests/test_arrivals.py``). (The second placement
alone is not enough there: where the first guess is more than half a cell out, ``c'`` is not the
cell the marker lands in and the bound does not hold. Without the third placement, the lists were
kept off the rows whose window reaches ``drift.ARC_MIN`` columns each side, beyond 87° at 2048
columns; on random 2–3-cell moves those rows missed the scan's marker in up to 87 cells a row.)
Beyond that latitude, wherever the window would wrap around the map or cross a pole, or where a
cell's list overflows ``LISTED``, rule 2 scans as before (``simple``). ``tests/test_arrivals.py``
compares the two on real moves at 128–1024 columns and on random offsets at 256–2048.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.processes.lithosphere.drift import _motion
from planet.processes.lithosphere.euler import _index_of
from planet.processes.lithosphere.upstream import wrap

#: cells beyond the landing point's cell that a marker is listed for (see the module)
MARGIN = 0.25
#: markers listed per cell at most (more: that cell scans)
LISTED = 8
#: the largest error bound (cells) of a landing point that the lists accept: the first guess where its bound
#: ``h (r² + (r + SPAN)² tan φ)`` is within it, else the second placement, whose bound ``h (SPAN r + 1.5 tan φ)``
#: must be within ``1.5 TILT`` for the row to take rule 2 from its lists (``first_guess``, ``min_cos``)
TILT = 0.10
SPAN = 1.35
#: a landing point for the cells without a plate: never near any cell
FAR = 1e30


@njit(cache=True, nogil=True, inline="always")
def first_guess(cphi, sphi, h, rows):
    """Whether the markers of a row at latitude ``φ`` (``cphi``, ``sphi``: its cosine and sine) land by
    the first guess alone on a grid of cell height ``h`` radians and a window of ``rows`` rows each side
    (the move's largest motion in cell heights, rounded up): where the first guess's error bound,
    ``h (r² + (r + SPAN)² tan φ)`` cells, is within ``TILT`` (the module's note)."""
    return h * (rows * rows * cphi + (rows + SPAN) * (rows + SPAN) * abs(sphi)) <= TILT * cphi


@njit(cache=True, nogil=True, parallel=True)
def landing(q0, u0, v0, marks, ids, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, rows, out):
    """``out[0, c]``, ``out[1, c]``: the row and column (cell units, float32: within 2.5e-4 of a cell up to
    2048 columns, which ``MARGIN`` covers with the bounds' room to spare) where the marker of cell
    ``c`` lands when its plate moves it (module docstring: a first guess from the motion at the cell's
    centre; where that is too coarse, ``first_guess``, that guess rounded to a cell ``c'`` and the marker
    placed again with the scan's arithmetic for ``c'``, ``candidate.consider``'s offsets, and once more
    where it does not land in ``c'``); ``FAR`` for cells without a plate. ``u0``, ``v0`` flat; ``marks``:
    ``drift.positions``; ``rows``: the window's rows each side. The column is not wrapped (``c'`` may be column -1 or ``W``)."""
    H, W = q0.shape
    for j in prange(H):
        wj = wrow[j]
        first = first_guess(coslat[j], sinlat[j], h, rows)
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
            if first or not (abs(row) < H + 1.0 and abs(col) < 2.0 * W):     # (NaN: not an index)
                continue
            jr, ir = _cell(row, col, H)
            row, col = _place(k, jr, ir, c, marks, coslat, sinlat, coslon, sinlon, poles, omega, wrow, h, W)
            j2, i2 = _cell(row, col, H)
            if j2 != jr or i2 != ir:              # it lands beyond the cell it was placed for: once more
                row, col = _place(k, j2, i2, c, marks, coslat, sinlat, coslon, sinlon, poles, omega, wrow, h, W)
            out[0, c] = row
            out[1, c] = col


@njit(cache=True, nogil=True, inline="always")
def _cell(row, col, H):
    """The cell (row clamped to the grid, column not wrapped) nearest a landing point."""
    return min(max(np.int64(np.floor(row + 0.5)), 0), H - 1), np.int64(np.floor(col + 0.5))


@njit(cache=True, nogil=True, inline="always")
def _place(k, jr, ir, c, marks, coslat, sinlat, coslon, sinlon, poles, omega, wrow, h, W):
    """Where the marker of cell ``c`` lands (row, column) when plate ``k`` moves it, placed with the scan's
    arithmetic for cell ``(jr, ir)`` (``ir`` not wrapped): the motion at that cell's centre, in its tangent
    plane and its cell units."""
    wr = wrow[jr]
    (x0, y0, z0), (ex, _, ez), (nx, ny, nz), (vx, vy, vz), _, _ = _motion(k, jr, wrap(ir, W), coslat, sinlat, coslon, sinlon,
                                                                         poles, omega, wr, h)
    px = marks[0, c] + vx - x0
    py = marks[1, c] + vy - y0
    pz = marks[2, c] + vz - z0
    return jr - (px * nx + py * ny + pz * nz) / h, ir + (px * ex + pz * ez) / wr


@njit(cache=True, nogil=True, inline="always")
def min_cos(H, rows):
    """The smallest ``cos φ`` of the rows that take rule 2 from lists on a grid of ``H`` rows and a window of
    ``rows`` rows each side: where the second placement's error bound ``h (SPAN r + 1.5 tan φ)`` is within
    ``1.5 TILT`` (the module's note on the lists' reach); 2.0 (no row) where it is not even at the equator."""
    h = np.pi / H
    t = (1.5 * TILT / h - SPAN * rows) / 1.5          # the largest tan φ
    if t < 0.0:
        return 2.0
    return 1.0 / np.sqrt(1.0 + t * t)


@njit(cache=True, nogil=True, inline="always")
def simple(j, H, W, rows, m, coslat):
    """Whether row ``j``'s cells may take rule 2 from their lists: the window stays off the poles and
    within the map (``m``: its columns each side), and the row within ``min_cos``."""
    return j - rows >= 0 and j + rows < H and 2 * m + 1 <= W and coslat[j] >= min_cos(H, rows)


@njit(cache=True, nogil=True)
def fill(j, rows, m, land, W, slots, count):
    """The lists of target row ``j``: ``slots[i, :count[i]]`` the flat indices of the markers of rows
    ``j − rows … j + rows`` and columns ``i − m … i + m`` (the scan's window, unwrapped) that land within
    ``1/2 + MARGIN`` of cell ``(j, i)``'s centre, in scan
    order (rows north to south, columns west to east); ``count[i]`` is ``-1`` where more than
    ``LISTED`` do (that cell scans). Cells near the map's east and west edges (whose window wraps)
    scan anyway, so a list is not kept across the wrap."""
    for i in range(W):
        count[i] = 0
    reach = 0.5 + MARGIN
    hits = np.empty(W, np.int32)
    for jj in range(j - rows, j + rows + 1):
        base = jj * W
        n_hits = 0
        for col in range(W):      # the row's markers that land within reach of row j, gathered without branches
            hits[n_hits] = col
            n_hits += abs(land[0, base + col] - j) <= reach          # (NaN: not gathered)
        for t in range(n_hits):
            col = hits[t]
            c = base + col
            x = land[1, c]
            lo = max(np.int64(np.ceil(x - reach)), 0, col - m)
            hi = min(np.int64(np.floor(x + reach)), W - 1, col + m)
            for i in range(lo, hi + 1):
                n = count[i]
                if n < 0:
                    continue
                if n == LISTED:
                    count[i] = -1
                    continue
                slots[i, n] = np.int32(c)
                count[i] = n + 1
