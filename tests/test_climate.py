"""Climate stage (spec §5): formulas by hand, the blur, winds, warming."""
import math

import numpy as np
import pytest

from planet.processes.climate import (ClimateStage, blur, box_average, climate_fields, climate_level, climate_map,
                            formulas, upsample, wind)
from planet.core.config import Config
from planet.core.grid import Grid
from planet.processes.lithosphere.protoplanet import protoplanet
from planet.core.stage import Context
from planet.core.timeline import Timeline


# ---------------------------------------------------------------------------
# The point formulas, against numbers worked out by hand from the spec

def test_annual_mean_pressure_by_hand():
    lat = np.array([0.0, 22.5, 45.0, 0.0, 15.0, 30.0, 60.0, -30.0])
    land = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    mean, _, _ = formulas(lat, land, 1012.0, season=0.0)
    # land 1012.5 − 6 cos(φπ/45): φ=0 → 1012.5 − 6 = 1006.5; φ=22.5 → cos(π/2) = 0 → 1012.5;
    #   φ=45 → cos(π) = −1 → 1018.5
    # ocean 1014.5 − 20 cos(φπ/30): φ=0 → 994.5; φ=15 → 1014.5; φ=30 → cos(π) → 1034.5;
    #   φ=60 → cos(2π) = 1 → 994.5; φ=−30 → 1034.5
    np.testing.assert_allclose(mean, [1006.5, 1012.5, 1018.5, 994.5, 1014.5, 1034.5, 994.5, 1034.5], atol=2e-3)


def test_amplitude_by_hand():
    lat = np.array([45.0, -45.0, 90.0, 17.5, -17.5, 35.0])
    land = np.array([1, 1, 1, 0, 0, 0])
    _, amp, _ = formulas(lat, land, 1012.0, season=0.0)
    # land 15 sin(φπ/90): ±45 → ±15; 90 → sin(π) = 0
    # ocean 20 sin(φπ/35) |φ|/90: 17.5 → 20 · 1 · 17.5/90 = 3.8889; −17.5 → −3.8889; 35 → sin(π) = 0
    np.testing.assert_allclose(amp, [15.0, -15.0, 0.0, 3.888889, -3.888889, 0.0], atol=1e-4)


def test_sea_level_temperature_by_hand():
    # φ = 0, season 0, p = 1012: x = 0, tanh(2.2 e^0) = tanh(2.2) = 0.9757431;
    #   T0 = (−27 + 73 · 0.9757431)/1.8 = (−27 + 71.229246)/1.8 = 24.571803; land adds 1.5 → 26.071803
    # φ = 30, season +1 (January), p = 1020 (ocean): x = 35/30 = 1.1666667, ½x² = 0.6805556,
    #   e^−0.6805556 = 0.5063356, 2.2 · that = 1.1139384, tanh = 0.8054501;
    #   T0 = (−27 + 73 · 0.8054501 − 8)/1.8 = (−27 + 58.797860 − 8)/1.8 = 13.221033
    # φ = 30, season −1 (July), p = 1004 (land): x = 25/30, ½x² = 0.3472222, e^− = 0.7066482,
    #   2.2 · that = 1.5546262, tanh = 0.9145456; T0 = (−27 + 66.761827 + 8)/1.8 + 1.5 = 28.034348
    T = np.concatenate([formulas([0.0, 0.0], [0, 1], 1012.0, season=0.0)[2],
                        formulas([30.0], [0], 1020.0, season=1.0)[2],
                        formulas([30.0], [1], 1004.0, season=-1.0)[2]])
    np.testing.assert_allclose(T, [24.571803, 26.071803, 13.221033, 28.034348], atol=2e-4)
    # warmed: (9 + 50 tanh(2.2))/1.8 + 4 land at φ = 0, p = 1012 → (9 + 48.787155)/1.8 = 32.103975 (+4 on land)
    warm = formulas([0.0, 0.0], [0, 1], 1012.0, season=0.0, warm=1.0)[2]
    np.testing.assert_allclose(warm, [32.103975, 36.103975], atol=2e-4)


def _flat_world(grid, ocean: bool, value=None):
    z = np.full(grid.shape, 0.0 if ocean else 12.0, dtype=np.float32)
    return z


