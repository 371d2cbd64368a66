"""The protoplanet: cratered, fBM-roughened initial terrain (spec §3), computed once.

At a cell with unit-sphere position ``P``: ``p = 1.5 P`` (plus the seed's
noise-domain offset, zero for seed 0),

    s = Σ_{i=0..4} w_i (c_i + 0.4 exp(−3 c_i) fbm(10 p)),
    c_i = C(0.4 · 2.2^i · p),   w_i = clamp(3 · 0.4^i, 0, 1),
    z = clamp(15 − 3.5 s³, 0, 15)

with ``C`` the crater field and ``fbm`` six octaves of value noise
(``planet.core.noise``). All in float32, in that order, so seed 0 reproduces the
reference terrain. Crater floors (large ``s``) become the low ground where
the first oceans collect.
"""
from __future__ import annotations

import functools

import numpy as np
from numba import njit, prange

from planet.core import diskcache, grid, noise
from planet.core.grid import Grid
from planet.core.noise import STREAM_BASIN, craters, fbm, seed_offset, unit24

f32 = np.float32
_WEIGHTS = np.array([min(3.0 * 0.4 ** i, 1.0) for i in range(5)], dtype=np.float32)
_SCALES = np.array([0.4 * 2.2 ** i for i in range(5)], dtype=np.float32)


@njit(cache=True, nogil=True)
def terrain_height(px, py, pz):
    """``s`` of the spec at the (already scaled and offset) float32 point ``p``."""
    detail = fbm(f32(10.0) * px, f32(10.0) * py, f32(10.0) * pz)
    s = f32(0.0)
    for i in range(5):
        k = _SCALES[i]
        c = craters(k * px, k * py, k * pz)
        s += _WEIGHTS[i] * (c + f32(0.4) * np.exp(f32(-3.0) * c) * detail)
    return s


@njit(cache=True, nogil=True, parallel=True)
def protoplanet_elevation(points, offset):
    """Initial elevation for an ``(H, W, 3)`` float32 array of unit-sphere positions."""
    H, W = points.shape[0], points.shape[1]
    z = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        for i in range(W):
            px = f32(1.5) * points[j, i, 0] + offset[0]
            py = f32(1.5) * points[j, i, 1] + offset[1]
            pz = f32(1.5) * points[j, i, 2] + offset[2]
            s = terrain_height(px, py, pz)
            z[j, i] = min(max(f32(15.0) - f32(3.5) * (s * s * s), f32(0.0)), f32(15.0))
    return z


@njit(cache=True, nogil=True, parallel=True)
def random_field(seed, stream, step, H, W):
    """A float32 ``(H, W)`` field of independent uniforms in [0, 1), keyed by cell."""
    out = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        for i in range(W):
            out[j, i] = unit24(seed, stream, step, j * W + i)
    return out


#: grids up to this many cells (2048 x 1024, 8 MiB) keep their protoplanet per process
KEPT_CELLS = 2048 * 1024


def _elevation(seed: int, rows: int, columns: int) -> np.ndarray:
    """The crater field; up to ``KEPT_CELLS`` cells from the disk cache (``planet.core.diskcache``)
    where a process already made it."""
    on_disk = rows * columns <= KEPT_CELLS
    code = diskcache.digest(__file__, noise.__file__, grid.__file__) if on_disk else ""
    name = f"protoplanet-{seed}-{rows}x{columns}"
    z = diskcache.load(name, code, (rows, columns), np.float32) if on_disk else None
    if z is None:
        points = Grid(rows, columns).positions().astype(np.float32)
        z = protoplanet_elevation(points, seed_offset(seed))
        if on_disk:
            diskcache.save(name, code, z)
    return z


@functools.lru_cache(maxsize=4)
def kept_elevation(seed: int, rows: int, columns: int) -> np.ndarray:
    """The protoplanet's elevation on a ``rows × columns`` grid, kept per process (read-only) and on
    disk (``_elevation``): the crater field costs 0.55 s at 512 columns, and a notebook makes the same
    world again and again (``crust.threshold`` reads the 256-column one for every world)."""
    z = _elevation(seed, rows, columns)
    z.flags.writeable = False
    return z


def protoplanet(grid: Grid, seed: int) -> dict[str, np.ndarray]:
    """The initial lithosphere fields: elevation, no plates, no uplift, no flow, random basin colours."""
    if grid.rows * grid.columns <= KEPT_CELLS:
        elevation = kept_elevation(int(seed), grid.rows, grid.columns).copy()
    else:
        elevation = _elevation(int(seed), grid.rows, grid.columns)
    return {
        "elevation": elevation,
        "plate": np.full(grid.shape, -1.0, dtype=np.float32),
        "uplift": np.zeros(grid.shape, dtype=np.float32),
        "drainage_area": np.zeros(grid.shape, dtype=np.float32),
        "basin": random_field(seed, STREAM_BASIN, 0, grid.rows, grid.columns),
    }
