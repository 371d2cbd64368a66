"""Köppen–Geiger rules against station climates, the koppen view, and the generated worlds' warming."""
from __future__ import annotations

import numpy as np
import pytest

import planet
from planet.analysis import koppen as K
from planet.core.grid import Grid
from planet.processes.climate import climate_fields, climate_map

# Monthly normals (°C, mm), January first, of stations whose Köppen–Geiger class is well known
# (WMO 1961–1990 / 1991–2020 normals, rounded; classes as in Peel et al. 2007, Fig. 1).
STATIONS = {
    "Singapore": ("Af", [26.5, 27, 27.5, 28, 28, 28, 27.5, 27.5, 27.5, 27.5, 27, 26.5],
                  [240, 160, 180, 170, 170, 130, 150, 150, 140, 160, 260, 290]),
    "Darwin": ("Aw", [28.5, 28, 28, 28, 27, 25.5, 25, 26, 28, 29, 29.5, 29],
               [420, 360, 320, 100, 20, 2, 1, 5, 15, 70, 140, 250]),
    "Cairo": ("BWh", [14, 15, 18, 21, 25, 27, 28, 28, 26, 24, 19, 15], [5, 4, 4, 1, 0, 0, 0, 0, 0, 1, 3, 6]),
    "Denver": ("BSk", [0, 1, 5, 9, 14, 20, 23, 22, 17, 11, 4, 0], [10, 12, 25, 45, 60, 45, 55, 45, 30, 25, 18, 12]),
    "Rome": ("Csa", [8, 9, 11, 14, 18, 22, 25, 25, 21, 17, 12, 9], [67, 73, 58, 81, 53, 34, 19, 37, 73, 113, 115, 81]),
    "Hong Kong": ("Cwa", [16, 17, 19, 23, 26, 28, 29, 29, 28, 25, 21, 17],
                  [25, 42, 56, 174, 305, 457, 377, 432, 328, 100, 38, 25]),
    "London": ("Cfb", [5, 5, 7, 9, 13, 16, 18, 18, 15, 11, 8, 5], [55, 40, 42, 44, 49, 45, 45, 50, 49, 69, 59, 55]),
    "Moscow": ("Dfb", [-6.5, -6.7, -1, 6.7, 13, 17, 19, 17, 11, 5, -1, -5],
               [52, 41, 35, 37, 49, 80, 85, 82, 68, 71, 55, 52]),
    "Yakutsk": ("Dfd", [-39, -35, -22, -7, 6, 15, 19, 15, 6, -8, -28, -37], [9, 8, 7, 10, 19, 35, 42, 38, 22, 16, 13, 9]),
    "Utqiagvik": ("ET", [-25, -27, -26, -18, -6, 2, 5, 3, -1, -9, -18, -23], [4, 4, 4, 5, 5, 8, 25, 25, 15, 10, 6, 4]),
    "Vostok": ("EF", [-32, -44, -58, -65, -66, -66, -67, -68, -66, -57, -43, -32], [1] * 12),
}


@pytest.mark.parametrize("name", STATIONS)
def test_station_climates_get_their_known_class(name):
    code, T, P = STATIONS[name]
    lat = -12.5 if name == "Darwin" else (-78.0 if name == "Vostok" else 40.0)
    T = np.array(T, float)[:, None, None] * np.ones((1, 1, 2))
    P = np.array(P, float)[:, None, None] * np.ones((1, 1, 2))
    out = K.classify(T, P, np.array([[True, False]]), np.array([lat]))
    assert out[0, 0] == code and out[0, 1] == ""


def test_southern_summer_is_the_warmer_half_year():
    # Darwin's wet season is its summer (Oct–Mar): with that, ≥ 70 % of the rain falls in summer and
    # the dry threshold is 2 MAT + 28; swapping the months (a northern station) must give the same class
    code, T, P = STATIONS["Darwin"]
    T6 = np.roll(T, 6)[:, None, None] + np.zeros((1, 1, 2))
    P6 = np.roll(P, 6)[:, None, None] + np.zeros((1, 1, 2))
    assert K.classify(T6, P6, np.ones((1, 2), bool), np.array([12.5]))[0, 0] == code


