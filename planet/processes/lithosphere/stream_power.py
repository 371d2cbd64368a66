"""Stream power, implicit along the rivers (rule 3b of the lithosphere step).

A routed land cell erodes at the rate ``K A^m S^n`` (``A`` its true upstream area in ``L0²``,
``S`` its slope to its receiver per unit distance). The step solves it *implicitly*, as
FastScape does (Braun & Willett 2013, *Geomorphology* 180–181): with ``L`` the distance to the
receiver, ``z_r`` the receiver's elevation **after** its own erosion this step (``max(z_r, D)``:
rivers cut down to sea level at the coast) and ``z`` the cell's elevation before erosion, the new
elevation ``z' = z_r + x`` solves

    x + f xⁿ = h,   h = z − z_r,   f = s0 K A^m / Lⁿ

(``s0`` the oceans' fill, 0 before they form). For ``n = 2`` that is ``x = 2h / (1 + √(1 + 4fh))``,
for ``n = 1`` ``x = h / (1 + f)``, otherwise a bracketed Newton iteration on ``[0, h]``. Where
``h ≤ 0`` the cell does not erode. Cells are visited receivers first (the reverse of the
accumulation's topological order), so each one reads its receiver's new elevation: a whole river
lowers together, and ``0 ≤ x ≤ h`` always (never below the receiver, never an overshoot).

**Why implicit.** The explicit update ``z − K A^m S^n`` is stable only while ``n K A^m S^{n−1} / L``
stays below about 1 per step. Near the poles the east-west distance ``L = dy cos φ`` is small: a
river running along a row of cells was far past that limit and was cut straight down to its
receiver every step, while rivers running north-south were not. Rows that carried a river wore into
furrows, and the polar land became parallel east-west ridges and valleys, one row apart. The
implicit solution has no such limit, so the rate is the same in every direction and at every
resolution.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.processes.lithosphere.prefetch import AHEAD, prefetch

f32 = np.float32

#: per-cell states written by the surface kernel for this pass
BELOW = 0      # below the shore level: neither eroded nor land
PIT = 1        # at or above the shore level without a receiver (pits get ``pit_fill`` instead)
ERODE = 2      # routed, with a receiver: erodes by stream power

#: the layers of the river order (``drainage._drain_queue``) whose cells ``erode`` takes in parallel:
#: at 1024 columns the first 16 hold 95 % of the routed cells; the later ones are small, and a
#: parallel loop's start costs about as much as a few hundred cells
LAYERS = 16


@njit(cache=True, nogil=True, inline="always")
def implicit_height(h, f, n):
    """The height ``x ∈ [0, h]`` above the receiver that solves ``x + f xⁿ = h`` (float64; ``h > 0``,
    ``f ≥ 0``)."""
    if f <= 0.0:
        return h
    if n == 2.0:
        return 2.0 * h / (1.0 + np.sqrt(1.0 + 4.0 * f * h))
    if n == 1.0:
        return h / (1.0 + f)
    if n == 0.0:
        return max(h - f, 0.0)
    lo, hi = 0.0, h
    x = h
    for _ in range(60):
        g = x + f * x ** n - h
        if g > 0.0:
            hi = x
        else:
            lo = x
        d = 1.0 + n * f * x ** (n - 1.0)
        nx = x - g / d
        if not (lo < nx < hi):
            nx = 0.5 * (lo + hi)
        if abs(nx - x) <= 1e-12 * h:
            return nx
        x = nx
    return x


@njit(cache=True, nogil=True, parallel=True)
def coefficients(state, true_area, rdir, inv_dist, W, factor, m_exp, n_exp, cell_area, area_floor, out):
    """``out[c] = s0 K A^m / Lⁿ`` (float64) for the cells that erode (``factor`` = ``s0 K``): the
    powers, the dearest part, computed in parallel before the sequential pass. A row has a
    distance per router direction (``inv_dist``), so ``1 / Lⁿ`` is taken once per row and direction; ``A^m`` is taken
    once per row for the sources (``A`` = the row's own cell area, ``cell_area[j]``: about 60 % of
    the eroding cells) and reused while a row repeats the previous area (the same ``A``, the same
    power). ``A`` is at least ``area_floor`` (``metrics.Metrics.area_floor``, the smallest cell of the
    D8 rows, within 48° of the equator): near a pole the cells are small and, routed away from it,
    drain little more than themselves, and would wear down far more slowly than a divide elsewhere
    (the README's geology section)."""
    n = state.size
    H = n // W
    m = np.float64(m_exp)
    for j in prange(H):
        slope = np.empty(inv_dist.shape[1])
        for d in range(inv_dist.shape[1]):
            slope[d] = np.float64(inv_dist[j, d]) ** np.float64(n_exp)
        own = cell_area[j]
        own_power = np.float64(max(own, area_floor)) ** m
        last = np.float32(np.nan)
        last_power = 0.0
        for i in range(W):
            c = j * W + i
            if state[c] == ERODE:
                a = true_area[c]
                if a == own:
                    p = own_power
                elif a == last:
                    p = last_power
                else:
                    p = np.float64(max(a, area_floor)) ** m
                    last = a
                    last_power = p
                out[c] = np.float64(factor) * p * slope[rdir[c]]


@njit(cache=True, nogil=True, inline="always")
def _erode_cell(c, rcv, state, coef, z, D, n_exp, land, basin_in, basin_out):
    """``erode``'s work at cell ``c``, once its receiver's is done."""
    s = state[c]
    r = rcv[c]
    if s == ERODE:
        zr = max(z[r], D)
        zc = z[c]
        h = np.float64(zc) - np.float64(zr)
        if h > 0.0:
            z[c] = max(f32(np.float64(zr) + implicit_height(h, coef[c], np.float64(n_exp))), zr)
    is_land = s != BELOW and z[c] >= D
    land[c] = is_land
    if is_land and r >= 0:
        basin_out[c] = basin_out[r]
    else:
        basin_out[c] = basin_in[c]


@njit(cache=True, nogil=True, parallel=True)
def erode(order, count, layers, rcv, state, coef, z, D, n_exp, land, basin_in, basin_out):
    """Stream power on the flat elevation ``z`` (in place), receivers first, then each cell's land
    flag and basin colour (a land cell takes its receiver's new colour; ``basin_out`` must hold
    ``basin_in`` on entry for every cell not in ``order``). ``state``: ``BELOW``/``PIT``/``ERODE``
    per cell; ``coef``: ``f`` per eroding cell (``coefficients``).

    ``layers``: where the first layers of ``order`` end (``drainage._drain_queue``; may be empty).
    A cell reads only its receiver's result, which lies in a later layer, so the cells beyond the
    last of those layers are taken in one sequential pass backwards, then each layer, last first,
    with its cells in parallel: the same values as the one pass backwards, on any thread count. The
    first layers hold most of the cells (at 1024 columns the sources, the first layer, are 60 % of
    them and the first 16 layers 95 %), and the pass is bound by its scattered reads."""
    stop = layers[layers.size - 1] if layers.size > 0 else 0
    for k in range(count - 1, stop - 1, -1):
        if k >= stop + AHEAD:      # the order jumps across the map: ask for a later cell's data now
            c2 = order[k - AHEAD]
            prefetch(z, c2)
            prefetch(coef, c2)
            prefetch(state, c2)
            prefetch(rcv, c2)
            prefetch(basin_in, c2)
            prefetch(basin_out, c2)
            prefetch(land, c2)
        _erode_cell(order[k], rcv, state, coef, z, D, n_exp, land, basin_in, basin_out)
    for L in range(layers.size - 1, -1, -1):
        lo = layers[L - 1] if L > 0 else 0
        for k in prange(lo, layers[L]):
            _erode_cell(order[k], rcv, state, coef, z, D, n_exp, land, basin_in, basin_out)
