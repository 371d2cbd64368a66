"""Regional (flexural) isostasy, ``planet.processes.lithosphere.flexure``: one box pass against the
box mean summed by definition, the kernel's spread against its stated standard deviation in
physical distance (the same east-west and north-south, on the equator and at high latitude, at
every resolution), and Airy below half a cell."""
from __future__ import annotations

import numpy as np
import pytest

from planet.core.config import Config
from planet.processes.lithosphere import flexure
from planet.processes.lithosphere.metrics import Metrics

f32 = np.float32


def _overlap(k, r):
    """Length of cell ``k`` (``[k − ½, k + ½]``) inside ``[−r, r]``; under half a cell, the cell alone."""
    if r < 0.5:
        return 1.0 if k == 0 else 0.0
    return max(0.0, min(r, k + 0.5) - max(-r, k - 0.5))


def test_one_east_west_pass_is_the_box_mean():
    H, W = 6, 32
    rng = np.random.default_rng(3)
    src = rng.uniform(-5, 5, (H, W)).astype(np.float32)
    cols = np.array([0.3, 0.5, 0.9, 2.25, 7.0, 15.5])
    out = np.empty((H, W), np.float32)
    flexure._box_rows(src, cols, 1, out)
    for j in range(H):
        w = np.array([_overlap(di, cols[j]) for di in range(-W // 2, W - W // 2)])
        for i in range(W):
            vals = src[j, [(i + di) % W for di in range(-W // 2, W - W // 2)]]
            assert out[j, i] == pytest.approx((w * vals).sum() / w.sum(), rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("rows", [0.2, 0.7, 2.3, 5.0])
@pytest.mark.parametrize("H", [16, 80])          # one block of running sums, and three (COLUMN_BLOCK = 32)
def test_one_north_south_pass_is_the_box_mean_clipped_at_the_poles(rows, H):
    W = 4
    rng = np.random.default_rng(5)
    src = rng.uniform(-5, 5, (H, W)).astype(np.float32)
    out = np.empty((H, W), np.float32)
    flexure._box_columns(src, rows, out)
    for j in range(H):
        w = np.array([_overlap(jj - j, rows) for jj in range(H)])      # rows beyond a pole: absent
        np.testing.assert_allclose(out[j], (w[:, None] * src).sum(axis=0) / w.sum(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("columns", [512, 1024])
@pytest.mark.parametrize("lat_share", [0.5, 0.2])       # the equator, and 54° N
def test_the_kernel_spreads_a_point_load_by_sigma_both_ways(columns, lat_share):
    """A unit deficit in one cell spreads into a kernel whose standard deviation, measured in L0
    along the row (``dx_j`` per column) and along the column (``dy`` per row), is the stated σ
    (to the discretisation's few per cent): isotropic on the sphere, not on the grid."""
    sigma = 2.0
    H, W = columns // 2, columns
    metrics = Metrics(H, W, Config().lithosphere)
    j0 = int(H * lat_share)
    d = np.zeros((H, W), np.float32)
    d[j0, W // 2] = 1.0
    g = flexure.smooth(d, sigma, metrics).astype(np.float64)
    assert g.sum() == pytest.approx(1.0, rel=1e-4)
    x = (np.arange(W) - W // 2)[None, :] * metrics.dx[:, None]
    y = ((np.arange(H) - j0) * metrics.dy)[:, None]
    sx = np.sqrt((g * x ** 2).sum() / g.sum())
    sy = np.sqrt((g * y ** 2).sum() / g.sum())
    assert sx == pytest.approx(sigma, rel=0.08) and sy == pytest.approx(sigma, rel=0.08)
    assert sx == pytest.approx(sy, rel=0.08)


def test_a_kernel_under_a_cell_spans_one_cell_each_side():
    """On 128 columns (cells 4 L0 wide) σ = 1.9 L0 is under a cell: the boxes take one cell each side
    (``MIN_HALF_WIDTH``), weights 1/2, 1, 1/2 over 2, not the cell itself (Airy). A point load on the
    equator then spreads with variance 3 × 1/2 cell² along the row (three passes of a box of variance
    1/2 cell²) and along the column, and the deficit's sum over the sphere is kept."""
    H, W = 64, 128
    cfg = Config().replace(lithosphere={"flexure_radius": 1.9}).lithosphere
    metrics = Metrics(H, W, cfg)
    rows, cols = flexure.half_widths(1.9, metrics, W)
    assert rows == 1.0 and cols.min() == 1.0
    j0 = H // 2
    d = np.zeros((H, W), np.float32)
    d[j0, W // 2] = 1.0
    g = flexure.smooth(d, 1.9, metrics).astype(np.float64)
    assert g.sum() == pytest.approx(1.0, rel=1e-4)
    i = np.arange(W) - W // 2
    assert (g.sum(axis=0) * i ** 2).sum() / g.sum() == pytest.approx(1.5, rel=1e-4)
    jj = np.arange(H) - j0
    assert (g.sum(axis=1) * jj ** 2).sum() / g.sum() == pytest.approx(1.5, rel=1e-4)
    # a random field: not the cell itself anywhere
    rng = np.random.default_rng(4)
    z0 = rng.uniform(0, 12, (H, W)).astype(np.float32)
    c0 = rng.uniform(0, 2, (H, W)).astype(np.float32)
    z_eq = (cfg.ocean_floor_level + (cfg.continent_level - cfg.ocean_floor_level) * np.minimum(c0, 1)
            + cfg.thickened_relief * np.maximum(c0 - 1, 0))
    got = flexure.regional_deficit(z0, c0, cfg, metrics)
    assert np.abs(got - (z_eq - z0)).mean(axis=1).min() > 1e-2          # every row, the equator included
