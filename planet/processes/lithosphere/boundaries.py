"""What plate boundaries do besides moving crust: uplift where plates converge, and the continental
crust consumed there piled onto the crust that stays (``planet.processes.lithosphere.plates``
moves the crust; this module is its boundary physics).

**Uplift at convergent boundaries.** Plate ``k`` moves the point ``x`` of the unit sphere at
``v_k(x) = ω_k e_k × x`` (radians per step; ``e_k`` its Euler pole). A cell of plate ``a`` looks
one cell height ``dy`` away to the north, south, east and west (east and west ``reach[j] =
round(1 / cos φ)`` columns, the same distance on the sphere, so the look does not depend on how
narrow the cells of a row are). Where it sees plate ``b``, the convergence rate is
``r = −(v_b − v_a)·t`` (``t`` the unit direction looked in). Where ``r > 0`` and ``a`` overrides
``b`` (continental over oceanic; between two continental or two oceanic crusts the plate of lower
density rank) the cell gains uplift ``Δy = g r / dy`` (``g`` = ``collision_uplift``): the crust
consumed per unit length of boundary spread over the cells within ``dy`` of it, the same uplift
per unit length on every grid. Elsewhere uplift decays by ``uplift_decay`` per step while the
plates move. Transform boundaries (``r ≈ 0``) neither lift nor consume.

**Crust piles up.** The continental crust of ``b`` consumed there, ``C_b r / dy`` per step, is the
weight with which ``conserve_crust`` returns the crust volume the motion removed, ``Σ C · area``
before minus after, onto the overriding crust (up to ``crust_max``): collisions thicken continents.

**Crust is not made by the grid.** The gather that moves the crust can also copy a source cell
into two target cells (where a plate's rotated cells fall on the grid's rows more densely than
they left them), so the volume after a step can exceed the volume before. ``conserve_crust``
takes such a gain back: every continent (``C ≥ 1/2``) thins in proportion to its crust above
``1/2``, so no cell changes type and the ocean floor is untouched. Without it a world's crust grew
by about a fifth over the tectonic epoch at 128 columns, and less at finer grids: the coarse world
had more land than the fine one.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, uint64

from planet.core.grid import neighbour
from planet.processes.lithosphere.drift import _frame
from planet.processes.lithosphere.euler import _velocity, f32
from planet.processes.lithosphere.metrics import diagonal_reach
from planet.processes.lithosphere.plates import CONTINENTAL, _index_of

# the 4 face neighbours N, E, S, W
_DJ = np.array([-1, 0, 1, 0], np.int64)
_DI = np.array([0, 1, 0, -1], np.int64)


@njit(cache=True, nogil=True, inline="always")
def _look(j, i, dj, di, H, W):
    """``grid.neighbour(j, i, dj, di, H, W)`` without its integer division where no pole is crossed
    and ``|di| <= W`` (one wrap in longitude at most): the same cell."""
    jj = np.int64(j) + dj      # (a prange index may arrive unsigned)
    if 0 <= jj < H and -W <= di <= W:
        ii = np.int64(i) + di
        if ii < 0:
            ii += W
        elif ii >= W:
            ii -= W
        return jj, ii
    return neighbour(j, i, dj, di, H, W)


@njit(cache=True, nogil=True, parallel=True)
def _uplift(q, c, y, ids, density, poles, omega, coslat, sinlat, coslon, sinlon, dy, reach, gain, decay,
            out, c_out):
    """Uplift decays, and grows on the overriding side of convergent boundaries: each cell looks
    one cell height ``dy`` away to the north, south, east and west (``reach[j]`` columns east and
    west, the same distance on the sphere) and, where another plate converges on it from there and
    it overrides that plate, gains ``gain · r / dy``; ``c_out`` gets the rate ``C_b · r / dy`` at which
