"""planet.processes.inland: Earth's atmosphere settings (eddy mixing, smoothed lift, thermal lows dry,
subsidence) checked against independent evidence; off by default, so generated worlds are unchanged."""
from __future__ import annotations

import math

import numpy as np
import pytest

from planet.core.config import Config
from planet.core.grid import Grid
from planet.processes import inland


def test_eddy_sigma_is_the_diffusion_length_of_one_step():
    # K = 1e6 m²/s for 6.09 h: sqrt(2 K dt) = 209 km, and 111.2 km per degree
    dt = 365.25 * 24 * 3600 / 1440
    assert dt == pytest.approx(21915, abs=1)
    assert inland.sigma_deg_of(1e6) == pytest.approx(math.sqrt(2e6 * dt) / 111_195, rel=1e-4)
    assert inland.sigma_deg_of(5e5) == pytest.approx(1.33, abs=0.005)          # planet.earth's value
    assert inland.sigma_deg_of(1e6) == pytest.approx(1.88, abs=0.005)


def test_eddy_mixing_keeps_the_vapour_and_spreads_a_spike_like_diffusion():
    grid = Grid.from_resolution(256)
    rng = np.random.default_rng(1)
    w = rng.random(grid.shape).astype(np.float32)
    mixed = inland.eddy_mix(w, 1.33, grid.area)
    a = grid.area_weights
    assert float((mixed * a).sum()) == pytest.approx(float((w * a).sum()), rel=2e-6)   # no water made or lost
    assert mixed.std() < w.std()
    const = np.full(grid.shape, 0.7, np.float32)
    assert np.allclose(inland.eddy_mix(const, 1.33, grid.area), 0.7, atol=1e-6)
    assert inland.eddy_mix(w, 0.0, grid.area) is w                               # off: the reference
    # a spike on the equator spreads to a Gaussian of variance σ² per step along the meridian (diffusion)
    spike = np.zeros(grid.shape, np.float32)
    j0, i0 = grid.rows // 2, grid.columns // 4
    spike[j0, i0] = 1.0
    out = inland.eddy_mix(inland.eddy_mix(spike, 1.5, grid.area), 1.5, grid.area)
    col = out[:, i0].astype(np.float64)
    lat = grid.lat
    mean = (col * lat).sum() / col.sum()
    var = (col * (lat - mean) ** 2).sum() / col.sum()
    cell = 180.0 / grid.rows
    assert var == pytest.approx(2 * 1.5 ** 2, abs=cell ** 2)                  # two steps: 2σ², within a cell²


def test_lift_relief_blurs_the_land_height_only():
    grid = Grid.from_resolution(128)
    D = 0.5
    z = np.full(grid.shape, 0.2, np.float32)                                   # deep sea
    z[20:40, 30:40] = D + 1.0                                                  # a plateau 1 unit high
    assert inland.lift_relief(z, D, 0.0, grid.area) is z
    r = inland.lift_relief(z, D, 4.0, grid.area)
    land = np.maximum(z - D, 0)
    a = grid.area_weights
    # the land's height above the sea is kept in total, spread out; the sea floor plays no part
    assert float(((r - D) * a).sum()) == pytest.approx(float((land * a).sum()), rel=1e-5)
    assert r.min() >= D - 1e-6 and r.max() < D + 1.0
    assert r[30, 35] - D > 0.95                                                # the broad plateau stays
    assert 0.01 < r[30, 28] - D < 0.5 and r[30, 30] - D < 0.9                  # its edge is a gentle slope


def test_the_stage_recomputes_the_lift_relief_only_when_the_terrain_changes():
    grid = Grid.from_resolution(128)
    D = 0.5
    rng = np.random.default_rng(2)
    z = rng.uniform(0, 2, grid.shape).astype(np.float32)
    relief = inland.LiftRelief()
    first = relief(z, D, 4.0, grid.area)
    np.testing.assert_array_equal(first, inland.lift_relief(z, D, 4.0, grid.area))
    assert relief(z.copy(), D, 4.0, grid.area) is first                   # same terrain: no new blur
    z[10, 10] += 1.0                                                        # the terrain moved
    np.testing.assert_array_equal(relief(z, D, 4.0, grid.area), inland.lift_relief(z, D, 4.0, grid.area))
    np.testing.assert_array_equal(relief(z, 0.7, 4.0, grid.area), inland.lift_relief(z, 0.7, 4.0, grid.area))
    np.testing.assert_array_equal(relief(z, D, 2.0, grid.area), inland.lift_relief(z, D, 2.0, grid.area))
    assert relief(z, D, 0.0, grid.area) is z


def test_sinking_air_holds_the_background_rain_back():
    from planet.processes.atmosphere import _sources

    H, W = 4, 3
    ones = np.ones((H, W), np.float32)
    div = np.array([[-0.2], [-0.05], [0.05], [0.2]], np.float32) * ones       # converging ... diverging
    args = (ones * 0.5, ones * 0.5, np.float32(0), ones * 1012, ones * 20, div, div, np.float32(0), np.float32(0.075),
            np.float32(3), np.float32(0.0045), np.float32(0.125), np.float32(0))
    ref = _sources(*args, np.float32(0.0))[2]
    sub = _sources(*args, np.float32(1.0))[2]
    np.testing.assert_array_equal(ref[:2], sub[:2])                            # rising air: unchanged
    assert (ref[2:] == 0).all()                                                # the reference: no effect
    np.testing.assert_allclose(sub[2:, 0], -0.125 * np.array([0.05, 0.2]), rtol=1e-6)   # k · div held back


def test_thermal_low_is_the_lands_share_of_the_seasonal_pressure():
    """``heat_low`` with ``heat_low_rain < 1`` and no monsoon term is the land's part of ``amplitude · s``:
    the same as the Jan–Jul half-difference of the pressure minus that of an all-ocean world."""
    from planet.processes.climate import climate_fields

    grid = Grid.from_resolution(256)
    D = 0.5
    z = np.full(grid.shape, 0.2, np.float32)
    z[20:60, 40:100] = D + 0.3                                                 # a northern continent
    z[80:110, 150:200] = D + 0.3                                               # a southern one
    ocean = np.full(grid.shape, 0.2, np.float32)
    dry = Config().replace(atmosphere={"heat_low_rain": 0.0})
    jan, jul = 1.0, 13.0                                                       # season s = +1 and -1 (year 24 s)

    def half_swing(elev, config):
        return 0.5 * (climate_fields(elev, D, jan, config)["pressure"] - climate_fields(elev, D, jul, config)["pressure"])

    expected = half_swing(z, Config()) - half_swing(ocean, Config())
    c = climate_fields(z, D, jan, dry)
    assert c["season"] == pytest.approx(1.0)
    np.testing.assert_allclose(c["heat_low"], expected, atol=2e-3)
    assert np.abs(expected).max() > 3.0                                       # a real signal, hPa
    assert climate_fields(z, D, jan, Config())["heat_low"] is None            # the reference: nothing
    np.testing.assert_array_equal(c["pressure"], climate_fields(z, D, jan, Config())["pressure"])  # wind unchanged
