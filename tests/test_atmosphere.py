"""Atmosphere stage (spec §6): advection, sources, CO2, particle trails."""
import numpy as np
import pytest

from planet.processes.atmosphere import AtmosphereStage, advect, trails_step
from planet.processes.climate import ClimateStage
from planet.core.config import Config
from planet.core.grid import Grid
from planet.core.stage import Context
from planet.core.timeline import Timeline

GRID = Grid(64, 128)


def _blob(j0, i0, width=2.5):
    jj, ii = np.meshgrid(np.arange(GRID.rows), np.arange(GRID.columns), indexing="ij")
    di = (ii - i0 + GRID.columns / 2) % GRID.columns - GRID.columns / 2
    return np.exp(-((jj - j0) ** 2 + di ** 2) / (2 * width ** 2)).astype(np.float32)


def _centroid(f, ref_i):
    """Centre of mass (row, column), columns unwrapped around ``ref_i``."""
    jj, ii = np.meshgrid(np.arange(f.shape[0]), np.arange(f.shape[1]), indexing="ij")
    di = (ii - ref_i + f.shape[1] / 2) % f.shape[1] - f.shape[1] / 2
    m = f.sum()
    return (f * jj).sum() / m, ref_i + (f * di).sum() / m


@pytest.mark.parametrize("u, v", [(0.3, 0.0), (-0.3, 0.0), (0.0, 0.25), (0.0, -0.25), (0.2, -0.15)])
def test_advection_moves_a_blob_by_wind_times_steps(u, v):
    f = _blob(32, 64)
    U = np.full(GRID.shape, u, np.float32)
    V = np.full(GRID.shape, v, np.float32)
    n = 40
    for _ in range(n):
        f = advect(f, U, V)
    j, i = _centroid(f, 64)
    # east is +column, north is −row
    assert i == pytest.approx(64 + u * n, abs=1.0)
    assert j == pytest.approx(32 - v * n, abs=1.0)


@pytest.mark.parametrize("u", [0.5, -0.5])
def test_advection_crosses_the_meridian(u):
    start = 124 if u > 0 else 3
    f = _blob(20, start)
    U = np.full(GRID.shape, u, np.float32)
    V = np.zeros(GRID.shape, np.float32)
    n = 20
    for _ in range(n):
        f = advect(f, U, V)
    expect = (start + u * n) % GRID.columns
    j, i = _centroid(f, expect)
    assert i == pytest.approx(expect, abs=1.0) and j == pytest.approx(20, abs=0.5)
    assert f.sum() == pytest.approx(_blob(20, start).sum(), rel=1e-3)


def test_advection_scales_displacement_and_clamps_speed():
    f = _blob(32, 64)
    # |v| = 5 is clamped to 1; with scale 2 (a 1024-column grid) that is 2 cells per step
    out = f
    for _ in range(10):
        out = advect(out, np.full(GRID.shape, 5.0, np.float32), np.zeros(GRID.shape, np.float32), scale=2.0)
    _, i = _centroid(out, 84)
    assert i == pytest.approx(84, abs=0.5)


def test_advection_over_the_pole_keeps_mass_and_has_no_seam():
    f = _blob(2, 10, width=1.5)
    U = np.zeros(GRID.shape, np.float32)
    # a flow over the north pole: northward on this side (columns 0–63), southward on the far side
    V = np.where(np.arange(GRID.columns) < 64, 0.5, -0.5).astype(np.float32)[None, :].repeat(GRID.rows, 0)
    total = f.sum()
    for _ in range(24):
        f = advect(f, U, V)
    # 12 cells north of row 2 is 10 rows beyond the pole: row 9 on the far side (column 10 + 64)
    j, i = _centroid(f, 74)
    assert i == pytest.approx(74, abs=1.0) and j == pytest.approx(9, abs=1.0)
    assert f.sum() == pytest.approx(total, rel=0.05)
    assert np.isfinite(f).all() and f.min() >= 0


