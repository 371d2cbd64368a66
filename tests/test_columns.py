"""North-south diffusion of uplift and crust (``lithosphere.columns``): the implicit column solve
against a dense solve, conservation on the sphere, and the physical spread of a diffusing bump."""
import numpy as np
import pytest

import planet
from planet.processes.lithosphere import columns
from planet.processes.lithosphere.metrics import Metrics


def _dense(d, couple, n, s):
    """``(I − L_y)^{-1} d`` for one column, from the matrix written out."""
    H = d.size
    L = np.zeros((H, H))
    for j in range(H - 1):
        if couple[j]:                      # the face between rows j and j + 1
            L[j, j] -= s[j]
            L[j, j + 1] += s[j]
            L[j + 1, j + 1] -= n[j + 1]
            L[j + 1, j] += n[j + 1]
    return np.linalg.solve(np.eye(H) - L, d.astype(np.float64))


@pytest.mark.parametrize("W", [8, 70, 130])
def test_column_solve_is_the_dense_solve_with_no_flux_between_plates(W):
    H = 16
    rng = np.random.default_rng(W)
    y = rng.random((H, W)).astype(np.float32)
    q = np.where(rng.random((H, W)) < 0.2, 0.5, 0.25).astype(np.float32)
    m = Metrics(H, W, planet.Config().replace(lithosphere={"uplift_diffusion": 3.0}).lithosphere)
    out = columns.diffuse_columns(y, q, m.g_north, m.g_south)
    cos = np.cos(np.radians(90 - 180 * (np.arange(H) + 0.5) / H))
    for i in range(W):
        want = _dense(y[:, i], q[:-1, i] == q[1:, i], m.g_north, m.g_south)
        np.testing.assert_allclose(out[:, i], want, rtol=1e-5, atol=1e-6)
        # conservative in flux form on the sphere: each run of one plate keeps its area-weighted sum
        edges = np.flatnonzero(q[:-1, i] != q[1:, i]) + 1
        for a, b in zip(np.r_[0, edges], np.r_[edges, H]):
            assert (cos[a:b] * out[a:b, i]).sum() == pytest.approx((cos[a:b] * y[a:b, i]).sum(), rel=1e-5)
    assert (out >= 0).all()


def test_tall_grids_sweep_narrower_blocks_and_solve_the_same_system():
    """From 1024 rows the solve sweeps fewer than ``BLOCK`` columns at a time (its work arrays stay near
    ``WORK`` bytes); the columns at the edges of those blocks still get the dense solve."""
    H, W = 1024, 70
    width = columns.block_width(H)
    assert width < columns.BLOCK and W > width            # two blocks, the second partial
    rng = np.random.default_rng(5)
    y = rng.random((H, W)).astype(np.float32)
    q = np.where(rng.random((H, W)) < 0.1, 0.5, 0.25).astype(np.float32)
    m = Metrics(H, W, planet.Config().replace(lithosphere={"uplift_diffusion": 3.0}).lithosphere)
    out = columns.diffuse_columns(y, q, m.g_north, m.g_south)
    for i in (0, width - 1, width, W - 1):
        want = _dense(y[:, i], q[:-1, i] == q[1:, i], m.g_north, m.g_south)
        np.testing.assert_allclose(out[:, i], want, rtol=1e-5, atol=1e-6)


def test_the_faces_at_the_poles_carry_nothing():
    m = Metrics(32, 64, planet.Config().lithosphere)
    assert m.g_north[0] == 0 and m.g_south[-1] == 0 and m.c_north[0] == 0 and m.c_south[-1] == 0
    # flux form: cos φ_j s_j = cos φ_{j+1} n_{j+1}
    cos = np.cos(np.radians(90 - 180 * (np.arange(32) + 0.5) / 32))
    np.testing.assert_allclose(cos[:-1] * m.g_south[:-1], cos[1:] * m.g_north[1:], rtol=1e-12)


@pytest.mark.parametrize("W", [512, 1024])
def test_a_bump_spreads_by_the_diffusivity_at_any_resolution(W):
    """A narrow bump of uplift on the equator, diffused north-south for one step of diffusivity κ
    (L0² per step), gains exactly ``2 κ`` of variance in L0² (backward Euler on a uniform line adds
    ``2 g dy²`` per step), whatever the cell height: 512 and 1024 columns spread it alike."""
    H = W // 2
    kappa = 0.7
    m = Metrics(H, W, planet.Config().replace(lithosphere={"uplift_diffusion": kappa}).lithosphere)
    y = np.zeros((H, 4), np.float32)
    y[H // 2 - 1:H // 2 + 1] = 1.0                 # the two rows either side of the equator
    out = columns.diffuse_columns(y, np.zeros_like(y), m.g_north, m.g_south)
    lat_l0 = (np.arange(H) + 0.5) * m.dy          # north-south position in L0
    w = np.cos(np.radians(90 - 180 * (np.arange(H) + 0.5) / H))

    def variance(col):
        mass = (w * col).sum()
        mean = (w * col * lat_l0).sum() / mass
        return (w * col * (lat_l0 - mean) ** 2).sum() / mass

    assert variance(out[:, 0].astype(np.float64)) - variance(y[:, 0].astype(np.float64)) == pytest.approx(
        2 * kappa, rel=0.01)


def test_thickened_crust_spreads_north_south_within_its_continent_and_keeps_its_volume():
    H, W = 64, 32
    m = Metrics(H, W, planet.Config().lithosphere)
    c0 = np.zeros((H, W), np.float32)
    c0[20:44] = 1.0
    c0[30:33] = 3.0                                # a thick belt across the continent
    ch = c0.copy()                                 # no east-west spreading before (uniform rows)
    out = columns.spread_columns(c0, ch, m.c_north, m.c_south)
    cos = np.cos(np.radians(90 - 180 * (np.arange(H) + 0.5) / H))[:, None]
    np.testing.assert_allclose((cos * out).sum(axis=0), (cos * c0).sum(axis=0), rtol=1e-5)
    assert (out[31] < 3.0).all() and (out[29] > 1.0).all() and (out[33] > 1.0).all()
    assert (out[:20] == 0).all() and (out[44:] == 0).all()          # never onto the ocean floor
    normal = np.where(c0 > 0, 1.0, 0.0).astype(np.float32)
    assert np.array_equal(columns.spread_columns(normal, normal.copy(), m.c_north, m.c_south), normal)


def test_the_column_solve_does_not_depend_on_the_thread_count():
    import numba
    rng = np.random.default_rng(3)
    H, W = 64, 300
    y = rng.random((H, W)).astype(np.float32)
    q = (rng.random((H, W)) < 0.5).astype(np.float32)
    m = Metrics(H, W, planet.Config().lithosphere)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = columns.diffuse_columns(y, q, m.g_north, m.g_south)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = columns.diffuse_columns(y, q, m.g_north, m.g_south)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one, two)
