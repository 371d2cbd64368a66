"""planet.earth: real coastlines, a model year without NaN, and the climate checked against Earth's.

One world at 128 columns runs one model year (plus the spin-up) for the whole module; the
numbers at 512 columns are in the README. Checks the model does not meet are xfail with the
measured number (never a loosened tolerance).
"""
from __future__ import annotations

import numpy as np
import pytest

import planet
from planet.analysis import koppen as K
from planet.cli import main


@pytest.fixture(scope="module")
def earth():
    return planet.earth(128)


@pytest.fixture(scope="module")
def year(earth):
    """The climatology of one model year (the world advances), and the classes."""
    ds = K.climatology(earth, years=1)
    return ds, K.classes_of(ds)


def at(ds_or_da, lat, lon):
    """Value(s) at the cell holding (lat, lon east of Greenwich, -180..360)."""
    lats, lons = ds_or_da["lat"].values, ds_or_da["lon"].values
    return ds_or_da.isel(lat=int(np.argmin(abs(lats - lat))), lon=int(np.argmin(abs(lons - lon % 360))))


def test_earths_coastlines(earth):
    state = earth.state
    land = state.elevation > earth.timeline.sea_level(earth.time)
    share = float((land * earth.grid.area_weights).sum())
    assert share == pytest.approx(0.292, abs=0.02)               # 29.2 % of Earth's surface is land
    grid = earth.grid
    cell = lambda la, lo: (int(np.argmin(abs(grid.lat - la))), int(np.argmin(abs(grid.lon - lo % 360))))  # noqa: E731
    for name, (la, lo) in {"Paris": (48.9, 2.4), "Sahara": (23, 10), "Amazon": (-5, -62), "Siberia": (62, 100),
                           "Australia": (-25, 133), "Antarctica": (-85, 0)}.items():
        assert land[cell(la, lo)], name
    for name, (la, lo) in {"Pacific": (0, -150), "Atlantic": (30, -40), "Indian Ocean": (-20, 80)}.items():
        assert not land[cell(la, lo)], name
    # made-up relief: ice domes about 3 km high (documented), low coasts
    from planet.io.heightmap import model_to_metres

    m = model_to_metres(state.elevation, earth.timeline.sea_level(earth.time))
    assert 2500 < m[cell(-85, 60)] < 3500 and 1500 < m[cell(72, -40)] < 3000
    # continental interiors are lowland basins (made-up ranges stay within 700 km of a coast): Earth's
    # Amazon and Congo basins lie below ~500 m; the Amazon cell stood on a made-up 2700 m range before
    for name, (la, lo) in {"Amazon": (-5, -62), "Congo": (0, 22), "Siberia": (62, 100)}.items():
        assert 0 < m[cell(la, lo)] < 500, (name, m[cell(la, lo)])
    assert earth.stages == ("climate", "atmosphere", "life") and earth.time == pytest.approx(126.0)


def test_a_model_year_without_nan(earth, year):
    ds, classes = year
    for name in earth.state.names:
        assert np.isfinite(earth.state[name]).all(), name
    for name in ("temperature", "precipitation", "pressure", "wind_u", "wind_v"):
        assert np.isfinite(ds[name].values).all(), name
    assert earth.time == pytest.approx(126.0 + 1.25 * 24.0)      # a quarter-year spin-up, then the year
    assert (earth.state.humans > 0).any()                       # humans settled the present-day Earth
    assert set(np.unique(classes.values)) - {""} <= set(K.CLASSES)


def test_subtropical_highs_and_equatorial_low(year):
    ds, _ = year
    p = ds["pressure"].mean(("month", "lon"))
    lat = ds["lat"].values
    north = (lat > 10) & (lat < 60)
    south = (lat < -10) & (lat > -60)
    assert 20 <= lat[north][int(np.argmax(p.values[north]))] <= 40
    assert -40 <= lat[south][int(np.argmax(p.values[south]))] <= -20
    eq = float(p.values[abs(lat) < 10].mean())
    assert eq < float(p.values[(abs(lat) > 25) & (abs(lat) < 35)].mean()) - 10


def test_monsoon_winter_wind_from_the_north_east(year):
    ds, _ = year
    for lat, lon in ((20, 78), (15, 65)):                        # central India, the Arabian Sea
        jan = at(ds, lat, lon).isel(month=0)
        assert jan["wind_u"] < 0 and jan["wind_v"] < 0            # blowing towards the south-west


def test_monsoon_summer_wind_from_the_south_west(year):
    """planet.earth's continental heat low and the belts following the sun (climate.monsoon,
    trough_shift, tropical_trough) pull the July wind across the equator: at 128 columns India
    (u 1.00, v 0.04) and the Arabian Sea (u 0.97, v 0.23); without them north-west (0.20, -0.51) and
    north-east (-0.84, -0.48)."""
    ds, _ = year
    for lat, lon in ((20, 78), (15, 65)):
        jul = at(ds, lat, lon).isel(month=6)
        assert jul["wind_u"] > 0 and jul["wind_v"] > 0


def zonal_t(ds):
    return ds["temperature"].mean(("month", "lon"))


