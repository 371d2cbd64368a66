"""Heightmap import: reading every source, area-weighted resampling, the metres→model mapping, bad input."""
from __future__ import annotations

import numpy as np
import pytest

import planet
from planet.cli import main
from planet.core.grid import Grid
from planet.io import heightmap as hmap


def continents(rows=256, seed=3) -> np.ndarray:
    """A smooth global test map in metres, column 0 at 180° W: a few round continents up to 3 km."""
    rng = np.random.default_rng(seed)
    lat = np.radians(90 - 180 * (np.arange(rows) + 0.5) / rows)[:, None]
    lon = np.radians(-180 + 360 * (np.arange(2 * rows) + 0.5) / (2 * rows))[None, :]
    p = np.stack(np.broadcast_arrays(np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat) + 0 * lon))
    m = np.full(p.shape[1:], -4000.0)
    for _ in range(6):
        c = rng.normal(size=3)
        c /= np.linalg.norm(c)
        d = np.arccos(np.clip(np.tensordot(c, p, 1), -1, 1))
        m = np.maximum(m, 3000.0 * np.cos(np.minimum(d / 0.6, 1) * np.pi / 2) ** 0.7 - 500.0 + 0 * d)
    return m


@pytest.fixture(scope="module")
def metres():
    return continents()


@pytest.fixture(scope="module")
def reference(metres):
    return planet.Planet.from_heightmap(metres, resolution=128, stages=("climate",))


def land(world):
    return world.state.elevation > world.timeline.sea_level(world.time)


# -- resampling -------------------------------------------------------------------------------

def test_resampling_keeps_the_area_weighted_mean(metres):
    hm = hmap.read(metres)
    out = hmap.resample(hm, 64, 128)
    src_w = Grid(256, 512).area_weights
    assert (out * Grid(64, 128).area_weights).sum() == pytest.approx((metres * src_w).sum(), rel=1e-9)


def test_resampling_is_area_weighted_not_a_row_average():
    # a source whose rows 0..k hold 1 and the rest 0: a model row straddling the boundary holds the
    # share of its *area* (in sin φ) that is north of it, not the share of its latitude span
    src = np.zeros((90, 180))
    src[:25] = 1.0                                            # north of 40° N
    out = hmap.resample(hmap.read(src), 4, 8)                 # rows 90–45, 45–0, ...
    assert out[0] == pytest.approx(1.0)
    share = (np.sin(np.radians(45)) - np.sin(np.radians(40))) / np.sin(np.radians(45))
    assert out[1, 0] == pytest.approx(share, rel=1e-12)
    assert np.allclose(out[2:], 0.0)


def test_longitudes_wrap_and_west_sets_the_left_edge():
    src = np.zeros((64, 128))
    src[:, :64] = 1.0                                         # the western hemisphere when west = -180
    out = hmap.resample(hmap.read(src), 64, 128)              # model columns 0..360 east
    assert np.allclose(out[:, 64:], 1.0) and np.allclose(out[:, :64], 0.0)
    out0 = hmap.resample(hmap.read(src, west=0.0), 64, 128)
    assert np.allclose(out0[:, :64], 1.0)


# -- units --------------------------------------------------------------------------------------

def test_land_relief_cools_at_earths_lapse_rate():
    # 1 km above sea level → h = 0.4 (z − D) cools by lapse_rate × h: Earth's standard 6.5 °C per km
    D = 7.27
    z = hmap.metres_to_model(np.array([1000.0, 0.0, -5000.0, -9000.0]), 0.0, D)
    assert 0.4 * (z[0] - D) * planet.Config().climate.lapse_rate == pytest.approx(6.5, rel=1e-3)
    assert z[1] == pytest.approx(D) and z[2] == 0.0 and z[3] == 0.0   # 5 km of water: the model's floor
    assert np.allclose(hmap.model_to_metres(z[:3], D), [1000.0, 0.0, -5000.0], atol=0.5)


def test_land_fraction_sets_the_sea_level(metres):
    world = planet.Planet.from_heightmap(metres, resolution=128, land_fraction=0.25, stages=("climate",))
    share = float((land(world) * world.grid.area_weights).sum())
    assert share == pytest.approx(0.25, abs=0.01)
    assert world.heightmap["land_fraction"] == pytest.approx(share, abs=0.01)


# -- sources: PNG, GeoTIFF, NetCDF, DataArray, .npy round trips --------------------------------

def test_png16_round_trips_to_the_same_land(metres, reference, tmp_path):
    from PIL import Image

    scale, offset = 0.25, -8000.0                              # 16-bit levels of 25 cm from -8 km
    levels = np.round((metres - offset) / scale).astype(np.uint16)
    Image.fromarray(levels).save(tmp_path / "map.png")
    assert Image.open(tmp_path / "map.png").mode.startswith("I;16")
    world = planet.Planet.from_heightmap(tmp_path / "map.png", resolution=128, scale=scale, offset=offset,
                                         stages=("climate",))
    assert np.mean(land(world) != land(reference)) <= 0.002


def test_png8_uses_the_documented_grey_range(tmp_path):
    from PIL import Image

    grey = np.zeros((128, 256), np.uint8)
    grey[:, :128] = 255                                       # white: +6000 m; black: -6000 m
    Image.fromarray(grey).save(tmp_path / "map.png")
    world = planet.Planet.from_heightmap(tmp_path / "map.png", resolution=128, stages=("climate",))
    z = world.state.elevation
    D = world.timeline.sea_level(world.time)
    assert z[:, 64:].max() == pytest.approx(D + 6000 / hmap.METRES_PER_UNIT, rel=1e-5)   # west of 0°: land
    assert z[:, :64].max() == 0.0