# ---------------------------------------------------------------------------
# Trails

def test_trails_head_moves_with_the_wind_and_leaves_a_fading_trail():
    tr = np.zeros(GRID.shape, np.float32)
    tr[30, 10] = 1.0
    U = np.full(GRID.shape, 0.5, np.float32)
    V = np.zeros(GRID.shape, np.float32)
    n = 40
    for s in range(n):
        tr = trails_step(tr, U, V, fade=0.9, death=0.0, birth=0.0, seed=3, step=s)
    heads = np.argwhere(tr == 1.0)
    assert len(heads) == 1
    j, i = heads[0]
    # stochastic rounding: mean 0.5 n = 20 cells, standard deviation 0.5 √n ≈ 3.2
    assert j == 30 and abs(i - (10 + 20)) <= 13
    # behind the head a trail fading westward
    assert 0 < tr[30, i - 1] < 1 and tr[30, 10] < tr[30, i - 1]
    assert tr.min() >= 0 and tr.max() <= 1


def test_trail_births_and_deaths_have_the_right_rates():
    tr = np.zeros(GRID.shape, np.float32)
    U = np.zeros(GRID.shape, np.float32)
    born = trails_step(tr, U, U, birth=0.02, death=0.0, seed=1, step=5)
    n = (born == 1).sum()
    expect = 0.02 * GRID.cells          # 164, sd ≈ 12.7
    assert abs(n - expect) < 5 * np.sqrt(expect)
    full = np.ones(GRID.shape, np.float32)
    after = trails_step(full, U, U, birth=0.0, death=0.25, seed=1, step=6)
    alive = (after == 1).sum() / GRID.cells
    assert alive == pytest.approx(0.75, abs=0.03)


# ---------------------------------------------------------------------------
# The stage

def _ctx(step, config=None):
    cfg = config or Config()
    return Context(step=step, time=step / cfg.schedule.fps, seed=0, grid=GRID, config=cfg,
                   timeline=Timeline(cfg.schedule))


def _fields(elevation, **extra):
    zeros = np.zeros(GRID.shape, np.float32)
    f = {"elevation": elevation, "vapour": zeros, "co2": zeros, "trails": zeros, "humans": zeros,
         "moisture": zeros}
    f.update(extra)
    return f


def test_vapour_sources_ocean_only_and_clamped():
    z = np.full(GRID.shape, 10.0, np.float32)
    z[:, :64] = 0.0                              # west half ocean, east half high land
    ctx = _ctx(60 * 100)
    f = _fields(z)
    f.update(ClimateStage().advance(f, ctx))
    atm = AtmosphereStage()
    for k in range(30):
        ctx = _ctx(60 * 100 + k)
        f.update(ClimateStage().advance(f, ctx))
        f.update(atm.advance(f, ctx))
    w = f["vapour"]
    assert w.min() >= 0 and w.max() <= 3
    # evaporation happens over the ocean (the land half only gets what the wind carries over)
    assert w[:, 8:56].mean() > 2 * w[:, 72:120].mean()


def test_co2_rises_where_humans_live_only_after_co2_start():
    cfg = Config()
    z = np.full(GRID.shape, 10.0, np.float32)
    humans = np.zeros(GRID.shape, np.float32)
    humans[20:40, 40:80] = 1.0
    atm = AtmosphereStage()
    for t, expect_rise in ((170.0, False), (190.0, True)):
        ctx = _ctx(int(t * 60), cfg)
        f = _fields(z, humans=humans)
        f.update(ClimateStage().advance(f, ctx))
        out = atm.advance(f, ctx)
        c = out["co2"]
        if expect_rise:
            # +0.015 per step in settled cells, advected by at most W/512 = 0.25 cells
            assert c[25:35, 50:70].min() == pytest.approx(0.015, abs=1e-6)
            assert c.max() <= 0.015 + 1e-6
        else:
            assert c.max() == 0.0


