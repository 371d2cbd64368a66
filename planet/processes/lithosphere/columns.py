"""North-south diffusion, implicitly: one tridiagonal solve per column.

Uplift diffusion (rule 1) and the spreading of thickened crust (rule 2) diffuse east-west
implicitly along each row (``metrics._diffuse_rows``, ``crust.spread_rows``) and then north-south
along each column, here: ``x = (I − L_y)^{-1} d`` with

    (L_y x)_j = n_j (x_{j−1} − x_j) + s_j (x_{j+1} − x_j),
    n_j = κ cos φ_{j−½} / (cos φ_j dy²),   s_j = κ cos φ_{j+½} / (cos φ_j dy²)

(``κ`` the diffusivity in ``L0²`` per lithosphere step, ``φ_{j∓½}`` the latitudes of row ``j``'s
north and south edges, ``dy`` the cell height in ``L0``), where a face couples two cells only if
both sides belong together (the same plate for uplift; both continental, ``C ≥ 1/2``, for crust),
else it carries no flux. The flux form on the sphere conserves the area-weighted sum:
``cos φ_j s_j = cos φ_{j+1} n_{j+1}``, so ``Σ_j cos φ_j x_j = Σ_j cos φ_j d_j`` in every column, and
the faces at the poles (``cos = 0``) carry nothing. Implicit, the solve is stable for any
diffusivity, cell height and step (an explicit step needs ``n_j + s_j ≤ 1``, which a step of
several film steps, or a fine grid, breaks); its matrix is diagonally dominant, so the Thomas
algorithm needs no pivoting and keeps ``x ≥ 0`` for ``d ≥ 0``.

The sweeps run down every column of a block of columns at once (one row of the block per
instruction), in float64, asking for the block's part of the rows ``AHEAD`` rows on before they reach
them; blocks are independent, so the result does not depend on the thread count.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.processes.lithosphere.prefetch import prefetch

f32 = np.float32
#: columns swept together, at most: their work arrays (2 BLOCK float64 per grid row, 1 MB at 1024 columns) stay
#: in the L2 cache, and each grid row is read in runs of BLOCK cells (32 gave 2.1 ms at 1024 columns, 128
#: 1.8 ms, 512 3.5 ms). Taller grids sweep fewer columns at a time, so that the work arrays stay near
#: ``WORK`` bytes: at 2048 columns 64 (the two solves 3.4–3.5 → 2.8–3.0 ms a film step at t = 30 s,
#: ``bench_lithosphere.py --split``, alternating runs)
BLOCK = 128
WORK = 1 << 20
#: rows ahead of the sweeps that each asks the processor for (``prefetch``): a block's rows lie a grid row
#: apart, on other pages, where the hardware's prefetcher does not follow, and from 2048 columns on they come
#: from memory (in the stage's step at 2048x1024, the two solves 8.9-9.2 / 9.5-10.1 -> 4.9-5.1 / 6.1-6.5 ms;
#: 1024x512 1.8 / 2.0 -> 1.3 / 1.6; 2 rows ahead helped less at 2048, 4 as much as 8)
AHEAD = 8


@njit(cache=True, nogil=True, inline="always")
def block_width(H):
    """Columns swept together on a grid of ``H`` rows: up to ``BLOCK``, fewer where the two float64 work
    arrays (16 bytes a row and column) would pass ``WORK`` bytes, at least 16."""
    return max(16, min(BLOCK, WORK // (16 * H)))


@njit(cache=True, nogil=True, inline="always")
def _coupled(key, j, j2, i, plates):
    """Whether the face between rows ``j`` and ``j2`` of column ``i`` carries flux: equal plate ids
    (``plates``) or both cells continental."""
    if plates:
        return key[j, i] == key[j2, i]
    return key[j, i] >= f32(0.5) and key[j2, i] >= f32(0.5)


@njit(cache=True, nogil=True, parallel=True)
def _solve_columns(a, key, plates, n, s, out):
    """The north-south solve (module docstring), column by column, blocks of up to ``BLOCK`` columns at a
    time (Thomas algorithm, float64). ``plates`` True: uplift ``out = (I − L_y)^{-1} a``, faces
    coupled between equal plate ids ``key``. False: crust, ``a`` the crust after the east-west
    spreading of ``key`` (the crust before), whose excess over 1 ``d = a − key + max(key − 1, 0)``
    spreads between continental cells of ``key``: ``out = a + x − d = min(key, 1) + x`` with
    ``x = (I − L_y)^{-1} d``. ``n``, ``s``: the per-row face coefficients (float64, ``H``)."""
    H, W = a.shape
    one = f32(1.0)
    zero = f32(0.0)
    width = block_width(H)
    af = a.ravel()
    kf = key.ravel()
    of = out.ravel()
    for b in prange((W + width - 1) // width):
        i0 = b * width
        m = min(width, W - i0)
        cp = np.empty((H, width))
        dp = np.empty((H, width))
        north = np.zeros(width)          # the coefficient of the face above, per column (0: none)
        for j in range(H):
            if j + AHEAD < H:                  # the block's part of a row further down, a cache line at a time
                for t in range(0, m, 16):
                    prefetch(af, (j + AHEAD) * W + i0 + t)
                    prefetch(kf, (j + AHEAD) * W + i0 + t)
            sj = s[j]
            last = j == H - 1
            for t in range(m):
                i = i0 + t
                an = north[t]
                c = 0.0
                if not last and _coupled(key, j, j + 1, i, plates):
                    c = sj
                if plates:
                    rhs = np.float64(a[j, i])
                else:
                    k = key[j, i]
                    rhs = np.float64(a[j, i] - k + max(k - one, zero))
                den = 1.0 + an + c
                if j > 0:
                    den += an * cp[j - 1, t]
                    rhs += an * dp[j - 1, t]
                cp[j, t] = -c / den
                dp[j, t] = rhs / den
                north[t] = n[j + 1] * (c > 0.0) if not last else 0.0
        for j in range(H - 1, -1, -1):
            if j >= AHEAD:                     # and of a row further up, which this sweep writes
                for t in range(0, m, 16):
                    prefetch(of, (j - AHEAD) * W + i0 + t)
                    if not plates:
                        prefetch(kf, (j - AHEAD) * W + i0 + t)
            for t in range(m):
                x = dp[j, t]
                if j < H - 1:
                    x -= cp[j, t] * dp[j + 1, t]
                    dp[j, t] = x
                i = i0 + t
                if plates:
                    out[j, i] = f32(x)
                else:
                    out[j, i] = min(key[j, i], one) + f32(x)


def diffuse_columns(y, plate, n, s, out=None):
    """Uplift ``y`` diffused north-south within plates (``plate``: ids; ``n``, ``s``: the
    coefficients ``Metrics.g_north``, ``g_south``); float32 ``(H, W)``."""
    y = np.ascontiguousarray(y, np.float32)
    out = np.empty(y.shape, np.float32) if out is None else out
    _solve_columns(y, np.ascontiguousarray(plate, np.float32), True, n, s, out)
    return out


def spread_columns(c0, ch, n, s, out=None):
    """The crust ``ch`` (after east-west spreading of ``c0``) with its excess over 1 spread
    north-south between continental cells of ``c0`` (``n``, ``s``: ``Metrics.c_north``,
    ``c_south``); volume kept."""
    out = np.empty(c0.shape, np.float32) if out is None else out
    _solve_columns(np.ascontiguousarray(ch, np.float32), np.ascontiguousarray(c0, np.float32), False, n, s, out)
    return out
