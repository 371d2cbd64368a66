"""Where the plates are: every cell belongs to the plate whose seed point is nearest in angular
distance, weighted per plate and warped by noise at continuous positions, so the same plates
appear at any resolution."""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from planet.core.noise import fbm
from planet.processes.lithosphere.euler import WARP_FREQUENCY, PlateTable, f32


@njit(cache=True, nogil=True, parallel=True)
def _assign(coslat, sinlat, coslon, sinlon, centres, weights, ids, offsets, warp, out):
    """Every cell's plate id: the weighted spherical Voronoi cell of its noise-warped position."""
    H = coslat.size
    W = coslon.size
    fq = f32(WARP_FREQUENCY)
    for j in prange(H):
        for i in range(W):
            x = sinlon[i] * coslat[j]
            y = sinlat[j]
            z = coslon[i] * coslat[j]
            px, py, pz = f32(fq * x), f32(fq * y), f32(fq * z)
            wx = 2.0 * fbm(px + offsets[0, 0], py + offsets[0, 1], pz + offsets[0, 2]) - 1.0
            wy = 2.0 * fbm(px + offsets[1, 0], py + offsets[1, 1], pz + offsets[1, 2]) - 1.0
            wz = 2.0 * fbm(px + offsets[2, 0], py + offsets[2, 1], pz + offsets[2, 2]) - 1.0
            x += warp * wx
            y += warp * wy
            z += warp * wz
            r = math.sqrt(x * x + y * y + z * z)
            best = 1e30
            kb = 0
            for k in range(ids.size):
                d = (x * centres[k, 0] + y * centres[k, 1] + z * centres[k, 2]) / r
                a = weights[k] * math.acos(min(max(d, -1.0), 1.0))
                if a < best:
                    best = a
                    kb = k
            out[j, i] = ids[kb]


def trig_tables(H: int, W: int):
    """cos/sin of the cell-centre latitudes (rows) and longitudes (columns), float64."""
    lat = np.radians(90.0 - 180.0 * (np.arange(H) + 0.5) / H)
    lon = np.radians(360.0 * (np.arange(W) + 0.5) / W)
    return np.cos(lat), np.sin(lat), np.cos(lon), np.sin(lon)


def assign(table: PlateTable, H: int, W: int) -> np.ndarray:
    """float32 ``(H, W)`` plate ids of the epoch's seeding (see the module docstring)."""
    out = np.empty((H, W), np.float32)
    _assign(*trig_tables(H, W), table.centres, table.weights, table.ids, table.offsets, table.warp, out)
    return out
