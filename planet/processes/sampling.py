"""Sampling fields at off-grid points for the semi-Lagrangian kernels: reflection across the poles,
bilinear interpolation (wrap in longitude), and the wind clamped to the largest advecting speed."""
from __future__ import annotations

import numpy as np
from numba import njit

f32 = np.float32


@njit(cache=True, nogil=True, inline="always")
def _reflect(r, c, H, W):
    """Row/column of a possibly out-of-range row ``r`` under polar reflection (any distance)."""
    if r < 0:
        r = -1 - r
        c += W // 2
    elif r >= H:
        r = 2 * H - 1 - r
        c += W // 2
    return r, c % W


@njit(cache=True, nogil=True, inline="always")
def _bilinear(field, y, x, H, W):
    """Bilinear sample at fractional row ``y``, column ``x`` (cell centres at integers)."""
    y0 = np.floor(y)
    x0 = np.floor(x)
    fy = y - y0
    fx = x - x0
    j0 = np.int64(y0)
    i0 = np.int64(x0)
    ra, ca = _reflect(j0, i0, H, W)
    rb, cb = _reflect(j0 + 1, i0, H, W)
    ca1 = (ca + 1) % W
    cb1 = (cb + 1) % W
    one = f32(1.0)
    top = field[ra, ca] * (one - fx) + field[ra, ca1] * fx
    bot = field[rb, cb] * (one - fx) + field[rb, cb1] * fx
    return top * (one - fy) + bot * fy


@njit(cache=True, nogil=True, inline="always")
def _interior_weights(y, x, W):
    """``(r0, c0, c1, w00, w01, w10, w11)`` of ``_bilinear`` away from the poles (``y > 0``,
    ``x + W > 0``, row ``r0 + 1`` inside the grid): floor by truncation, the columns wrapped
    without a modulo. ``_interior_sample`` applies them to a field. Truncated to 32-bit integers
    (grids have far fewer than 2**31 cells, ``grid.MAX_COLUMNS``): with ``W`` an ``int32`` a row of
    them vectorises (AVX2 converts float32 to int32 in vector registers, not to int64)."""
    one = f32(1.0)
    r0 = np.int32(y)               # y > 0 and x + W > 0, so truncation is floor (and cheaper than libm)
    fy = y - f32(r0)
    xs = x + f32(W)
    c0 = np.int32(xs)
    fx = xs - f32(c0)
    c0 -= W
    if c0 < 0:
        c0 += W
    elif c0 >= W:
        c0 -= W
    c1 = c0 + np.int32(1)
    if c1 == W:
        c1 -= W
    return r0, c0, c1, (one - fy) * (one - fx), (one - fy) * fx, fy * (one - fx), fy * fx


@njit(cache=True, nogil=True, inline="always")
def _interior_sample(a, r0, c0, c1, w00, w01, w10, w11):
    return a[r0, c0] * w00 + a[r0, c1] * w01 + a[r0 + 1, c0] * w10 + a[r0 + 1, c1] * w11


@njit(cache=True, nogil=True, inline="always")
def _clamp_wind(u, v, vmax):
    s = np.sqrt(u * u + v * v)
    if s > vmax:
        k = vmax / s
        return u * k, v * k
    return u, v