continental crust of the other plate is consumed there (halved where both are continental), the
weights by which ``conserve_crust`` piles the consumed crust up (module docstring)."""
    H, W = q.shape
    one = f32(1.0)
    zero = f32(0.0)
    qf, yf, of, cof = q.ravel(), y.ravel(), out.ravel(), c_out.ravel()
    for j in prange(H):
        mj = reach[j]
        lo, hi = W, W             # the columns whose 4 looks stay in the map without a wrap
        if 0 < j < H - 1:
            lo = min(mj, W)
            hi = max(W - mj, lo)
        # most cells see only their own plate: their decay in one vectorized pass over the row;
        # the cells that see another plate (flagged) then take the whole rule, cell by cell
        flag = np.zeros(W, np.bool_)
        row = uint64(j * W)
        um = uint64(mj)
        uW = uint64(W)
        for i in range(lo, hi):
            k = row + uint64(i)
            qa = qf[k]
            flag[i] = (qf[k - uW] != qa) | (qf[k + um] != qa) | (qf[k + uW] != qa) | (qf[k - um] != qa)
            yc = yf[k] * (one - decay)
            cof[k] = zero
            of[k] = min(max(yc, zero), one)
        for i in range(W):
            if lo <= i < hi and not flag[i]:
                continue
            _uplift_cell(j, i, mj, q, c, y, ids, density, poles, omega, coslat, sinlat, coslon, sinlon, dy, gain,
                         decay, out, c_out)


@njit(cache=True, nogil=True, inline="always")
def _uplift_cell(j, i, mj, q, c, y, ids, density, poles, omega, coslat, sinlat, coslon, sinlon, dy, gain, decay,
                 out, c_out):
    """``_uplift`` at cell (j, i)."""
    H, W = q.shape
    one = f32(1.0)
    yc = y[j, i] * (one - decay)
    # most cells see only their own plate: no boundary, nothing to compute (and no search
    # for the plate's index: a cell of no plate, ``ka < 0``, is no boundary either)
    edge = False
    qa = q[j, i]
    for m in range(4):
        jj, ii = _look(j, i, _DJ[m], _DI[m] * mj, H, W)
        if q[jj, ii] != qa:
            edge = True
            break
    ka = -1
    if edge:
        ka = _index_of(qa, ids)
        edge = ka >= 0
    if edge:
        x, e, nn = _frame(j, i, coslat, sinlat, coslon, sinlon)
        va = _velocity(ka, x[0], x[1], x[2], poles, omega)
        ca = c[j, i]
        s = 0.0
        thicken = 0.0
        for m in range(4):
            jj, ii = _look(j, i, _DJ[m], _DI[m] * mj, H, W)
            kb = _index_of(q[jj, ii], ids)
            if kb < 0 or kb == ka:
                continue
            cb = c[jj, ii]
            cont_a, cont_b = ca >= CONTINENTAL, cb >= CONTINENTAL
            if cont_a == cont_b:
                over = density[ka] < density[kb]
            else:
                over = cont_a
            if not over:
                continue
            vb = _velocity(kb, x[0], x[1], x[2], poles, omega)
            ux, uy, uz = vb[0] - va[0], vb[1] - va[1], vb[2] - va[2]
            if m == 0 or m == 2:
                r = -float(-_DJ[m]) * (ux * nn[0] + uy * nn[1] + uz * nn[2])
            else:
                r = -float(_DI[m]) * (ux * e[0] + uz * e[2])
            if r > 0.0:
                s += r
                if cont_b:
                    thicken += r * cb
        yc += f32(gain * s / dy)
        # the continental crust consumed at the boundary piles onto the crust that stays
        c_out[j, i] = f32(thicken / dy)
    else:
        c_out[j, i] = f32(0.0)      # no plate, or no other plate within reach
    out[j, i] = min(max(yc, f32(0.0)), one)


def row_widths(H: int, W: int):
    """The north-south cell height ``dy`` (radians of arc) and, per row, the number of columns
    that spans the same distance east-west (``round(1 / cos φ)``, at most ``W / 4``), int64."""
    return math.pi / H, diagonal_reach(H, W)



def conserve_crust(before, crust, weights, area, crust_max, scratch=None):
    """Keep the planet's crust volume ``Σ C · area`` what it was ``before`` the plates moved: the
    crust the motion consumed (subduction, and the rasterisation's small losses) piles up where
    continental crust is being consumed at convergent boundaries (``weights``, from ``_uplift``),
    up to ``crust_max``; what the cap turns away thickens all continental crust (``C ≥ 1/2``) in
    proportion to its room below the cap, so continental crust is never lost while there is room.
    A gain (the gather's duplicates, module docstring) is taken back from every continent in
    proportion to its crust above ``1/2`` (at most all of it, so no cell changes type).
    ``area``: the cell areas per row. In place, float64 sums in a fixed order (numpy's, over the
    float64 products of a ``(H, W)`` array); ``scratch``: an optional float64 ``(H, W)`` buffer."""
    prod = np.empty(crust.shape) if scratch is None else scratch
    after = volume(crust, area, prod)
    lost = before - after
    if lost < 0.0:
        _excess(crust, area, prod)
        e = float(prod.sum())
        if e > 0.0:
            _thin(crust, min(-lost / e, 1.0))
        return
    if lost == 0.0:
        return
    w = volume(weights, area, prod)
    if w > 0.0:
        _pile(crust, weights, f32(lost / w), f32(crust_max), area, prod)
        lost -= float(prod.sum())
    _room(crust, f32(crust_max), area, prod)
    h = float(prod.sum())
    if lost > 0.0 and h > 0.0:
        _thicken(crust, f32(crust_max), min(lost / h, 1.0))


def volume(x, area, prod):
    """``Σ x · area`` (float64; ``prod`` a float64 buffer of ``x``'s shape gets the products)."""
    _weighted(x, area, prod)
    return float(prod.sum())


@njit(cache=True, nogil=True, parallel=True)
def _weighted(x, area, out):
    """``out = x · area[row]`` in float64."""
    H, W = x.shape
    for j in prange(H):
        a = np.float64(area[j])
        for i in range(W):
            out[j, i] = np.float64(x[j, i]) * a


@njit(cache=True, nogil=True, parallel=True)
def _pile(crust, weights, factor, cap, area, out):
    """``crust ← min(crust + weights · factor, cap)`` (float32) and ``out`` = the volume each cell gained."""
    H, W = crust.shape
    for j in prange(H):
        a = np.float64(area[j])
        for i in range(W):
            c = crust[j, i]
            p = c + weights[j, i] * factor
            if p > cap:      # noqa: PLR1730 (np.minimum's NaN rule: a NaN stays NaN)
                p = cap
            out[j, i] = (np.float64(p) - np.float64(c)) * a
            crust[j, i] = p


@njit(cache=True, nogil=True, inline="always")
def _room_of(c, cap):
    return cap - c if c >= f32(CONTINENTAL) else f32(0.0)


@njit(cache=True, nogil=True, parallel=True)
def _room(crust, cap, area, out):
    """``out`` = each continental cell's room below the cap times its area (float64)."""
    H, W = crust.shape
    for j in prange(H):
        a = np.float64(area[j])
        for i in range(W):
            out[j, i] = np.float64(_room_of(crust[j, i], cap)) * a


@njit(cache=True, nogil=True, parallel=True)
def _thicken(crust, cap, share):
    """``crust += room · share`` (the room in float64, the step rounded to float32)."""
    H, W = crust.shape
    for j in prange(H):
        for i in range(W):
            crust[j, i] += f32(np.float64(_room_of(crust[j, i], cap)) * share)


@njit(cache=True, nogil=True, parallel=True)
def _excess(crust, area, out):
    """``out`` = each continental cell's crust above ``1/2`` times its area (float64)."""
    H, W = crust.shape
    half = f32(CONTINENTAL)
    for j in prange(H):
        a = np.float64(area[j])
        for i in range(W):
            c = crust[j, i]
            out[j, i] = (np.float64(c) - np.float64(half)) * a if c >= half else 0.0


@njit(cache=True, nogil=True, parallel=True)
def _thin(crust, share):
    """``crust -= (crust − 1/2) · share`` on continental cells (the step in float64, rounded to
    float32; never below ``1/2``, so no continent turns into ocean floor)."""
    H, W = crust.shape
    half = f32(CONTINENTAL)
    for j in prange(H):
        for i in range(W):
            c = crust[j, i]
            if c >= half:
                p = c - f32((np.float64(c) - np.float64(half)) * share)
                crust[j, i] = p if p >= half else half
