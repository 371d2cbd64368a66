"""Gaussian blur on the climate map with σ in **degrees**, so the climate does not depend on ``W``.

Separable: in longitude a wrapped convolution with normalised taps; in latitude a kernel that
also keeps the area-weighted mean (rows are weighted by their area on the sphere; see ``blur``).
The half-width is ``ceil(10σ/3)`` cells: ±20 cells at σ = 6 cells, as in the reference.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit, prange

f32 = np.float32

#: blur half-width in units of σ: ±20 cells at σ = 6 cells, as in the reference
BLUR_RADIUS_SIGMAS = 10.0 / 3.0


def gaussian_taps(sigma_cells: float) -> np.ndarray:
    """Normalised Gaussian taps ``g[-r..r]``, ``r = ceil(10σ/3)`` (±20 cells at σ = 6)."""
    if sigma_cells <= 0:
        return np.ones(1, dtype=np.float64)
    r = max(1, int(math.ceil(BLUR_RADIUS_SIGMAS * sigma_cells)))
    x = np.arange(-r, r + 1, dtype=np.float64)
    with np.errstate(over="ignore"):      # σ far below a cell: every tap but the centre is exactly 0
        g = np.exp(-0.5 * (x / sigma_cells) ** 2)
    return g / g.sum()


def latitude_blur_matrix(sigma_cells: float, row_area: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-mixing matrices ``(K, R)``, each ``(Hc, Hc)``, of the latitude pass.

    The latitude pass is ``out[j, i] = Σ_k K[j, k] f[k, i] + Σ_k R[j, k] f[k, i + W/2]``:
    ``K`` mixes rows along the meridian, ``R`` the rows reached over a pole
    (polar reflection: the row beyond row 0 is row 0 at the opposite
    longitude, then row 1, …). With ``g`` the Gaussian taps, the plain
    kernel is ``G[j, k] = g(k − j)`` and ``Gp[j, k] = g(j + k + 1) +
    g(2H − 1 − j − k)`` over the poles; both are symmetric. A symmetric
    Sinkhorn scaling finds ``x > 0`` with ``x_j Σ_k (G + Gp)[j, k] x_k = a_j``
    (``a`` the cell area of each row), and

        K = diag(x/a) G diag(x),    R = diag(x/a) Gp diag(x).

    Then each row sums to 1 (a constant stays constant) and
    ``Σ_j a_j (K + R)[j, k] = a_k`` (the area-weighted mean is kept
    exactly); since ``x_j ≈ √a_j`` away from the poles, ``K ≈ g · √(a_k/a_j)``:
    the width of the Gaussian is kept and no part of the field is left
    unblurred.
    """
    n = len(row_area)
    a = np.asarray(row_area, dtype=np.float64)
    a = a / a.mean()
    g = gaussian_taps(sigma_cells)
    r = len(g) // 2
    j = np.arange(n)[:, None]
    k = np.arange(n)[None, :]

    def taps(offset):
        inside = np.abs(offset) <= r
        return np.where(inside, g[np.clip(offset + r, 0, 2 * r)], 0.0)

    G = taps(k - j)
    Gp = taps(j + k + 1) + taps(2 * n - 1 - j - k)
    full = G + Gp
    x = np.sqrt(a)
    for _ in range(100_000):
        x = np.sqrt(x * a / (full @ x))
        if np.max(np.abs(x * (full @ x) / a - 1.0)) < 1e-13:
            break
    K = (x / a)[:, None] * G * x[None, :]
    R = (x / a)[:, None] * Gp * x[None, :]
    return K, R


