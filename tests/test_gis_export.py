"""GIS-grade exports: GeoTIFF CRS and bounds, world files beside PNGs, fixed heightmap ranges and sizes,
a NetCDF that a CF checker passes."""
from __future__ import annotations


import numpy as np
import pytest

import planet
from planet.io import export as E
from planet.io import gis as G


@pytest.fixture(scope="module")
def state():
    return planet.Planet(128, seed=5).step(300)


def test_geotiff_has_epsg4326_bounds_and_the_fields_own_values(state, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    path = E.export(state, tmp_path / "w.tif", "geotiff")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4326
        assert tuple(src.bounds) == pytest.approx((-180.0, -90.0, 180.0, 90.0))
        assert src.res == pytest.approx((360 / 128, 180 / 64))
        band = src.read(1)
        assert src.scales == (1.0,) and src.offsets == (0.0,)
        # the value at a geographic point is the cell there, unstretched: sample at cell (j, i)'s centre
        z = state.elevation
        for j, i in [(5, 3), (40, 100), (63, 64)]:
            lat, lon = state.grid.lat[j], state.grid.lon[i]
            x = lon - 360 if lon > 180 else lon
            value = next(src.sample([(x, lat)]))[0]
            assert value == z[j, i]
    assert band.dtype == np.float32 and band.shape == (64, 128)


def test_geotiff_size(state, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    path = E.export(state, tmp_path / "w.tif", "geotiff", size=(512, 256))
    with rasterio.open(path) as src:
        assert (src.width, src.height) == (512, 256)
        assert tuple(src.bounds) == pytest.approx((-180.0, -90.0, 180.0, 90.0))


def test_png16_world_file_and_prj_place_the_pixels(state, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    path = E.export(state, tmp_path / "h.png", "png16")
    assert (tmp_path / "h.pgw").is_file() and (tmp_path / "h.prj").is_file()
    from rasterio.crs import CRS

    assert CRS.from_wkt((tmp_path / "h.prj").read_text()).to_epsg() == 4326
    with rasterio.open(path) as src:         # GDAL reads the world file
        assert tuple(src.bounds) == pytest.approx((0.0, -90.0, 360.0, 90.0))
        # the cell centre of (j, i) maps to pixel (j, i)
        row, col = src.index(state.grid.lon[77], state.grid.lat[20])
        assert (row, col) == (20, 77)


def test_png16_fixed_range_is_the_same_scale_for_every_file(state, tmp_path):
    E.export(state, tmp_path / "a.png", "png16", value_range=(-5.0, 20.0))
    grey_back, text = E.read_png16(tmp_path / "a.png")
    assert float(text["planet:min"]) == -5.0 and float(text["planet:max"]) == 20.0
    z = state.elevation.astype(np.float64)
    assert np.abs(grey_back - z).max() <= 25.0 / 65535 / 2 + 1e-9   # rounding to one grey level
    # values outside the range clip to 0 / 65535
    img, lo, hi = E.heightmap16(np.array([[-10.0, 0.0, 30.0]]), (0.0, 10.0))
    assert img.tolist() == [[0, 0, 65535]]


def test_resample_is_periodic_in_longitude_and_exact_on_linear_fields():
    H, W = 32, 64
    lat = 90 - 180 * (np.arange(H) + 0.5) / H
    z = np.broadcast_to(2.0 * lat[:, None], (H, W))
    out = G.resample(z, (128, 64))
    lat2 = 90 - 180 * (np.arange(64) + 0.5) / 64
    inner = slice(1, -1)                   # the outermost half cells are clamped at the poles
    np.testing.assert_allclose(out[inner, 0], 2 * lat2[inner], atol=1e-9)
    # a field equal to cos(lon) resampled at twice the columns: the first and last columns wrap
    lon = 360 * (np.arange(W) + 0.5) / W
    c = np.broadcast_to(np.cos(np.radians(lon))[None, :], (H, W))
    out = G.resample(c, (128, 32))
    lon2 = 360 * (np.arange(128) + 0.5) / 128
    np.testing.assert_allclose(out[0], np.cos(np.radians(lon2)), atol=2e-3)


@pytest.mark.parametrize("text, match", [("12", "--size must be"), ("0x5", "sides in"), ("3x99999", "sides in")])
def test_bad_size(text, match):
    with pytest.raises(ValueError, match=match):
        G.parse_size(text)


@pytest.mark.parametrize("text", ["5", "3,1", "a,b", "nan,2"])
def test_bad_range(text):
    with pytest.raises(ValueError, match="--range must be LO,HI"):
        G.parse_range(text)


def test_netcdf_cf_rules(state, tmp_path):
    """The CF rules we implement, read back with netCDF4 (no decoding)."""
    import netCDF4

    path = E.write_netcdf(state, tmp_path / "w.nc")
    with netCDF4.Dataset(path) as ds:
        assert ds.variables["crs"].grid_mapping_name == "latitude_longitude"
        for name in state.names:
            assert ds.variables[name].grid_mapping == "crs"
            assert "time" in ds.variables[name].coordinates.split()
        for name in ("lat", "lon", "lat_bnds", "lon_bnds", "crs", "time"):
            assert "_FillValue" not in ds.variables[name].ncattrs(), name
        t = ds.variables["time"]
        assert t.shape == () and t.standard_name == "time" and " since " in t.units
        assert float(t[...]) == pytest.approx(state.time)
        assert "planet" in ds.history and ds.Conventions.startswith("CF-")
    assert E.read_netcdf(path).equals(state)     # the round trip still holds


def test_cli_export_geotiff_png16_options_and_errors(state, tmp_path, capsys):
    from planet.cli import main

    src = tmp_path / "w.npz"
    state.save(src)
    assert main(["export", str(src), "--format", "png16", "--out", str(tmp_path / "h.png"),
                 "--size", "256x128", "--range=-1,16"]) == 0
    back, text = E.read_png16(tmp_path / "h.png")
    assert back.shape == (128, 256) and float(text["planet:max"]) == 16.0
    assert (tmp_path / "h.pgw").read_text().split()[0] == repr(360 / 256)
    assert main(["export", str(src), "--format", "geotiff", "--out", str(tmp_path / "g.tif")]) == 0
    capsys.readouterr()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["export", str(src), "--format", "png16", "--out", str(tmp_path / "x.png"), "--size", "7"]) == 2
    assert "--size must be WIDTHxHEIGHT" in capsys.readouterr().err
    assert main(["export", str(src), "--format", "geotiff", "--out", str(tmp_path / "x.tif"), "--range", "0,1"]) == 2
    assert "--range applies to --format png16 only" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before      # no file from a refused export