def test_stage_outputs_in_range_and_new_arrays():
    z = np.random.default_rng(0).random(GRID.shape, dtype=np.float32) * 14
    ctx = _ctx(60 * 20)
    f = _fields(z)
    f.update(ClimateStage().advance(f, ctx))
    before = {k: v.copy() for k, v in f.items()}
    out = AtmosphereStage().advance(f, ctx)
    for k, v in f.items():
        np.testing.assert_array_equal(v, before[k])          # inputs untouched
    assert set(out) == {"vapour", "co2", "trails", "rain"}
    for k, a in out.items():
        assert a.dtype == np.float32 and a.shape == GRID.shape and np.isfinite(a).all()
        assert a.min() >= 0
    assert out["vapour"].max() <= 3 and out["trails"].max() <= 1
    assert out["vapour"].max() > 0                            # the early oceans steam


def test_rain_is_the_vapour_the_sinks_removed():
    # all land (no sea source) after ocean end (no early source): a cell's vapour after the step is
    # its advected vapour minus what fell, so rain = advect(w) − w_new, cell by cell
    rng = np.random.default_rng(1)
    z = (12.0 + 3.0 * rng.random(GRID.shape)).astype(np.float32)   # hills: the orographic sink acts too
    ctx = _ctx(60 * 60)
    f = _fields(z, vapour=(2.0 * rng.random(GRID.shape)).astype(np.float32))
    f.update(ClimateStage().advance(f, ctx))
    out = AtmosphereStage().advance(f, ctx)
    w_adv = advect(f["vapour"], f["wind_u"], f["wind_v"], scale=GRID.columns / 512.0,
                   wind_max=ctx.config.climate.wind_max)
    np.testing.assert_allclose(out["rain"], w_adv - out["vapour"], atol=1e-6)
    assert out["rain"].min() >= 0 and out["rain"].max() > 0.005 * w_adv.max()


def _still_air(z, u, **extra):
    """Fields with a uniform wind (u east, climate cells per step) and no climate stage: the atmosphere
    reads the frozen full-resolution climate, coarsened."""
    full = lambda v: np.full(GRID.shape, v, np.float32)
    return _fields(z, pressure=full(1012.0), temperature=full(20.0), wind_u=full(u), wind_v=full(0.0), **extra)


@pytest.mark.parametrize("u", [0.5, -0.8])
def test_upslope_lift_rains_on_the_windward_side_only(u):
    """atmosphere.upslope = 1: the orographic sink is 0.3 max(v·∇h, 0), the spec's 0.3 |∇h| at 0.
    Uniform vapour and wind over all-land hills (no convergence, no source): the rain is 0.005 w plus
    the sink, computed here from the central differences of h = 0.4 (z − D) per 512-column cell."""
    i = np.arange(GRID.columns)
    z = np.broadcast_to(10.0 + 2.0 * np.sin(2 * np.pi * i / GRID.columns), GRID.shape).astype(np.float32).copy()
    rains = {}
    for a in (0.0, 1.0):
        cfg = Config().replace(atmosphere={"upslope": a})
        ctx = _ctx(60 * 60, cfg)
        out = AtmosphereStage().advance(_still_air(z, u, vapour=np.full(GRID.shape, 1.0, np.float32)), ctx)
        rains[a] = out["rain"][32]
    D = _ctx(60 * 60).sea_level
    h = 0.4 * np.maximum(z[32] - D, 0.0)
    gx = (np.roll(h, -1) - np.roll(h, 1)) * 0.5 * GRID.columns / 512.0
    np.testing.assert_allclose(rains[0.0], 0.005 + 0.3 * np.abs(gx), atol=2e-6)
    np.testing.assert_allclose(rains[1.0], 0.005 + 0.3 * np.maximum(u * gx, 0.0), atol=2e-6)
    lee = u * gx < 0
    assert lee.sum() > 40 and np.allclose(rains[1.0][lee], 0.005, atol=2e-6)   # the lee: only the rain-out