@pytest.mark.parametrize("ocean", [True, False])
@pytest.mark.parametrize("t, season", [(0.0, 1.0), (12.0, -1.0)])   # January (m = 0), July (m = 6)
def test_climate_map_pressure_and_temperature_both_seasons(ocean, t, season):
    """Unblurred (σ = 0) on a flat all-ocean / all-land world, the climate map holds the
    formulas at its row latitudes, with p = mean ± amplitude in January / July."""
    grid = Grid(64, 128)
    cfg = Config().replace(climate={"sigma_mean_deg": 0.0, "sigma_amplitude_deg": 0.0, "sigma_height_deg": 0.0})
    D = 7.0
    z = np.full(grid.shape, 0.0 if ocean else D + 2.5, dtype=np.float32)   # land: h = 0.4 · 2.5 = 1
    c = climate_fields(z, D, t, cfg)
    assert c["season"] == pytest.approx(season)
    lat = c["map"].lat.astype(np.float64)
    land = 0.0 if ocean else 1.0
    if ocean:
        mean = 1014.5 - 20 * np.cos(lat * np.pi / 30)
        amp = 20 * np.sin(lat * np.pi / 35) * np.abs(lat) / 90
    else:
        mean = 1012.5 - 6 * np.cos(lat * np.pi / 45)
        amp = 15 * np.sin(lat * np.pi / 90)
    p = mean + amp * season
    T0 = (-27 + 73 * np.tanh(2.2 * np.exp(-0.5 * ((lat + 5 * season) / 30) ** 2)) - (p - 1012)) / 1.8 + 1.5 * land
    T = T0 - 4.0 * (0.0 if ocean else 1.0)
    np.testing.assert_allclose(c["pressure"], np.broadcast_to(p[:, None], c["pressure"].shape), atol=3e-3)
    np.testing.assert_allclose(c["temperature"], np.broadcast_to(T[:, None], c["temperature"].shape), atol=3e-3)


# ---------------------------------------------------------------------------
# Climate map geometry, box average, up-sampling

def test_climate_level_and_map_width():
    assert [climate_level(w) for w in (128, 256, 512, 1024, 2048, 4096)] == [1, 1, 1, 2, 3, 4]
    for w in (512, 1024, 2048, 4096):
        assert 144 <= w // 2 ** climate_level(w) <= 288


def test_box_average_handles_partial_boxes():
    a = np.arange(5 * 7, dtype=np.float32).reshape(5, 7)
    b = box_average(a, 2)
    assert b.shape == (3, 4)
    assert b[0, 0] == pytest.approx(a[:2, :2].mean())
    assert b[2, 3] == pytest.approx(a[4:, 6:].mean())      # a 1×1 corner box
    assert b[1, 3] == pytest.approx(a[2:4, 6:].mean())     # a 2×1 edge box


def test_upsample_reproduces_linear_fields_and_wraps():
    cm = climate_map(64, 128)
    Hc, Wc = cm.shape
    rows = np.arange(Hc, dtype=np.float32)[:, None] * np.ones(Wc, dtype=np.float32)
    full = upsample(rows, cm)
    # linear in the row index: full row j sits at climate row (j − ½)/2 (clamped at the ends)
    expect = np.clip((np.arange(64) - 0.5) / 2.0, 0, Hc - 1)
    np.testing.assert_allclose(full[:, 5], expect, atol=1e-5)
    # in longitude, full column 0 lies between the last and the first climate column
    cols = np.ones(Hc, dtype=np.float32)[:, None] * np.arange(Wc, dtype=np.float32)
    full = upsample(cols, cm)
    assert full[3, 0] == pytest.approx(0.75 * 0 + 0.25 * (Wc - 1))
    assert full[3, 1] == pytest.approx(0.25 * 1 + 0.75 * 0)


# ---------------------------------------------------------------------------
# The blur

def _map(rows):
    cm = climate_map(rows, 2 * rows)
    return cm, cm.row_area


def test_blur_keeps_a_constant_field_constant():
    cm, area = _map(128)
    out = blur(np.full(cm.shape, 1013.25, dtype=np.float32), 8.4375, cm.cell_deg, area)
    np.testing.assert_allclose(out, 1013.25, rtol=1e-6)


