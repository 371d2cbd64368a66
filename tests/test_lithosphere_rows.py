"""The banded east-west solves (``metrics._diffuse_rows``, ``_spread_rows``: ``BAND`` rows at once) give
the bits of ``metrics._solve_row`` row by row, the solve they were before."""
import numpy as np
import pytest
from numba import njit

from planet.processes.lithosphere import metrics as M

f32 = np.float32


@njit(cache=True)
def _diffuse_rows_ref(y0, q0, g_east, out):
    H, W = y0.shape
    for j in range(H):
        g = g_east[j]
        ge = np.empty(W)
        for i in range(W):
            ii = i + 1 if i < W - 1 else 0
            ge[i] = g if q0[j, i] == q0[j, ii] else 0.0
        M._solve_row(j, ge, y0, out)


@njit(cache=True)
def _spread_rows_ref(crust, g_east, e, out):
    H, W = e.shape
    half, one, zero = f32(0.5), f32(1.0), f32(0.0)
    for j in range(H):
        for i in range(W):
            x = crust[j, i] - one
            e[j, i] = zero if x < zero else x
        if M._zero_row(e, j):
            for i in range(W):
                out[j, i] = zero + (crust[j, i] - e[j, i])
            continue
        g = g_east[j]
        ge = np.empty(W)
        for i in range(W):
            ii = i + 1 if i < W - 1 else 0
            ge[i] = g if (crust[j, i] >= half and crust[j, ii] >= half) else 0.0
        M._solve_row(j, ge, e, out)
        for i in range(W):
            out[j, i] += crust[j, i] - e[j, i]


@pytest.mark.parametrize("H", [2, 3, 17, 32, 64, 100])
def test_bands_match_the_row_solve(H):
    W = 2 * H
    rng = np.random.default_rng(H)
    y0 = rng.random((H, W), dtype=np.float32)
    q0 = np.floor(rng.random((H, W)) * 1.2).astype(np.float32) / 4      # runs of equal plates and boundaries
    g = rng.random(H) * 50.0
    a, b = np.empty_like(y0), np.empty_like(y0)
    _diffuse_rows_ref(y0, q0, g, a)
    M._diffuse_rows(y0, q0, g, b)
    assert a.tobytes() == b.tobytes()
    crust = (rng.random((H, W)) * 2.5).astype(np.float32)
    crust[rng.random(H) < 0.4] = 0.7            # rows with nothing to spread
    e1, e2 = np.empty_like(crust), np.empty_like(crust)
    _spread_rows_ref(crust, g, e1, a)
    M._spread_rows(crust, g, e2, b)
    assert a.tobytes() == b.tobytes()
    assert e1.tobytes() == e2.tobytes()


@pytest.mark.parametrize("H", [8, 64, 128])
def test_box_bands_match_the_row_passes(H):
    """``flexure._box_rows`` (rows of one whole-cell half-width ``K`` in bands) gives the bits of
    ``flexure._box_row`` row by row."""
    from planet.core.config import Config
    from planet.processes.lithosphere import flexure
    W = 2 * H
    rng = np.random.default_rng(H)
    src = rng.uniform(-5, 5, (H, W)).astype(np.float32)
    _, cols = flexure.half_widths(2.0, M.Metrics(H, W, Config().lithosphere), W)
    cols = cols * (W / 512.0) * 3          # wider boxes than at 512 columns, up to half the row
    cols = np.minimum(cols, (W - 1) / 2.0)
    a, b = np.empty_like(src), np.empty_like(src)
    for j in range(H):
        flexure._box_row(src, cols, 3, a, j)
    flexure._box_rows(src, cols, 3, b)
    assert a.tobytes() == b.tobytes()
    bands, counts, solo = flexure._bands(cols)
    assert (counts[~solo] > 1).any()
    assert sorted(r for band, n in zip(bands, counts) for r in band[:n]) == list(range(H))
