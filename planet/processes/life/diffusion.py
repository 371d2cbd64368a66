"""Diffusion of the populations over land (spec §7): ``f += dt D Δf`` for vegetation, prey and
predators with ``D = (0.25, 0.5, 1)`` and the 5-point Laplacian over **land** neighbours (no flux
into the sea; polar reflection across the poles), which conserves each total exactly up to
rounding. Settled cells hold no predators (kept at the floor): humans take their place.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

f32 = np.float32


@njit(cache=True, nogil=True, parallel=True)
def _diffuse(V, R, X, land, humans, kv, kr, kx, pop_min):
    """``f += k Σ_{land n} (f_n − f)`` for the three populations; settled cells lose their predators.

    ``land`` is a float32 mask (1 land, 0 sea). Neighbours as ``planet.core.grid.neighbour``:
    wrap in longitude; the row beyond a pole is the same row half a turn away, so
    every pair of neighbours sees each other and the exchanged amounts cancel (the
    sum over land is conserved). Branch-free in the interior so that it vectorises.
    """
    H, W = V.shape
    half = W // 2
    Vo = np.empty((H, W), dtype=np.float32)
    Ro = np.empty((H, W), dtype=np.float32)
    Xo = np.empty((H, W), dtype=np.float32)
    zero = f32(0.0)
    for j in prange(H):
        jn = j - 1 if j > 0 else 0
        js = j + 1 if j < H - 1 else H - 1
        shift_n = half if j == 0 else 0
        shift_s = half if j == H - 1 else 0
        if shift_n == 0 and shift_s == 0:
            for i in range(1, W - 1):
                c = land[j, i]
                a_n = land[jn, i] * c
                a_s = land[js, i] * c
                a_e = land[j, i + 1] * c
                a_w = land[j, i - 1] * c
                v0 = V[j, i]
                r0 = R[j, i]
                x0 = X[j, i]
                Vo[j, i] = v0 + kv * (a_n * (V[jn, i] - v0) + a_s * (V[js, i] - v0)
                                      + a_e * (V[j, i + 1] - v0) + a_w * (V[j, i - 1] - v0))
                Ro[j, i] = r0 + kr * (a_n * (R[jn, i] - r0) + a_s * (R[js, i] - r0)
                                      + a_e * (R[j, i + 1] - r0) + a_w * (R[j, i - 1] - r0))
                x = x0 + kx * (a_n * (X[jn, i] - x0) + a_s * (X[js, i] - x0)
                               + a_e * (X[j, i + 1] - x0) + a_w * (X[j, i - 1] - x0))
                Xo[j, i] = pop_min if humans[j, i] > zero else x
            edges = (0, W - 1)
        else:
            edges = (-1, -1)
        for i in range(W):
            if 0 < i < W - 1 and edges[0] == 0:
                continue
            v0 = V[j, i]
            r0 = R[j, i]
            x0 = X[j, i]
            c = land[j, i]
            i_n = i + shift_n
            if i_n >= W:
                i_n -= W
            i_s = i + shift_s
            if i_s >= W:
                i_s -= W
            ie = i + 1 if i + 1 < W else 0
            iw = i - 1 if i > 0 else W - 1
            a_n = land[jn, i_n] * c
            a_s = land[js, i_s] * c
            a_e = land[j, ie] * c
            a_w = land[j, iw] * c
            Vo[j, i] = v0 + kv * (a_n * (V[jn, i_n] - v0) + a_s * (V[js, i_s] - v0)
                                  + a_e * (V[j, ie] - v0) + a_w * (V[j, iw] - v0))
            Ro[j, i] = r0 + kr * (a_n * (R[jn, i_n] - r0) + a_s * (R[js, i_s] - r0)
                                  + a_e * (R[j, ie] - r0) + a_w * (R[j, iw] - r0))
            x = x0 + kx * (a_n * (X[jn, i_n] - x0) + a_s * (X[js, i_s] - x0)
                           + a_e * (X[j, ie] - x0) + a_w * (X[j, iw] - x0))
            Xo[j, i] = pop_min if humans[j, i] > zero else x
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
