"""Continental crust at ocean start: where the first continents are (resolution-free).

The crust thickness ``C`` is 1 (continental) or 0 (oceanic) at first. A cell is continental
where the score

    F(x) = fbm(1.1 x + o) + 0.25 z_0(x) / 15

exceeds the threshold ``F*`` that makes the continental share of the sphere's area equal to
``continent_fraction``: ``fbm`` is the value-noise fBM of ``planet.noise`` at the continuous
position ``x`` on the unit sphere (low frequency: a few broad landmasses), ``o`` a
per-seed offset, and ``z_0`` the protoplanet's elevation (the first highlands lean towards
continents, crater floors towards oceans). ``F*`` is the area-weighted quantile of ``F`` on a
fixed 256 × 128 grid, so the threshold, like ``F`` itself, does not depend on the working
resolution: every grid samples the same continents.
"""
from __future__ import annotations

import functools

import numpy as np
from numba import njit, prange

from planet.core.grid import Grid
from planet.core.noise import fbm, uniform
from planet.processes.lithosphere.metrics import _spread_rows
from planet.processes.lithosphere.protoplanet import kept_elevation

f32 = np.float32
FREQUENCY = 1.1
RELIEF_WEIGHT = 0.25
THRESHOLD_GRID = 256
STREAM_CRUST = 21


@njit(cache=True, nogil=True, inline="always")
def buoyant_level(c, z_ocean, z_cont, h_thick):
    """The elevation crust of thickness ``c`` floats at (isostasy's ``z_eq``):
    ``z_ocean + (z_cont − z_ocean) min(c, 1) + h_thick max(c − 1, 0)`` (float32 in, float32 out)."""
    one = f32(1.0)
    return z_ocean + (z_cont - z_ocean) * min(c, one) + h_thick * max(c - one, f32(0.0))


@njit(cache=True, nogil=True, parallel=True)
def _score(points, z0, offset):
    H, W = z0.shape
    out = np.empty((H, W), np.float32)
    for j in prange(H):
        for i in range(W):
            p = points[j, i]
            out[j, i] = (fbm(f32(FREQUENCY) * p[0] + offset[0], f32(FREQUENCY) * p[1] + offset[1],
                             f32(FREQUENCY) * p[2] + offset[2])
                         + f32(RELIEF_WEIGHT) * z0[j, i] / f32(15.0))
    return out


def _offset(seed: int) -> np.ndarray:
    return np.array([200.0 * uniform(seed, STREAM_CRUST, 0, k) - 100.0 for k in range(3)], dtype=np.float32)


def score(grid: Grid, seed: int, elevation: np.ndarray) -> np.ndarray:
    """``F`` at the cell centres of ``grid`` (``elevation``: the protoplanet there)."""
    return _score(grid.positions().astype(np.float32), np.ascontiguousarray(elevation, np.float32), _offset(seed))


@functools.lru_cache(maxsize=64)
def threshold(seed: int, fraction: float) -> float:
    """``F*``: the area-weighted ``1 − fraction`` quantile of ``F`` on the fixed 256 × 128 grid (a pure
    function of its arguments, kept per process: it costs a protoplanet of 32 768 cells, 0.17 s, for
    every new world of any size)."""
    g = Grid.from_resolution(THRESHOLD_GRID)
    z0 = kept_elevation(int(seed), g.rows, g.columns)
    f = score(g, seed, z0).ravel()
    w = g.area_weights.ravel()
    order = np.argsort(f, kind="stable")
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, 1.0 - fraction))
    return float(f[order[min(k, f.size - 1)]])


def initial_crust(grid: Grid, seed: int, elevation: np.ndarray, cfg) -> np.ndarray:
    """float32 ``(H, W)``: 1 on the first continents, 0 elsewhere."""
    f = score(grid, seed, elevation)
    return (f > f32(threshold(seed, cfg.continent_fraction))).astype(np.float32)


def spread_rows(crust, c_east, out, scratch=None):
    """East-west spreading of thickened crust within continents (the excess over 1 diffuses,
    implicitly, between continental cells, ``C ≥ 1/2``, across plate boundaries too, never onto
    ocean floor): ``out = C + ((I − L_x)^{-1} e − e)``, ``e = max(C − 1, 0)`` (``scratch``: a float32
    array of ``crust``'s shape for ``e``, else a new one)."""
    _spread_rows(crust, c_east, np.empty(crust.shape, np.float32) if scratch is None else scratch, out)
