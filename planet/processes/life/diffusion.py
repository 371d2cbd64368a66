"""Diffusion of the populations over land (spec §7): ``f += dt D Δf`` for vegetation, prey and
predators with ``D = (0.25, 0.5, 1)`` and the 5-point Laplacian over **land** neighbours (no flux
into the sea; polar reflection across the poles), which conserves each total exactly up to
rounding. Settled cells hold no predators (kept at the floor): humans take their place.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

f32 = np.float32


@njit(cache=True, nogil=True, inline="always")
def _update(i, i_n, i_s, ie, iw, c_, n_, s_, vb, rb, xb, lb, h_row, kv, kr, kx, pop_min, v_row, r_row, x_row):
    """Cell ``i`` of buffer row ``c_``, its neighbours at ``(n_, i_n)``, ``(s_, i_s)``, ``(c_, ie)`` and
    ``(c_, iw)``: ``f += k Σ_{land n} (f_n − f)``, and the predators' floor where humans settled."""
    c = lb[c_, i]
    a_n = lb[n_, i_n] * c
    a_s = lb[s_, i_s] * c
    a_e = lb[c_, ie] * c
    a_w = lb[c_, iw] * c
    v0 = vb[c_, i]
    r0 = rb[c_, i]
    x0 = xb[c_, i]
    v_row[i] = v0 + kv * (a_n * (vb[n_, i_n] - v0) + a_s * (vb[s_, i_s] - v0)
                          + a_e * (vb[c_, ie] - v0) + a_w * (vb[c_, iw] - v0))
    r_row[i] = r0 + kr * (a_n * (rb[n_, i_n] - r0) + a_s * (rb[s_, i_s] - r0)
                          + a_e * (rb[c_, ie] - r0) + a_w * (rb[c_, iw] - r0))
    x = x0 + kx * (a_n * (xb[n_, i_n] - x0) + a_s * (xb[s_, i_s] - x0)
                   + a_e * (xb[c_, ie] - x0) + a_w * (xb[c_, iw] - x0))
    x_row[i] = pop_min if h_row[i] > f32(0.0) else x


@njit(cache=True, nogil=True, inline="always")
def _diffuse_cell(i, c_, n_, s_, shift_n, shift_s, W, vb, rb, xb, lb, h_row, kv, kr, kx, pop_min, v_row, r_row, x_row):
    """``_update`` of cell ``i`` of any row (wrap in longitude; ``shift_n``, ``shift_s``: the polar
    reflection's half turn, 0 off the poles)."""
    i_n = i + shift_n
    if i_n >= W:
        i_n -= W
    i_s = i + shift_s
    if i_s >= W:
        i_s -= W
    ie = i + 1 if i + 1 < W else 0
    iw = i - 1 if i > 0 else W - 1
    _update(i, i_n, i_s, ie, iw, c_, n_, s_, vb, rb, xb, lb, h_row, kv, kr, kx, pop_min, v_row, r_row, x_row)


@njit(cache=True, nogil=True, inline="always")
def _diffuse_row(j, lo, H, W, vb, rb, xb, lb, h_row, kv, kr, kx, pop_min, v_row, r_row, x_row):
    """``f += k Σ_{land n} (f_n − f)`` along row ``j`` (``vb, rb, xb, lb``: rows of the populations
    and the land mask, buffer row ``r − lo`` holding grid row ``r``: the whole grid with ``lo`` 0,
    or a band of rows in ``life.kernel``); settled cells (``h_row`` > 0) keep the predators' floor.

    Off the poles the columns between the two edges go in a loop without branches that vectorises, its
    indices unsigned (a signed index is tested for wrapping around from the end on every access, which
    kept the loop from vectorising: the life pass took 0.61–0.65 ms at 512×256 on one thread, 0.36–0.41
    with this and ``life.kernel``'s unsigned loops), and the two edge columns one by one."""
    half = W // 2
    jn = j - 1 if j > 0 else 0
    js = j + 1 if j < H - 1 else H - 1
    shift_n = half if j == 0 else 0
    shift_s = half if j == H - 1 else 0
    c_, n_, s_ = j - lo, jn - lo, js - lo
    if shift_n != 0 or shift_s != 0:        # the polar rows
        for i in range(W):
            _diffuse_cell(i, c_, n_, s_, shift_n, shift_s, W, vb, rb, xb, lb, h_row, kv, kr, kx, pop_min,
                          v_row, r_row, x_row)
        return
    one = np.uint64(1)
    for i in range(one, np.uint64(max(W - 1, 1))):
        _update(i, i, i, i + one, i - one, c_, n_, s_, vb, rb, xb, lb, h_row, kv, kr, kx, pop_min, v_row, r_row, x_row)
    _diffuse_cell(0, c_, n_, s_, 0, 0, W, vb, rb, xb, lb, h_row, kv, kr, kx, pop_min, v_row, r_row, x_row)
    if W > 1:
        _diffuse_cell(W - 1, c_, n_, s_, 0, 0, W, vb, rb, xb, lb, h_row, kv, kr, kx, pop_min, v_row, r_row, x_row)


@njit(cache=True, nogil=True, parallel=True)
def _diffuse(V, R, X, land, humans, kv, kr, kx, pop_min):
    """``f += k Σ_{land n} (f_n − f)`` for the three populations; settled cells lose their predators.

    ``land`` is a float32 mask (1 land, 0 sea). Neighbours as ``planet.core.grid.neighbour``:
    wrap in longitude; the row beyond a pole is the same row half a turn away, so
    every pair of neighbours sees each other and the exchanged amounts cancel (the
    sum over land is conserved). Branch-free in the interior so that it vectorises.
    """
    H, W = V.shape
    Vo = np.empty((H, W), dtype=np.float32)
    Ro = np.empty((H, W), dtype=np.float32)
    Xo = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        _diffuse_row(j, 0, H, W, V, R, X, land, humans[j], kv, kr, kx, pop_min, Vo[j], Ro[j], Xo[j])
    return Vo, Ro, Xo


def diffuse(vegetation, prey, predators, land, rates, humans=None, population_min=0.01):
    """The life diffusion step on its own: ``f += rate · Σ_{land neighbours} (f_n − f)``.

    ``rates`` = ``(dt D_V, dt D_R, dt D_X)``; ``land`` a boolean mask (no flux
    to or from other cells). Conserves each field's sum over the land cells.
    """
    V, R, X = (np.ascontiguousarray(a, dtype=np.float32) for a in (vegetation, prey, predators))
    land = np.ascontiguousarray(land, dtype=np.float32)
    if humans is None:
        humans = np.zeros(V.shape, dtype=np.float32)
    for name, rate in zip(("vegetation", "prey", "predators"), rates):
        if not 0 <= rate <= 0.25:
            raise ValueError(f"diffusion rate for {name} (dt·D) must be in [0, 0.25] for stability, got {rate}")
    return _diffuse(V, R, X, land, np.ascontiguousarray(humans, dtype=np.float32),
                    f32(rates[0]), f32(rates[1]), f32(rates[2]), f32(population_min))