def test_group_shares_are_area_weighted():
    codes = np.full((4, 8), "", dtype="<U3")
    codes[0] = "ET"            # polar row: small area
    codes[1] = "Af"            # near-equator row: large area
    shares = K.group_shares(codes)
    w = Grid(4, 8).area_weights
    assert shares["E"] == pytest.approx(w[0].sum() / (w[0].sum() + w[1].sum()))
    assert sum(shares.values()) == pytest.approx(1.0)


def test_koppen_view_draws_the_conventional_colours():
    from planet.render import koppen_view

    codes = np.full((64, 128), "", dtype="<U3")
    codes[20:30, 10:40] = "BWh"
    codes[40:50, 60:90] = "Cfb"
    a = koppen_view(codes, None, size=(256, 160), legend=True)
    b = koppen_view(codes, None, size=(256, 160), legend=True, backend="gpu")
    assert np.array_equal(a, b)                                  # drawn once in NumPy for both backends
    assert tuple(a[50, 50]) == K.COLOURS["BWh"]                  # map rows: 160 - legend
    assert tuple(a[2, 2]) == (20, 40, 80)                        # the sea
    legend = a[-40:]
    assert (legend == 255).all(axis=2).mean() > 0.5              # a white legend strip with the classes
    assert (legend == K.COLOURS["Cfb"]).all(axis=2).any()
    with pytest.raises(ValueError, match="classes must be"):
        koppen_view(np.zeros((3, 3), "<U3"))


def test_koppen_needs_whole_years():
    with pytest.raises(ValueError, match="years must be"):
        K.climatology(planet.Planet(128, stages=("climate", "atmosphere", "life")), years=0.5)


# -- generated worlds: the warming ---------------------------------------------------------------

def _annual_mean_t(z, times, config):
    return np.mean([climate_fields(z, planet.Timeline(config.schedule).sea_level(t), t, config)["temperature"]
                    for t in times], axis=0)


@pytest.fixture(scope="module")
def generated():
    return planet.Planet(128, seed=0, stages=("lithosphere",)).run("tectonics_end").elevation


def warming_by_resolution(z128):
    cfg = planet.Config()
    before = 200.0 - 24.0 + 2.0 * np.arange(12) + 1.0            # the model year before warming start
    after = 220.0 + 2.0 * np.arange(12) + 1.0                     # the model year after warming end
    out = {}
    for f in (1, 2, 4):                                           # the same world at 128, 256, 512 columns
        z = np.repeat(np.repeat(z128, f, 0), f, 1)
        cm = climate_map(*z.shape)
        wc = np.repeat(cm.row_area[:, None], cm.shape[1], 1)
        wc = wc / wc.sum()
        tb = _annual_mean_t(z, before, cfg)
        ta = _annual_mean_t(z, after, cfg)
        out[z.shape[1]] = float((wc * (ta - tb)).sum())
    return out


def test_warming_is_the_same_at_every_resolution(generated):
    """Seed 0's world at 128 columns, repeated to 256 and 512: 11.67 / 11.88 / 11.88 °C. The pressure
    formulas class a climate cell as land when most of it is, and at 128 columns the climate map is
    64 columns wide, so coasts fall differently: 0.2 °C for this world (more land than
    before: continent_fraction 0.58; under 0.2 with 0.5)."""
    dT = warming_by_resolution(generated)
    assert max(dT.values()) - min(dT.values()) < 0.25, dT


def test_warming_is_the_oceans_plus_the_land_term(generated):
    """Spec §5's warming, decomposed: the warming of a world with no land (the blend of the two
    tanh formulas alone, ~10.75 °C) plus the land term's 4 − 1.5 = 2.5 °C times the land share,
    plus a small lapse-rate term over high ground (4 → 3 per unit height: under 0.3 °C here)."""
    dT = warming_by_resolution(generated)
    ocean = warming_by_resolution(np.zeros_like(generated))
    D = planet.Timeline(planet.Config().schedule).sea_level(planet.Config().schedule.tectonics_end)
    land = float((Grid.from_resolution(generated.shape[1]).area_weights * (generated >= D)).sum())
    assert 0.2 < land < 0.4
    for c, v in dT.items():
        expected = ocean[c] + 2.5 * land
        assert expected - 0.05 <= v <= expected + 0.3, (c, v, ocean[c], land)