@pytest.mark.parametrize("sigma", [1.40625, 8.4375, 40.0])
def test_blur_conserves_the_area_weighted_mean(sigma):
    cm, area = _map(128)
    rng = np.random.default_rng(1)
    f = rng.random(cm.shape, dtype=np.float32) * 10
    f[:5] += 50.0                                   # a hot polar cap, to load the pole rows
    out = blur(f, sigma, cm.cell_deg, area)
    w = np.broadcast_to(area[:, None], cm.shape)
    assert (out * w).sum() / w.sum() == pytest.approx((f * w).sum() / w.sum(), rel=2e-6)
    assert out.std() < f.std()                      # and it did blur


def _second_moment_deg(profile, cell_deg, centre):
    x = (np.arange(profile.size) - centre) * cell_deg
    return math.sqrt((profile * x * x).sum() / profile.sum())


@pytest.mark.parametrize("sigma", [5.625, 8.4375])
def test_blur_width_in_degrees_does_not_depend_on_resolution(sigma):
    widths = []
    for rows in (64, 128):                       # climate maps 64 and 128 rows (128 and 256 columns)
        cm, area = _map(rows)
        Hc, Wc = cm.shape
        f = np.zeros(cm.shape, dtype=np.float32)
        f[:, Wc // 2] = 1.0                       # a meridian line: the longitude kernel
        lon = blur(f, sigma, cm.cell_deg, area)[Hc // 2]
        g = np.zeros(cm.shape, dtype=np.float32)
        g[Hc // 2] = 1.0                          # the equator-side row: the latitude kernel
        lat = blur(g, sigma, cm.cell_deg, area)[:, 0]
        widths.append((_second_moment_deg(lon, cm.cell_deg, Wc // 2), _second_moment_deg(lat, cm.cell_deg, Hc // 2)))
    (lon_a, lat_a), (lon_b, lat_b) = widths
    assert lon_a == pytest.approx(sigma, rel=0.03) and lon_b == pytest.approx(sigma, rel=0.03)
    assert lat_a == pytest.approx(lat_b, rel=0.05)
    assert lat_a == pytest.approx(sigma, rel=0.1)


def test_blur_against_naive_numpy():
    """Longitude pass = wrapped Gaussian convolution, checked on a field constant along each
    meridian, away from the poles (there the latitude pass is the identity: its rows sum to 1)."""
    cm, area = _map(64)
    Hc, Wc = cm.shape
    rng = np.random.default_rng(2)
    row = rng.random(Wc).astype(np.float32)
    f = np.broadcast_to(row, cm.shape).copy()
    sigma_cells = 8.4375 / cm.cell_deg
    r = math.ceil(10 * sigma_cells / 3)
    g = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma_cells) ** 2)
    g /= g.sum()
    naive = sum(g[k + r] * np.roll(row.astype(np.float64), -k) for k in range(-r, r + 1))
    out = blur(f, 8.4375, cm.cell_deg, area)
    mid = slice(r + 1, Hc - r - 1)     # rows whose latitude kernel does not reach over a pole
    assert out[mid].shape[0] > 10
    np.testing.assert_allclose(out[mid], np.broadcast_to(naive, out[mid].shape), atol=2e-5)


def test_blur_rejects_bad_input():
    cm, area = _map(64)
    with pytest.raises(ValueError, match="sigma_deg"):
        blur(np.zeros(cm.shape, np.float32), -1.0, cm.cell_deg, area)
    with pytest.raises(ValueError, match="row_area"):
        blur(np.zeros(cm.shape, np.float32), 1.0, cm.cell_deg, area[:-1])


# ---------------------------------------------------------------------------
# Winds

def _blob(lat_c, rows=64, amp=10.0, width=4.0):
    cm = climate_map(rows * 2, rows * 4)
    Hc, Wc = cm.shape
    jc = int(np.argmin(np.abs(cm.lat - lat_c)))
    ic = Wc // 2
    jj, ii = np.meshgrid(np.arange(Hc), np.arange(Wc), indexing="ij")
    p = 1012.0 + amp * np.exp(-((jj - jc) ** 2 + (ii - ic) ** 2) / (2 * width ** 2))
    return cm, p.astype(np.float32), jc, ic


def _circulation(u, v, jc, ic, r=4):
    """Σ v·t around a square of half-side r, t the anticlockwise tangent (x east, y north = −row)."""
    total = 0.0
    for k in range(-r, r + 1):
        total += v[jc - k, ic + r]      # east side: tangent north
        total -= v[jc - k, ic - r]      # west side: tangent south
        total -= u[jc - r, ic + k]      # north side (row jc − r): tangent west
        total += u[jc + r, ic + k]      # south side: tangent east
    return total


def test_coriolis_turns_high_pressure_clockwise_in_the_north_anticlockwise_in_the_south():
    for lat_c, sign in ((45.0, -1), (-45.0, +1)):
        cm, p, jc, ic = _blob(lat_c)
        u, v = wind(p, cm.lat, 15.0)
        circ = _circulation(u, v, jc, ic)
        assert np.sign(circ) == sign, (lat_c, circ)
        # east of a northern high the wind blows south (clockwise), north of it east
        if lat_c > 0:
            assert v[jc, ic + 4] < 0 and u[jc - 4, ic] > 0
        else:
            assert v[jc, ic + 4] > 0 and u[jc - 4, ic] < 0


def test_no_coriolis_at_the_equator():
    cm, p, jc, ic = _blob(45.0)
    u, v = wind(p, np.zeros_like(cm.lat), 15.0)      # every row at latitude 0
    assert abs(_circulation(u, v, jc, ic)) < 1e-4
    # the wind is then exactly down the gradient: v = −∇p (central differences)
    gx = (np.roll(p, -1, axis=1) - np.roll(p, 1, axis=1)) / 2
    np.testing.assert_allclose(u[1:-1], -gx[1:-1], atol=1e-4)


# ---------------------------------------------------------------------------
# Warming

def _earthlike(grid, timeline, land_fraction=0.3):
    """The protoplanet's relief shifted so that ``land_fraction`` of the cells stand above sea level."""
    z = protoplanet(grid, 0)["elevation"]
    D = timeline.sea_level(200.0)
    return np.maximum(z - np.quantile(z, 1 - land_fraction) + D, 0).astype(np.float32)


def _global_mean_temperature(z, t, cfg, timeline, grid):
    c = climate_fields(z, timeline.sea_level(200.0), t, cfg)    # one sea level: only the climate changes
    T = upsample(c["stack"], c["map"])[1]
    return float((T * grid.area_weights).sum())


def test_warming_raises_global_mean_temperature_by_5_to_12_degrees():
    grid = Grid(64, 128)
    cfg = Config()
    tl = Timeline(cfg.schedule)
    z = _earthlike(grid, tl)
    before = _global_mean_temperature(z, 200.0, cfg, tl, grid)
    after = _global_mean_temperature(z, 220.0, cfg, tl, grid)
    assert 5.0 <= after - before <= 12.0, (before, after)
    # and it is undone 5–15 s after story end (270 s and 198 s are the same time of year)
    undone = _global_mean_temperature(z, 270.0, cfg, tl, grid)
    assert undone == pytest.approx(_global_mean_temperature(z, 270.0 - 72.0, cfg, tl, grid), abs=1e-3)


# ---------------------------------------------------------------------------
# The stage

def test_stage_fields_are_full_resolution_and_in_range():
    grid = Grid(64, 128)
    cfg = Config()
    tl = Timeline(cfg.schedule)
    st = ClimateStage()
    fields = {"elevation": protoplanet(grid, 0)["elevation"]}
    ctx = Context(step=6000, time=100.0, seed=0, grid=grid, config=cfg, timeline=tl)
    out = st.advance(fields, ctx)
    assert set(out) == set(st.writes)
    for name, a in out.items():
        assert a.shape == grid.shape and a.dtype == np.float32 and np.isfinite(a).all()
    assert 950 < out["pressure"].min() and out["pressure"].max() < 1060
    assert -60 < out["temperature"].min() and out["temperature"].max() < 50
    speed = np.hypot(out["wind_u"], out["wind_v"])
    assert speed.max() <= 1.0 + 1e-5 and speed.mean() > 0.3       # the advecting wind, clamped to 1
    assert "climate" in ctx.scratch


def test_initial_climate_is_the_climate_of_the_protoplanet():
    grid = Grid(64, 128)
    terrain = protoplanet(grid, 3)
    a = ClimateStage().initial(grid, Config(), 3, terrain)
    assert set(a) == {"pressure", "temperature", "wind_u", "wind_v"}
    b = climate_fields(terrain["elevation"], 0.0, 0.0, Config())  # sea level at t = 0 is 0
    np.testing.assert_array_equal(a["pressure"], upsample(b["stack"], b["map"])[0])


@pytest.mark.parametrize("ocean", [True, False])
@pytest.mark.parametrize("t, season", [(0.0, 1.0), (12.0, -1.0)])   # January, July
def test_the_winds_pressure_terms_by_hand(ocean, t, season):
    """monsoon, trough_shift and tropical_trough (planet.earth's switches), unblurred on a flat
    all-ocean / all-land world: the pressure is the spec's at the shifted latitude φ + shift·s, plus
    over land the continental term monsoon · s · sin φ (the blurred land fraction is 1) and the
    tropical trough (ocean − land annual mean) · smoothstep(20, 5, |φ|); the temperature is the
    spec's at the unshifted pressure (the terms move the wind only)."""
    grid = Grid(64, 128)
    flat = {"sigma_mean_deg": 0.0, "sigma_amplitude_deg": 0.0, "sigma_height_deg": 0.0}
    plain = Config().replace(climate=flat)
    cfg = Config().replace(climate=dict(flat, monsoon=30.0, trough_shift=10.0, tropical_trough=1.0))
    D = 7.0
    z = np.full(grid.shape, 0.0 if ocean else D + 2.5, dtype=np.float32)
    c, ref = climate_fields(z, D, t, cfg), climate_fields(z, D, t, plain)
    lat = c["map"].lat.astype(np.float64)
    ocean_mean = lambda x: 1014.5 - 20 * np.cos(x * np.pi / 30)    
    land_mean = lambda x: 1012.5 - 6 * np.cos(x * np.pi / 45)      
    x = lat + 10.0 * season
    if ocean:
        p = ocean_mean(x) + 20 * np.sin(lat * np.pi / 35) * np.abs(lat) / 90 * season
    else:
        k = np.clip((20 - np.abs(lat)) / 15, 0, 1)
        p = (land_mean(x) + 15 * np.sin(lat * np.pi / 90) * season + 30.0 * season * np.sin(np.radians(lat))
             + (ocean_mean(lat) - land_mean(lat)) * k * k * (3 - 2 * k))
    np.testing.assert_allclose(c["pressure"], np.broadcast_to(p[:, None], c["pressure"].shape), atol=5e-3)
    np.testing.assert_array_equal(c["temperature"], ref["temperature"])
    # July over land: a low over the summer hemisphere's land, relative to the plain climate
    if not ocean and season < 0:
        north = (lat > 25) & (lat < 70)
        assert (c["pressure"][north] < ref["pressure"][north]).all()


def test_the_sea_thermostat_by_hand():
    """climate.sea_temperature_max: over the sea T ← T_max − 2 ln(1 + exp((T_max − T)/2)) (°C), land
    untouched; far below the ceiling T is kept, at it T_max − 2 ln 2; the warming blends it out."""
    grid = Grid(64, 128)
    D = 7.0
    z = np.full(grid.shape, 0.0, np.float32)
    z[:, 64:] = D + 2.5                                                    # the east half is land
    plain, capped = Config(), Config().replace(climate={"sea_temperature_max": 20.0})
    for t, k in ((130.0, 0.0), (230.0, 1.0)):                              # present day; fully warmed
        c, ref = climate_fields(z, D, t, capped), climate_fields(z, D, t, plain)
        T = ref["temperature"].astype(np.float64)
        sea = c["land"] < 0.5
        expect = np.where(sea, k * T + (1 - k) * (20.0 - 2.0 * np.log1p(np.exp((20.0 - T) / 2.0))), T)
        np.testing.assert_allclose(c["temperature"], expect, atol=2e-4)
        if k == 0.0:
            assert c["temperature"][sea].max() < 20.0 < T[sea].max()       # a ceiling the warm sea approaches
            cold = sea & (T < 0)
            np.testing.assert_allclose(c["temperature"][cold], T[cold], atol=0.01)


def test_the_heat_low_is_the_monsoon_term():
    """climate_fields' ``heat_low`` (what atmosphere.heat_low_rain takes out of the raining wind) is
    the continental term alone: the pressure less it is the pressure without climate.monsoon."""
    grid = Grid(64, 128)
    D = 7.0
    z = np.full(grid.shape, 0.0, np.float32)
    z[10:40, 30:90] = D + 2.5                                              # a northern continent
    earthlike = dict(trough_shift=10.0, tropical_trough=1.0)
    with_low = Config().replace(climate=dict(earthlike, monsoon=50.0))
    without = Config().replace(climate=earthlike)
    for t in (0.0, 12.0):                                                  # January, July
        c, ref = climate_fields(z, D, t, with_low), climate_fields(z, D, t, without)
        assert ref["heat_low"] is None and np.abs(c["heat_low"]).max() > 10
        np.testing.assert_allclose(c["pressure"] - c["heat_low"], ref["pressure"], atol=1e-3)


def test_the_terrain_part_is_reused_only_while_the_terrain_and_sea_level_stand_still():
    """``TerrainSources`` gives ``terrain_sources``' arrays bit for bit, the same arrays again while
    the elevation and the sea level are unchanged, and fresh ones when either changes (an
    elevation edited in place included)."""
    from planet.processes.climate.physics import TerrainSources, terrain_sources
    cfg = Config()
    z = protoplanet(Grid.from_resolution(256), 3)["elevation"].copy()
    cache = TerrainSources()
    first = cache(z, 2.0, cfg)
    for a, b in zip(first, terrain_sources(z, 2.0, cfg)):
        assert np.array_equal(a, b)
    assert all(a is b for a, b in zip(cache(z.copy(), 2.0, cfg), first))
    z[10:20, 30:60] += 40.0                         # the terrain changes in place
    edited = cache(z, 2.0, cfg)
    assert not np.array_equal(edited[0], first[0])
    for a, b in zip(edited, terrain_sources(z, 2.0, cfg)):
        assert np.array_equal(a, b)
    assert not np.array_equal(cache(z, 3.0, cfg)[3], edited[3]) or not np.array_equal(cache(z, 3.0, cfg)[1], edited[1])


def test_the_terrain_part_is_keyed_on_the_box_averaged_terrain():
    """The climate sees the terrain only through its box averages ``zc``: an edit that leaves every
    box's average as it was keeps the memo's arrays (and they equal the function's), one that moves
    a box's average recomputes them."""
    from planet.processes.climate.coarse import box_average, climate_map
    from planet.processes.climate.physics import TerrainSources, terrain_sources
    cfg = Config()
    z = np.full((256, 512), 3.0, np.float32)
    z[100:140, 200:300] = 9.0                       # a continent of whole integers: box sums are exact
    f = climate_map(*z.shape).factor
    cache = TerrainSources()
    first = cache(z, 5.0, cfg)
    z[0, 0], z[0, 1] = 2.0, 4.0                     # same box, same sum: the averages stand still
    assert np.array_equal(box_average(z, f), first[0])
    again = cache(z, 5.0, cfg)
    assert all(a is b for a, b in zip(again, first))
    for a, b in zip(again, terrain_sources(z, 5.0, cfg)):
        assert np.array_equal(a, b)
    z[0, 0] = 30.0                                  # this box's average rises above the sea (5)
    moved = cache(z, 5.0, cfg)
    assert moved[3][0, 0] == 1.0 and first[3][0, 0] == 0.0
    for a, b in zip(moved, terrain_sources(z, 5.0, cfg)):
        assert np.array_equal(a, b)


def test_a_blur_far_narrower_than_a_cell_is_the_identity_without_warnings():
    import warnings
    from planet.processes.climate.blur import gaussian_taps
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # (x / σ)² overflowed for σ = 1e-200 before
        for sigma in (1e-200, 1e-12):
            np.testing.assert_array_equal(gaussian_taps(sigma), [0.0, 1.0, 0.0])
    assert gaussian_taps(6.0).size == 41 and gaussian_taps(6.0).sum() == pytest.approx(1.0)