def test_geotiff_round_trips_to_the_same_land(metres, reference, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_bounds

    path = tmp_path / "map.tif"
    with rasterio.open(path, "w", driver="GTiff", height=metres.shape[0], width=metres.shape[1], count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_bounds(-180, -90, 180, 90, metres.shape[1], metres.shape[0])) as ds:
        ds.write(metres.astype(np.float32), 1)
    world = planet.Planet.from_heightmap(path, resolution=128, stages=("climate",))
    assert np.mean(land(world) != land(reference)) <= 0.002


def test_dataarray_and_netcdf_with_their_own_coordinates(metres, reference, tmp_path):
    import xarray as xr

    rows = metres.shape[0]
    lat = -90 + 180 * (np.arange(rows) + 0.5) / rows                 # south first
    lon = 360 * (np.arange(2 * rows) + 0.5) / (2 * rows)              # 0..360
    shifted = np.roll(metres, -rows, axis=1)[::-1]                   # the same map on those coordinates
    da = xr.DataArray(shifted, coords={"latitude": lat, "longitude": lon}, dims=("latitude", "longitude"))
    world = planet.Planet.from_heightmap(da, resolution=128, stages=("climate",))
    assert np.mean(land(world) != land(reference)) <= 0.002
    da.to_dataset(name="topo").to_netcdf(tmp_path / "map.nc")
    again = planet.Planet.from_heightmap(tmp_path / "map.nc", resolution=128, stages=("climate",))
    assert np.array_equal(again.state.elevation, world.state.elevation)
    np.save(tmp_path / "map.npy", metres)
    npy = planet.Planet.from_heightmap(tmp_path / "map.npy", resolution=128, stages=("climate",))
    assert np.array_equal(npy.state.elevation, reference.state.elevation)


# -- the world -------------------------------------------------------------------------------------

def test_frozen_terrain_world_runs_and_keeps_its_terrain(reference, metres):
    world = planet.Planet.from_heightmap(metres, resolution=128, stages=("climate", "atmosphere", "life"))
    assert world.time == pytest.approx(126.0)
    z0 = world.state.elevation.copy()
    state = world.step(30)
    assert np.array_equal(state.elevation, z0)
    for name in state.names:
        assert np.isfinite(state[name]).all(), name
    assert state.rain.max() > 0 and state.vapour.max() > 0


def test_whole_story_from_an_earlier_start(metres):
    world = planet.Planet.from_heightmap(metres, resolution=128, start=60.0)
    assert world.stages == ("lithosphere", "climate", "atmosphere", "life")
    assert world.state.step == 3600
    state = world.step(20)
    assert all(np.isfinite(state[n]).all() for n in state.names)
    assert (state.drainage_area > 0).any()


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda p: np.zeros((100, 150)), "not 2:1"),
    (lambda p: np.where(np.eye(64, 128, dtype=bool), np.nan, 1.0), "NaN"),
    (lambda p: np.ma.masked_array(np.ones((64, 128)), mask=np.eye(64, 128, dtype=bool)), "masked"),
    (lambda p: np.full((128, 256), -100.0), "all ocean"),
    (lambda p: np.full((128, 256), 100.0), "all land"),
    (lambda p: np.ones((64, 128, 3)), "2-D"),
    (lambda p: p / "missing.png", "does not exist"),
    (lambda p: (p / "notes.txt").write_text("hello") and p / "notes.txt", "not a readable image"),
    (lambda p: (p / "fake.tif").write_bytes(b"II*\x00garbage") and p / "fake.tif", "not a readable GeoTIFF"),
])
def test_bad_input_is_one_clear_line(tmp_path, make, message):
    with pytest.raises(hmap.HeightmapError, match=message) as err:
        planet.Planet.from_heightmap(make(tmp_path), resolution=128)
    assert "\n" not in str(err.value)


def test_a_resolution_the_map_cannot_fill(metres):
    with pytest.raises(hmap.HeightmapError, match=r"resolution 1024 needs a map of at least 1024x512.*<= 512"):
        planet.Planet.from_heightmap(metres, resolution=1024)
    with pytest.raises(hmap.HeightmapError, match="too small"):
        planet.Planet.from_heightmap(np.ones((32, 64)))


def test_colour_png_is_refused(tmp_path):
    from PIL import Image

    Image.new("RGB", (256, 128)).save(tmp_path / "c.png")
    with pytest.raises(hmap.HeightmapError, match="colour image"):
        planet.Planet.from_heightmap(tmp_path / "c.png")


def test_cli_heightmap_bad_file_exits_2_without_output(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a map")
    out = tmp_path / "w.npz"
    assert main(["run", "--heightmap", str(bad), "--resolution", "128", "--steps", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("planet: error: heightmap") and not out.exists()
    assert main(["run", "--sea-level", "10", "--steps", "1", "--resolution", "128"]) == 2
    assert "need --heightmap" in capsys.readouterr().err


def test_cli_heightmap_runs(tmp_path, metres):
    np.save(tmp_path / "m.npy", metres)
    out = tmp_path / "w.npz"
    assert main(["run", "--heightmap", str(tmp_path / "m.npy"), "--resolution", "128", "--land-fraction", "0.3",
                 "--stages", "climate,atmosphere,life", "--steps", "5", "--out", str(out), "--quiet"]) == 0
    state = planet.State.load(out)
    assert state.step == 7565 and state.stages == ("climate", "atmosphere", "life")
