"""Life stage (spec §7): Lotka–Volterra, diffusion, moisture, riding on plates, humanity."""
import numpy as np
import pytest

from planet.core.config import Config
from planet.core.grid import Grid
from planet.processes.life import LifeStage, diffuse, growth, settle_probability
from planet.core.stage import Context
from planet.core.timeline import Timeline

GRID = Grid(64, 128)


def _ctx(t, config=None, source=None):
    cfg = config or Config()
    step = int(round(t * cfg.schedule.fps))
    ctx = Context(step=step, time=step / cfg.schedule.fps, seed=0, grid=GRID, config=cfg,
                  timeline=Timeline(cfg.schedule))
    if source is not None:
        ctx.scratch["source"] = source
    return ctx


def _uniform(**values):
    base = dict(elevation=12.0, temperature=18.0, vapour=0.004, moisture=2.0, vegetation=0.6, prey=0.4,
                predators=0.3, humans=0.0)
    base.update(values)
    return {k: np.full(GRID.shape, v, np.float32) for k, v in base.items()}


def _smoothstep(a, b, x):
    t = min(max((x - a) / (b - a), 0.0), 1.0)
    return t * t * (3 - 2 * t)


def test_lotka_volterra_on_a_uniform_field_matches_a_plain_integration():
    """A uniform all-land field has no diffusion; the stage must follow the spec's equations."""
    cfg = Config()
    T, w, z = 18.0, 0.004, 12.0
    D = Timeline(cfg.schedule).sea_level(60.0)
    f = _uniform(temperature=T, vapour=w, elevation=z)
    m, V, R, X = 2.0, 0.6, 0.4, 0.3
    st = LifeStage()
    h = 0.4 * max(0.0, z - D)
    for k in range(200):
        out = st.advance(f, _ctx(60.0 + k / 60.0, cfg))
        f.update(out)
        # plain Python, the same order of operations as spec §7
        m *= 1 - 1e-5 * m * min(max(T, 0), 15)
        m += 3 * min(max(w, 0), 0.01)
        m = min(max(m, 0), 5)
        G = min(max(m / 3, 0), 1) * (_smoothstep(0, 25, T) - _smoothstep(25, 35, T))
        rho = 2 + min(max(T, -15), 15) / 30
        eps = min(max(h, 0.5), 1.5)
        pi = 2 - eps
        V += 0.1 * V * (G - R)
        R += 0.1 * R * (rho * V - pi * X - 0.5)
        X += 0.1 * X * (pi * R - 1)
        V, R, X = (min(max(a, 0.01), 5) for a in (V, R, X))
    for name, expect in (("moisture", m), ("vegetation", V), ("prey", R), ("predators", X)):
        a = f[name]
        assert a.min() == a.max(), name            # still uniform
        assert a[0, 0] == pytest.approx(expect, rel=2e-4), name
    assert V != pytest.approx(0.6, rel=0.05)        # and the populations did evolve


