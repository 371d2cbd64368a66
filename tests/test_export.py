"""planet.io.export: xarray coordinates and attributes, NetCDF round trip, npz, 16-bit PNG, atomic writes."""
from __future__ import annotations

import json

import numpy as np
import pytest

import planet
from planet.core.fields import FIELDS
from planet.io import export as E


@pytest.fixture(scope="module")
def state():
    s = planet.Planet(128, seed=7, config=planet.Config().replace(life={"dt": 0.05})).step(1500)
    plate = np.where(s.grid.lat[:, None] > 0, 0.25, -1.0) + np.zeros(s.shape)
    return s.replace(plate=plate)


def test_to_xarray_coordinates(state):
    ds = state.to_xarray()
    assert ds["elevation"].dims == ("lat", "lon")
    np.testing.assert_allclose(ds["lat"], 90 - 180 * (np.arange(64) + 0.5) / 64)
    np.testing.assert_allclose(ds["lon"], 360 * (np.arange(128) + 0.5) / 128)
    assert ds["lat"][0] > ds["lat"][-1]  # north first, as the arrays
    assert dict(ds["lat"].attrs, bounds=None) == {"units": "degrees_north", "standard_name": "latitude",
                                                  "long_name": "latitude of the cell centre", "axis": "Y",
                                                  "bounds": None}
    assert ds["lon"].attrs["units"] == "degrees_east" and ds["lon"].attrs["axis"] == "X"
    assert ds["lon"].attrs["standard_name"] == "longitude"
    # cell bounds tile the sphere
    np.testing.assert_allclose(ds["lat_bnds"][:, 0][1:], ds["lat_bnds"][:, 1][:-1])
    assert float(ds["lat_bnds"][0, 0]) == 90 and float(ds["lat_bnds"][-1, 1]) == -90
    assert float(ds["lon_bnds"][0, 0]) == 0 and float(ds["lon_bnds"][-1, 1]) == 360
    # selecting by coordinate finds the right cell
    j, i = 10, 100
    cell = ds["elevation"].sel(lat=state.grid.lat[j], lon=state.grid.lon[i])
    assert float(cell) == state.elevation[j, i]


def test_to_xarray_attributes(state):
    ds = state.to_xarray()
    for name in state.names:
        assert ds[name].dtype == np.float32
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"], name
    assert "model elevation units" in ds["elevation"].attrs["comment"]
    assert ds.attrs["Conventions"].startswith("CF-")
    assert ds.attrs["seed"] == 7 and ds.attrs["step"] == 1500 and ds.attrs["time"] == pytest.approx(25.0)
    assert ds.attrs["planet_version"] == planet.__version__
    assert ds.attrs["sea_level"] == pytest.approx(planet.Timeline().sea_level(25.0))
    assert planet.Config.from_json(ds.attrs["config"]) == state.config
    assert planet.Config.from_json(ds.attrs["config"]).life.dt == 0.05
    assert E.field_attrs("temperature") == {"units": "degC", "long_name": "surface air temperature",
                                            "standard_name": "air_temperature",
                                            "comment": FIELDS["temperature"].meaning}
    assert E.field_attrs("pressure")["units"] == "hPa"


def test_netcdf_round_trip(state, tmp_path):
    path = E.write_netcdf(state, tmp_path / "world.nc")
    back = E.read_netcdf(path)
    assert back.equals(state)  # bit-identical arrays, step and seed
    assert back.config == state.config and back.stages == state.stages
    import xarray as xr

    with xr.open_dataset(path) as ds:  # any CF reader sees the same
        np.testing.assert_array_equal(ds["elevation"].values, state.elevation)
        assert ds["lat"].attrs["units"] == "degrees_north"
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_netcdf_written_with_drainage_area_in_cells_reads_km2(state, tmp_path):
    """An export whose ``drainage_area`` has units "1" (written when the field was an upstream cell
    count) reads as km²: the count times the cell's own area; one in km2 reads as written."""
    import xarray as xr

    from planet.core.state import state_checksum

    assert state.drainage_area.max() > 0
    path = E.write_netcdf(state, tmp_path / "world.nc")
    with xr.open_dataset(path) as ds:
        assert ds["drainage_area"].attrs["units"] == "km2"
        old = ds.load()
    counts = np.zeros(state.shape, np.float32)
    counts[10, 3], counts[32, 7] = 5.0, 200.0
    old["drainage_area"].values[:] = counts
    old["drainage_area"].attrs["units"] = "1"
    fields = {n: np.ascontiguousarray(old[n].values, np.float32) for n in str(old.attrs["fields"]).split(",")}
    old.attrs["checksum"] = state_checksum(E._identity(dict(old.attrs)), fields)
    old.to_netcdf(tmp_path / "old.nc", engine="netcdf4")
    back = E.read_netcdf(tmp_path / "old.nc")
    cell = state.grid.area_km2[:, 0]
    assert back.drainage_area[10, 3] == pytest.approx(5 * cell[10], rel=1e-6)
    assert back.drainage_area[32, 7] == pytest.approx(200 * cell[32], rel=1e-6)
    assert np.count_nonzero(back.drainage_area) == 2
    assert back.replace(drainage_area=state.drainage_area).equals(state)


def test_read_netcdf_refuses_foreign_files(tmp_path):
    import xarray as xr

    xr.Dataset({"x": ("a", np.arange(3.0))}).to_netcdf(tmp_path / "other.nc")
    with pytest.raises(planet.StateFileError, match="not a planet export"):
        E.read_netcdf(tmp_path / "other.nc")
    (tmp_path / "junk.nc").write_bytes(b"not netcdf at all")
    with pytest.raises(planet.StateFileError, match="damaged or not a planet export"):
        E.read_netcdf(tmp_path / "junk.nc")


def test_npz_export(state, tmp_path):
    E.write_npz(state, tmp_path / "plain.npz")
    with np.load(tmp_path / "plain.npz") as data:
        for name in state.names:
            np.testing.assert_array_equal(data[name], state[name])
        np.testing.assert_array_equal(data["lat"], state.grid.lat)
        meta = json.loads(str(data["meta"]))
    assert meta["seed"] == 7 and meta["step"] == 1500


def test_png16_heightmap(state, tmp_path):
    from PIL import Image

    path = E.write_png16(state, tmp_path / "h.png")
    with Image.open(path) as im:
        assert im.size == (128, 64) and im.mode.startswith("I;16")
        grey = np.asarray(im)
    assert grey.min() == 0 and grey.max() == 65535  # the full 16-bit range is used
    z, text = E.read_png16(path)
    span = float(state.elevation.max() - state.elevation.min())
    assert np.max(np.abs(z - state.elevation)) <= 0.5 / 65535 * span * 1.0001
    assert text["planet:field"] == "elevation"
    assert float(text["planet:sea_level"]) == pytest.approx(planet.Timeline().sea_level(25.0))
    # north-up: the first image row is the northernmost grid row
    assert np.argmax(grey[:, 0]) == np.argmax(state.elevation[:, 0])


def test_writes_are_atomic(state, tmp_path):
    target = tmp_path / "world.nc"
    target.write_text("the previous file")

    def failing(tmp):
        with open(tmp, "wb") as f:
            f.write(b"half a file")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        E.atomic_write(target, failing)
    assert target.read_text() == "the previous file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["world.nc"]
    with pytest.raises(ValueError, match="format must be one of netcdf, npz, png16"):
        E.export(state, tmp_path / "x", "tiff")