def test_equator_is_25_to_27_degrees(year):
    """The zonal annual mean within 5° of the equator: 26.7 °C at 128 columns with planet.earth's
    ocean thermostat (climate.sea_temperature_max = 27; 27.04 °C with 27.5 since the lowland basins
    warmed the equatorial land by 1.7 °C), 29.1 °C without the thermostat (old relief)."""
    ds, _ = year
    z = zonal_t(ds)
    eq = float(z.values[abs(ds["lat"].values) < 5].mean())
    assert 25.0 <= eq <= 27.0, eq


def test_inner_antarctica_is_below_minus_20(year):
    ds, _ = year
    t = ds["temperature"].mean("month")
    inner = (ds["lat"] < -75) & ds["land"]
    w = np.cos(np.radians(ds["lat"]))
    mean = float((t.where(inner) * w).sum() / (w * inner).sum())
    assert mean < -20.0, mean


REGIONS = {
    "Sahara": ("B", (23, 10)), "Arabia": ("B", (23, 47)), "central Australia": ("B", (-25, 133)),
    "Amazon": ("A", (-5, -62)), "Congo": ("A", (0, 22)),
    "Siberia": ("D", (62, 100)), "Canada": ("D", (55, -100)),
    "Greenland": ("E", (72, -40)), "Antarctica": ("E", (-80, 60)),
}


@pytest.mark.parametrize("region", REGIONS)
def test_regions_fall_in_their_groups(year, region, request):
    group, (lat, lon) = REGIONS[region]
    _, classes = year
    code = str(at(classes, lat, lon).values)
    if code[:1] != group and region in KNOWN_MISSES:
        pytest.xfail(f"{region} is {code} at 128 columns ({KNOWN_MISSES[region]})")
    assert code[:1] == group, code


#: regions the model classes wrongly at 128 columns, and why (measured; README has 512). The Amazon
#: (Am, 1703 mm a year), the Congo (Aw, 1990) and Siberia (Dsb, 114) pass since planet.earth's lowland
#: interiors and its atmosphere settings (planet.processes.inland); they were BWk 103, BWh 22 and Dsb 0.
KNOWN_MISSES = {
    "central Australia": "828 mm a year, most of it in summer (it was BSk 576 mm): the monsoon trough's "
                         "convergence (climate.trough_shift, tropical_trough) reaches 24 S in January and the "
                         "air over Australia holds as much vapour as over the warm pool; B at 512 columns "
                         "(test_regions_and_shares_at_512, slow)",
}


def test_koppen_shares_within_8_points_of_peel(year):
    _, classes = year
    shares = K.group_shares(classes)
    off = {g: round(100 * (shares[g] - K.PEEL_SHARES[g]), 1) for g in K.GROUPS}
    misses = {g: d for g, d in off.items() if abs(d) > 8}
    # at 128 columns A/B/C/D/E = 18.1/30.5/15.0/18.7/17.7 % (9.3/43.4/16.1/13.1/18.1 before the lowland
    # interiors and planet.processes.inland); the README has 512 columns
    assert not misses, (f"Köppen shares off Peel et al. 2007 by more than 8 points at 128 columns: "
                        f"{ {g: round(100 * shares[g], 1) for g in K.GROUPS} } (differences {off})")


def test_koppen_statistics_and_cli(year, earth, tmp_path, capsys):
    from planet.analysis import stats as S

    _, classes = year
    names = [f"climate.koppen_{g}_share" for g in K.GROUPS]
    st = S.compute(earth.state, names, koppen=classes.values)
    for g, name in zip(K.GROUPS, names):
        assert st[name].value == pytest.approx(K.group_shares(classes)[g])
    assert st[names[0]].value + st[names[1]].value > 0
    assert S.compute(earth.state, names[:1])[names[0]].value is None      # no map: not computable
    assert main(["koppen", "--earth", "--resolution", "128", "--years", "0.5"]) == 2
    assert "years must be" in capsys.readouterr().err


def test_cli_run_and_film_on_earth(tmp_path):
    out = tmp_path / "earth.npz"
    assert main(["run", "--earth", "--resolution", "128", "--steps", "3", "--out", str(out), "--quiet"]) == 0
    state = planet.State.load(out)
    assert state.stages == ("climate", "atmosphere", "life") and state.step == 7563
    frames = tmp_path / "frames"
    assert main(["film", "--earth", "--resolution", "128", "--until", "126.2", "--fps", "10", "--size", "128x64",
                 "--backend", "cpu", "--no-captions", "--quiet", "--out", str(frames)]) == 0
    pngs = sorted(frames.glob("*.png"))
    assert len(pngs) == 2
    from PIL import Image

    img = np.asarray(Image.open(pngs[-1]))
    assert img.std() > 5                                          # a picture, not a blank frame


@pytest.mark.slow
def test_regions_and_shares_at_512():
    """The README's resolution: every region in its group and the Köppen shares within 8 points of
    Peel et al. 2007 (one model year at 512 columns, about two minutes on one core)."""
    classes = K.classes_of(K.climatology(planet.earth(512), years=1))
    for region, (group, (lat, lon)) in REGIONS.items():
        assert str(at(classes, lat, lon).values)[:1] == group, (region, str(at(classes, lat, lon).values))
    shares = K.group_shares(classes)
    assert all(abs(shares[g] - K.PEEL_SHARES[g]) <= 0.08 for g in K.GROUPS), shares
