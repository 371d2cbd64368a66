"""The climate's wind from its pressure (spec §5): the flow down the pressure gradient plus its turn by
the Coriolis term, ``v = coriolis · sin φ · (−g_y, g_x) − g`` with ``g = ∇p`` by central
differences on the climate map (x east, y north = decreasing row; wrap in longitude, polar
reflection across the poles), its length then clamped to ``wind_max``. In climate cells per step:
the atmosphere moves vapour by ``v · W / 512`` full-resolution cells a step (``climate.physics``)."""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

f32 = np.float32
_PI = f32(math.pi)


@njit(cache=True, nogil=True)
def _wind(p, lat, coriolis, vmax):
    """``v = coriolis · sin φ · (−g_y, g_x) − g`` with ``g = ∇p`` by central differences (climate cells;
    x east, y north = decreasing row; wrap in longitude, polar reflection across the poles), its
    length then clamped to ``vmax``: ``(2, Hc, Wc)``."""
    out = np.empty((2,) + p.shape, dtype=np.float32)
    _wind_into(p, lat, coriolis, vmax, out)
    return out


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")  # x / 0 is inf, not selected
def _wind_into(p, lat, coriolis, vmax, out):
    """``_wind`` into ``out[0]`` (east) and ``out[1]`` (north); rows in parallel, in chunks of 8 (row buffers)."""
    H, W = p.shape
    for c in prange((H + 7) // 8):
        gx = np.empty(W, dtype=np.float32)
        gy = np.empty(W, dtype=np.float32)
        for j in range(8 * c, min(8 * c + 8, H)):
            _wind_row(p, lat, coriolis, vmax, out, j, gx, gy)


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _wind_row(p, lat, coriolis, vmax, out, j, gx, gy):
    """Row ``j`` of ``_wind_into`` (``gx``, ``gy``: row buffers)."""
    H, W = p.shape
    half = W // 2
    vmax2 = vmax * vmax
    f = coriolis * np.sin(lat[j] * _PI / f32(180.0))
    jn = j - 1 if j > 0 else 0
    js = j + 1 if j < H - 1 else H - 1
    # the gradient along the row (interior columns, then the two wrapped ones), then across it
    for i in range(1, W - 1):
        gx[i] = (p[j, i + 1] - p[j, i - 1]) * f32(0.5)
    gx[0] = (p[j, 1 if W > 1 else 0] - p[j, W - 1]) * f32(0.5)
    gx[W - 1] = (p[j, 0] - p[j, W - 2 if W > 1 else 0]) * f32(0.5)
    if j == 0 or j == H - 1:          # polar reflection: the row beyond is this one half a turn away
        for i in range(W):
            io = i + half if i + half < W else i + half - W
            n = p[jn, i] if j > 0 else p[0, io]
            s = p[js, i] if j < H - 1 else p[H - 1, io]
            gy[i] = (n - s) * f32(0.5)
    else:
        for i in range(W):
            gy[i] = (p[jn, i] - p[js, i]) * f32(0.5)
    for i in range(W):                # branch-free (selects), so that it vectorises
        u = -f * gy[i] - gx[i]
        v = f * gx[i] - gy[i]
        s2 = u * u + v * v
        k = vmax / np.sqrt(s2)
        out[0, j, i] = u * k if s2 > vmax2 else u
        out[1, j, i] = v * k if s2 > vmax2 else v


def wind(pressure: np.ndarray, lat: np.ndarray, coriolis: float = 15.0,
         wind_max: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Wind ``(u east, v north)`` in map cells per step from a pressure map and its row latitudes,
    its length clamped to ``wind_max``."""
    pressure = np.ascontiguousarray(pressure, dtype=np.float32)
    lat = np.ascontiguousarray(lat, dtype=np.float32)
    if pressure.ndim != 2 or lat.shape != (pressure.shape[0],):
        raise ValueError(f"pressure must be (rows, columns) and lat (rows,), got {pressure.shape} and {lat.shape}")
    out = _wind(pressure, lat, f32(coriolis), f32(wind_max))
    return out[0], out[1]