def test_growth_formula_by_hand():
    # m = 1.5 → clamp(m/3) = 0.5; T = 12.5 → smoothstep(0, 25, 12.5) = 0.5 → G = 0.25
    # T = 30 → smoothstep(0,25,30) = 1, smoothstep(25,35,30) = 0.5 → G = 1 · 0.5 (m = 4)
    # T = 40 → 1 − 1 = 0;  T = −5 → 0
    G = growth([1.5, 4.0, 4.0, 4.0], [12.5, 30.0, 40.0, -5.0])
    np.testing.assert_allclose(G, [0.25, 0.5, 0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("all_land", [True, False])
def test_diffusion_conserves_the_total(all_land):
    rng = np.random.default_rng(4)
    V, R, X = (rng.random(GRID.shape, dtype=np.float32) * 5 for _ in range(3))
    land = np.ones(GRID.shape, bool) if all_land else rng.random(GRID.shape) < 0.6
    Vo, Ro, Xo = diffuse(V, R, X, land, (0.025, 0.05, 0.1))
    for a, b in ((V, Vo), (R, Ro), (X, Xo)):
        assert np.float64(b[land]).sum() == pytest.approx(np.float64(a[land]).sum(), rel=1e-6)
        np.testing.assert_array_equal(b[~land], a[~land])
        assert not np.array_equal(a, b)
    # the polar rows exchange with the polar row half a turn away, and nothing is lost there
    if all_land:
        spike = np.zeros(GRID.shape, np.float32)
        spike[0, 5] = 1.0
        out = diffuse(spike, spike, spike, land, (0.1, 0.1, 0.1))[0]
        assert out[0, 5 + 64] == pytest.approx(0.1) and out[1, 5] == pytest.approx(0.1)
        assert out.sum() == pytest.approx(1.0)


def test_diffusion_against_naive_numpy():
    rng = np.random.default_rng(5)
    V = rng.random(GRID.shape, dtype=np.float32)
    land = rng.random(GRID.shape) < 0.7
    k = 0.05
    H, W = GRID.shape
    north = np.vstack([np.roll(V[:1], W // 2, axis=1), V[:-1]])
    south = np.vstack([V[1:], np.roll(V[-1:], W // 2, axis=1)])
    lnorth = np.vstack([np.roll(land[:1], W // 2, axis=1), land[:-1]])
    lsouth = np.vstack([land[1:], np.roll(land[-1:], W // 2, axis=1)])
    lap = np.zeros_like(V, dtype=np.float64)
    for n, ln in ((north, lnorth), (south, lsouth), (np.roll(V, -1, 1), np.roll(land, -1, 1)),
                  (np.roll(V, 1, 1), np.roll(land, 1, 1))):
        lap += np.where(ln, n - V, 0.0)
    naive = np.where(land, V + k * lap, V)
    out = diffuse(V, V, V, land, (k, k, k))[0]
    np.testing.assert_allclose(out, naive, atol=1e-6)


def test_ocean_cells_hold_no_land_life_and_are_wet():
    f = _uniform()
    f["elevation"][:, :40] = 0.0
    out = LifeStage().advance(f, _ctx(60.0))
    for name in ("vegetation", "prey", "predators", "humans"):
        assert (out[name][:, :40] == 0).all(), name
    assert (out["moisture"][:, :40] == 5).all()
    assert (out["vegetation"][:, 40:] >= 0.01).all()


def test_random_initial_populations_before_ocean_end():
    f = _uniform()
    out = LifeStage().advance(f, _ctx(20.0))
    V, R, X = out["vegetation"], out["prey"], out["predators"]
    assert 0 <= V.min() and V.max() < 0.5 and 0 <= R.min() and R.max() < 1 and X.max() < 2
    # hash32 ⊙ (0.5, 1, 2): means ≈ 0.25, 0.5, 1
    assert V.mean() == pytest.approx(0.25, abs=0.02) and R.mean() == pytest.approx(0.5, abs=0.03)
    assert X.mean() == pytest.approx(1.0, abs=0.06)
    again = LifeStage().advance(_uniform(), _ctx(20.5))
    np.testing.assert_array_equal(again["vegetation"], V)     # a function of the cell only


def test_life_rides_on_the_plates():
    # humans in the warming era (no settling, T < 35: no decline) only move with their plate
    f = _uniform(temperature=20.0, humans=0.0)
    f["humans"][10:20, 30:40] = 1.0
    src = np.arange(GRID.cells, dtype=np.int64).reshape(GRID.shape)
    src = np.roll(src, 1, axis=1)               # every cell takes its western neighbour's content
    out = LifeStage().advance(f, _ctx(205.0, source=src))
    np.testing.assert_array_equal(out["humans"], np.roll(f["humans"], 1, axis=1))


def test_settlement_rate_and_spread():
    cfg = Config().replace(life={"settle_probability": 0.01})
    f = _uniform(moisture=5.0, temperature=20.0, vapour=0.02)
    out = LifeStage().advance(f, _ctx(130.0, cfg))
    n = (out["humans"] == 1).sum()
    expect = settle_probability(0.01, GRID.columns) * GRID.cells  # per unit area: 0.01 at 512 columns
    assert abs(n - expect) < 5 * np.sqrt(expect)
    # spread: one settlement, no new ones; each unsettled neighbour looks at one of its 4 neighbours
    cfg = Config().replace(life={"settle_probability": 0.0})
    f = _uniform(moisture=5.0, temperature=20.0, vapour=0.02)
    f["humans"][30, 60] = 1.0
    f["elevation"][:, 90:] = 0.0                 # an ocean to the east
    for k in range(60):
        f.update(LifeStage().advance(f, _ctx(130.0 + k / 60, cfg)))
    settled = f["humans"] > 0
    assert 30 < settled.sum() < 3000
    assert not settled[:, 90:].any()             # no settlements in the sea
    # ineligible (too cold) land is not settled
    f2 = _uniform(moisture=5.0, temperature=2.0)
    f2["humans"][30, 60] = 1.0
    out = LifeStage().advance(f2, _ctx(130.0, cfg))
    assert out["humans"].sum() == 1.0


def test_settlements_retreat_above_35_degrees_and_vanish_after_story_end():
    f = _uniform(moisture=5.0, temperature=20.0, humans=1.0)
    f["temperature"][:, :64] = 38.0
    for k in range(30):
        f.update(LifeStage().advance(f, _ctx(210.0 + k / 60)))
    np.testing.assert_allclose(f["humans"][:, :64], 1 - 30 * 0.01, atol=1e-5)
    assert (f["humans"][:, 64:] == 1).all()
    assert (f["predators"][:, 64:] == pytest.approx(0.01))   # humans take the predators' place
    out = LifeStage().advance(f, _ctx(251.0))
    assert (out["humans"] == 0).all()


@pytest.mark.parametrize("k", [0.0, 1.0, 2.5])
def test_the_rain_that_fell_wets_the_soil(k):
    """m += 3 clamp(w + k·rain, 0, 0.01): the vapour the cell held before it rained (k = 1) wets the
    soil; k = 0 is the spec, which counts only the vapour left after the rain. Checked by hand, with
    the drying term evaluated separately (T = 0 switches it off) and the cap."""
    cfg = Config().replace(life={"moisture_rain": k})
    rain = np.where(np.arange(GRID.columns) < 64, 0.002, 0.02).astype(np.float32)[None, :]
    f = _uniform(temperature=0.0, vapour=0.001, moisture=1.0)
    f["rain"] = np.broadcast_to(rain, GRID.shape).copy()
    out = LifeStage().advance(f, _ctx(60.0, cfg))
    light = 1.0 + 3 * min(0.001 + k * 0.002, 0.01)
    heavy = 1.0 + 3 * min(0.001 + k * 0.02, 0.01)
    assert out["moisture"][:, :64] == pytest.approx(light, rel=1e-6)
    assert out["moisture"][:, 64:] == pytest.approx(heavy, rel=1e-6)
    # no rain field (an old state or no atmosphere): the spec's vapour alone
    del f["rain"]
    out = LifeStage().advance(f, _ctx(60.0, cfg))
    assert out["moisture"] == pytest.approx(1.0 + 3 * 0.001, rel=1e-6)