@njit(cache=True, nogil=True, inline="always")
def _lon_row(field, j, lon_taps, ext, trow):
    """Row ``j`` of the longitude pass (a wrapped convolution) into ``trow``; ``ext``: a ``W + 2r`` row buffer."""
    H, W = field.shape
    r = lon_taps.shape[0] // 2
    start = (W * (r // W + 1) - r) % W              # the column of ext[0]
    if r <= W:                                      # copies in order (they vectorise)
        row = field[j]
        for i in range(r):
            ext[i] = row[W - r + i]
        for i in range(W):
            ext[r + i] = row[i]
        for i in range(r):
            ext[r + W + i] = row[i]
    else:                                           # a kernel wider than the map wraps more than once
        c = start
        for i in range(W + 2 * r):                  # (no integer division per cell: it cost more than the taps)
            ext[i] = field[j, c]
            c += 1
            if c == W:
                c = 0
    for i in range(W):
        trow[i] = f32(0.0)
    # four taps per pass over the row: each sum still adds its terms one by one, in tap order
    # (((s + a) + b) + c) + d, as four passes would, with a quarter of the loads and stores of ``s``
    nt = 2 * r + 1
    k = 0
    while k + 4 <= nt:
        w0 = lon_taps[k]
        w1 = lon_taps[k + 1]
        w2 = lon_taps[k + 2]
        w3 = lon_taps[k + 3]
        for i in range(W):
            trow[i] = (((trow[i] + w0 * ext[i + k]) + w1 * ext[i + k + 1]) + w2 * ext[i + k + 2]) + w3 * ext[i + k + 3]
        k += 4
    while k < nt:
        w = lon_taps[k]
        for i in range(W):
            trow[i] += w * ext[i + k]
        k += 1


@njit(cache=True, nogil=True, inline="always")
def _lat_row(tmp, j, lat_matrix, lat_lo, lat_hi, pole_matrix, pole_lo, pole_hi, orow):
    """Row ``j`` of the latitude pass (banded row mixing + the rows over the pole) of ``tmp`` into ``orow``."""
    W = tmp.shape[1]
    half = W // 2
    for i in range(W):
        orow[i] = f32(0.0)
    k = lat_lo[j]
    while k + 4 <= lat_hi[j]:                       # four rows per pass, added in order (as above)
        w0 = lat_matrix[j, k]
        w1 = lat_matrix[j, k + 1]
        w2 = lat_matrix[j, k + 2]
        w3 = lat_matrix[j, k + 3]
        for i in range(W):
            orow[i] = (((orow[i] + w0 * tmp[k, i]) + w1 * tmp[k + 1, i]) + w2 * tmp[k + 2, i]) + w3 * tmp[k + 3, i]
        k += 4
    while k < lat_hi[j]:
        w = lat_matrix[j, k]
        for i in range(W):
            orow[i] += w * tmp[k, i]
        k += 1
    for k in range(pole_lo[j], pole_hi[j]):
        w = pole_matrix[j, k]
        for i in range(W - half):
            orow[i] += w * tmp[k, i + half]
        for i in range(W - half, W):
            orow[i] += w * tmp[k, i + half - W]


@njit(cache=True, nogil=True)
def _blur(field, lon_taps, lat_matrix, lat_lo, lat_hi, pole_matrix, pole_lo, pole_hi):
    """Longitude pass (wrapped convolution) then latitude pass (banded row mixing + polar rows)."""
    return _blur_pair(field, lon_taps, lat_matrix, lat_lo, lat_hi, pole_matrix, pole_lo, pole_hi)[1]


@njit(cache=True, nogil=True, parallel=True)
def _blur_pair(field, lon_taps, lat_matrix, lat_lo, lat_hi, pole_matrix, pole_lo, pole_hi):
    """``_blur``'s longitude pass and its result."""
    H, W = field.shape
    r = lon_taps.shape[0] // 2
    tmp = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        ext = np.empty(W + 2 * r, dtype=np.float32)   # the row with r wrapped cells either side
        _lon_row(field, j, lon_taps, ext, tmp[j])
    out = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        _lat_row(tmp, j, lat_matrix, lat_lo, lat_hi, pole_matrix, pole_lo, pole_hi, out[j])
    return tmp, out


@njit(cache=True, nogil=True, parallel=True)
def _blur_update(field, before, tmp, blurred, lon_taps, lat_matrix, lat_lo, lat_hi, pole_matrix, pole_lo, pole_hi):
    """The blur of ``field`` from that of ``before`` (its longitude pass ``tmp``, updated in place, and its
    result ``blurred``): the longitude pass of the rows whose bits changed, the latitude pass of the rows that
    read any of them; every other row is the one before. The same arithmetic per row, so ``_blur``'s result."""
    H, W = field.shape
    r = lon_taps.shape[0] // 2
    fb = field.view(np.uint32)
    bb = before.view(np.uint32)
    changed = np.zeros(H, dtype=np.bool_)
    for j in range(H):
        d = np.uint32(0)
        for i in range(W):                          # an OR over the row's differing bits (vectorises)
            d |= fb[j, i] ^ bb[j, i]
        changed[j] = d != 0
    for j in prange(H):
        if changed[j]:
            ext = np.empty(W + 2 * r, dtype=np.float32)
            _lon_row(field, j, lon_taps, ext, tmp[j])
    out = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        reads = False
        for k in range(lat_lo[j], lat_hi[j]):
            reads |= changed[k]
        for k in range(pole_lo[j], pole_hi[j]):
            reads |= changed[k]
        if reads:
            _lat_row(tmp, j, lat_matrix, lat_lo, lat_hi, pole_matrix, pole_lo, pole_hi, out[j])
        else:
            for i in range(W):
                out[j, i] = blurred[j, i]
    return out


def _band(M):
    n = M.shape[0]
    nz = M != 0.0
    any_ = nz.any(axis=1)
    lo = np.where(any_, np.argmax(nz, axis=1), 0).astype(np.int64)
    hi = np.where(any_, n - np.argmax(nz[:, ::-1], axis=1), 0).astype(np.int64)
    return lo, hi


@lru_cache(maxsize=64)
def _blur_operators(sigma_deg: float, cell_deg: float, row_area: tuple):
    sigma_cells = sigma_deg / cell_deg
    lon = gaussian_taps(sigma_cells)
    K, R = latitude_blur_matrix(sigma_cells, np.asarray(row_area))
    lo, hi = _band(K)
    plo, phi = _band(R)
    return lon.astype(np.float32), K.astype(np.float32), lo, hi, R.astype(np.float32), plo, phi


def blur(field: np.ndarray, sigma_deg: float, cell_deg: float, row_area: np.ndarray) -> np.ndarray:
    """Separable normalised Gaussian blur of a map with σ in degrees.

    ``field`` is ``(rows, columns)`` on an equiangular map whose cells are
    ``cell_deg`` degrees wide; ``row_area`` the area of one cell in each row.
    Longitude: ``Σ_k g_k f[j, i+k]`` wrapped (a kernel wider than the map
    wraps around more than once). Latitude: the area-true mixing of
    ``latitude_blur_matrix``, with polar reflection. Keeps a constant field constant and the
    area-weighted mean exactly (up to float32 rounding).
    """
    field = np.ascontiguousarray(field, dtype=np.float32)
    return _blur(field, *_operators(field, sigma_deg, cell_deg, row_area))


def _operators(field, sigma_deg, cell_deg, row_area):
    """``_blur_operators`` for a float32 ``field`` (checked) and σ, cell size and row areas (checked)."""
    if field.ndim != 2:
        raise ValueError(f"field must be a 2-D array, got shape {field.shape}")
    if not (sigma_deg >= 0 and math.isfinite(sigma_deg)):
        raise ValueError(f"sigma_deg must be a finite number >= 0, got {sigma_deg!r}")
    if not cell_deg > 0:
        raise ValueError(f"cell_deg must be > 0, got {cell_deg!r}")
    row_area = np.asarray(row_area, dtype=np.float64)
    key = (float(sigma_deg), float(cell_deg), row_area.shape, row_area.tobytes())
    ops = _OPERATORS.get(key)        # (every step calls this several times: the look-up by the areas' bytes is cheap)
    if ops is None:
        if row_area.shape != (field.shape[0],) or np.any(row_area <= 0):
            raise ValueError(f"row_area must hold {field.shape[0]} positive areas, got shape {row_area.shape}")
        ops = _blur_operators(float(sigma_deg), float(cell_deg), tuple(row_area.tolist()))
        while len(_OPERATORS) >= 64:
            _OPERATORS.pop(next(iter(_OPERATORS)))
        _OPERATORS[key] = ops
    elif row_area.shape != (field.shape[0],):
        raise ValueError(f"row_area must hold {field.shape[0]} positive areas, got shape {row_area.shape}")
    return ops


#: ``_blur_operators`` by (σ, cell size, the row areas' shape and bytes)
_OPERATORS: dict = {}


class BlurMemo:
    """``blur`` of a field that changes in a few rows at a time: the last field, its longitude pass and its
    blur are kept, and the next field's blur redoes only the rows that read a changed row (``_blur_update``),
    bit for bit ``blur``'s result. (On the climate map the land's annual-mean pressure and amplitude change
    in a few rows of the map as the sea level moves between two lithosphere steps; the wind's divergence does
    not change while the season stands still.) The blurs it returns must not be written into."""

    def __init__(self):
        self._last = None

    def __call__(self, field, sigma_deg, cell_deg, row_area):
        field = np.ascontiguousarray(field, dtype=np.float32)
        ops = _operators(field, sigma_deg, cell_deg, row_area)
        last = self._last
        if last is None or last[0] is not ops or last[1].shape != field.shape:
            tmp, out = _blur_pair(field, *ops)
        else:
            tmp = last[2]
            self._last = None          # tmp is updated in place: forgotten until the update is complete
            out = _blur_update(field, last[1], tmp, last[3], *ops)
        self._last = (ops, field.copy(), tmp, out)     # (the blur returned is read again: not to be written)
        return out