def test_transpiration_gives_the_rain_on_growing_land_back():
    """atmosphere.transpiration = r: w += r G(m, T) rain_prev on land before the sinks; flat land,
    still air, so the vapour differs from r = 0 by r G rain_prev (1 − 0.005)."""
    z = np.full(GRID.shape, 10.0, np.float32)
    z[:, :32] = 0.0                                                 # a sea: no transpiration there
    prev = np.full(GRID.shape, 0.01, np.float32)
    m = np.full(GRID.shape, 5.0, np.float32)
    out = {}
    for r in (0.0, 0.5):
        ctx = _ctx(60 * 60, Config().replace(atmosphere={"transpiration": r}))
        out[r] = AtmosphereStage().advance(_still_air(z, 0.0, rain=prev, moisture=m), ctx)["vapour"]
    x = 20.0 / 25.0
    G = x * x * (3 - 2 * x)                                         # clamp(5/3, 0, 1) · smoothstep(0, 25, 20)
    inland = slice(40, 120)                                         # off the coasts (their slope empties the air)
    np.testing.assert_allclose((out[0.5] - out[0.0])[:, inland], 0.5 * G * 0.01 * (1 - 0.005), rtol=1e-4)
    np.testing.assert_array_equal(out[0.5][:, :32], out[0.0][:, :32])


def test_sea_uptake_zero_never_lets_the_sea_absorb_vapour():
    """atmosphere.sea_uptake: the spec's ocean source n (T + 2)/32 (0.075 − 3 div − 0.0045 (p − 1012))
    is negative where the air diverges; with 0 it is floored at 0, elsewhere untouched; the
    rain-out rate reads the second divergence (the raining wind's)."""
    from planet.processes.atmosphere import _sources

    rng = np.random.default_rng(1)
    shape = (16, 32)
    n = rng.random(shape, dtype=np.float32)
    p = (1000 + 30 * rng.random(shape)).astype(np.float32)
    T = (40 * rng.random(shape) - 5).astype(np.float32)
    div = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    rain_div = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    e = n * np.clip(T + 2, 0, 100) / 32 * (0.075 - 3 * div - 0.0045 * (p - 1012))
    assert (e < 0).mean() > 0.2                                  # the spec's source is a sink in places
    for uptake in (1.0, 0.0):
        out = _sources(n, n, np.float32(0), p, T, div, rain_div, np.float32(0), np.float32(0.075), np.float32(3.0),
                       np.float32(0.0045), np.float32(2.0), np.float32(uptake), np.float32(0.0))
        np.testing.assert_allclose(out[1], np.where(e < 0, uptake * e, e), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(out[2], 2.0 * np.maximum(-rain_div, 0), rtol=1e-6)


def test_sources_blend_the_noise_slices_as_the_blend_does():
    """``_sources`` reads the noise as its two slices and their weight: the same bits as the noise blended
    first (the float32 NumPy expression) read with weight 0."""
    from planet.processes.atmosphere import _sources

    rng = np.random.default_rng(2)
    shape = (16, 32)
    a, b = rng.random(shape, dtype=np.float32), rng.random(shape, dtype=np.float32)
    p = (1000 + 30 * rng.random(shape)).astype(np.float32)
    T = (40 * rng.random(shape) - 5).astype(np.float32)
    div = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    k = (np.float32(0.01), np.float32(0.075), np.float32(3.0), np.float32(0.0045), np.float32(2.0), np.float32(1.0),
         np.float32(0.5))
    frac = np.float32(0.37)
    blended = a * (np.float32(1.0) - frac) + b * frac
    assert blended.dtype == np.float32
    assert not np.array_equal(blended, a) and not np.array_equal(blended, b)
    np.testing.assert_array_equal(_sources(a, b, frac, p, T, div, div, *k),
                                  _sources(blended, blended, np.float32(0), p, T, div, div, *k))
