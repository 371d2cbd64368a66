"""Export a state for other tools: xarray/NetCDF (CF conventions), plain ``.npz``, 16-bit PNG heightmaps
(with a world file and ``.prj``), GeoTIFF (EPSG:4326; see ``planet.io.gis`` for bounds and scale).

``to_xarray(state)`` (``planet.core.dataset``, re-exported here) gives an ``xarray.Dataset`` on ``lat``/``lon``
coordinates (degrees; cell centres, north first, longitudes 0–360 east, with
CF cell bounds ``lat_bnds``/``lon_bnds``), one variable per field with CF-style
``units`` and ``long_name`` (the model's own units are stated where they are
not physical: elevation is in model elevation units, the protoplanet spanning
0–15), and the run's metadata (seed, step, film time, sea level, package
version, configuration as JSON) as global attributes.

Every writer here is atomic: it writes a temporary file in the target folder
and renames it into place, so a failure never leaves a half-written file at
the target path.

    planet export world.npz --format netcdf --out world.nc
    ds = xarray.open_dataset("world.nc")        # or planet.io.export.read_netcdf → State
"""
from __future__ import annotations

import json
from pathlib import Path


import numpy as np

from planet.core.fields import drainage_area_from_cells
from planet.core.files import OutputError, atomic_write
from planet.core.state import State, StateFileError
from planet.core.dataset import field_attrs, run_metadata, to_xarray  # noqa: F401 (re-exported)

FORMATS = ("netcdf", "npz", "png16", "geotiff")

# ---------------------------------------------------------------------------
# Atomic writers.

def write_netcdf(state: State, path) -> Path:
    """Write ``to_xarray(state)`` as NetCDF-4 (zlib-compressed float32), atomically, CF-complete
    (``planet.io.gis.cf_dataset``: ``crs`` grid mapping, ``time`` coordinate, ``history``, no
    ``_FillValue`` on coordinates and bounds)."""
    from planet.core.state import state_checksum
    from planet.io.gis import cf_dataset

    ds, encoding = cf_dataset(state)
    ds.attrs["checksum"] = state_checksum(_identity(ds.attrs), {n: ds[n].values for n in state.names})
    encoding.update({name: {"zlib": True, "complevel": 4} for name in state.names})
    def write(tmp):
        try:
            ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding)
        except RuntimeError as e:          # netCDF4 reports a full disk as "NetCDF: HDF error"
            raise OutputError(f"cannot write {path}: the NetCDF library failed ({e}; is the disk full?)") from None
    return atomic_write(path, write)


def _identity(attrs: dict) -> dict:
    """The attributes the NetCDF checksum covers (with the fields): who the world is and when."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in attrs.items()
            if k in ("seed", "step", "resolution", "stages", "fields", "config", "planet_version")}


def read_netcdf(path, *, allow_nonfinite: bool = False) -> State:
    """Read a NetCDF file written by :func:`write_netcdf` back into a ``State`` (same arrays).

    The variables' declared shapes are checked against the metadata before their data is read;
    the ``checksum`` attribute (the identity attributes and the fields) must match; a state with
    NaN/inf values is refused unless ``allow_nonfinite`` (see ``State.load``)."""
    import xarray as xr

    from planet.core.config import Config, ConfigError
    from planet.core.state import NONFINITE_HINT, check_complete, check_finite, check_grid, file_kind, state_checksum

    path = Path(path)
    if not path.is_file():
        raise StateFileError(f"NetCDF file {path} does not exist")
    if file_kind(path) != "netcdf":
        raise StateFileError(f"{path} is not a planet state file (damaged or not a planet export: not NetCDF)")
    try:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            attrs = dict(ds.attrs)
            if "planet_version" not in attrs or "fields" not in attrs:
                raise StateFileError(f"{path} is not a planet state file (not a planet export: no planet metadata)")
            names = [n for n in str(attrs["fields"]).split(",") if n]
            step, seed, resolution = (int(attrs[k]) for k in ("step", "seed", "resolution"))
            check_grid(resolution, rows=resolution // 2)
            if step < 0 or not 0 <= seed <= 2**32 - 1 or not names or len(set(names)) != len(names):
                raise ValueError("bad step, seed or field list")
            for n in names:
                if n not in ds.variables:
                    raise StateFileError(f"NetCDF file {path} is missing field {n!r} that its metadata lists")
                if tuple(ds[n].shape) != (resolution // 2, resolution):
                    raise ValueError(f"field {n!r} has shape {tuple(ds[n].shape)}")
            fields = {n: np.ascontiguousarray(ds[n].values, dtype=np.float32) for n in names}
            counted = "drainage_area" in names and str(ds["drainage_area"].attrs.get("units")) == "1"
    except StateFileError:
        raise
    except Exception as e:  # netCDF4/HDF5 report damage as OSError, RuntimeError, ValueError, KeyError...
        raise StateFileError(f"NetCDF file {path} is damaged or not a planet export ({type(e).__name__}: {e})") from None
    if "checksum" in attrs and state_checksum(_identity(attrs), fields) != attrs["checksum"]:
        raise StateFileError(f"NetCDF file {path} is damaged (checksum mismatch)")
    try:
        config = Config.from_json(attrs["config"])
    except (ConfigError, ValueError, TypeError, KeyError) as e:
        raise StateFileError(f"NetCDF file {path} has an invalid configuration: {e}") from None
    stages = tuple(s for s in str(attrs.get("stages", "")).split(",") if s)
    if counted:           # written before drainage_area was an area (an upstream cell count)
        drainage_area_from_cells(fields)
    state = State(fields, step=step, seed=seed, config=config, stages=stages)
    check_complete(state, f"NetCDF file {path}")
    if not allow_nonfinite:
        check_finite(state, f"NetCDF file {path}", NONFINITE_HINT, StateFileError)
    return state


def write_npz(state: State, path) -> Path:
    """Plain ``.npz`` for other tools: one array per field, ``lat``, ``lon`` and ``meta`` (a JSON string)."""
    arrays = {name: np.asarray(state[name]) for name in state.names}
    arrays["lat"] = state.grid.lat
    arrays["lon"] = state.grid.lon
    arrays["meta"] = np.array(json.dumps(run_metadata(state)))

    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    return atomic_write(path, write)


def heightmap16(z: np.ndarray, value_range=None) -> tuple[np.ndarray, float, float]:
    """``z`` scaled linearly to uint16, ``lo → 0``, ``hi → 65535`` (values outside clipped), where
    ``(lo, hi)`` is ``value_range`` or, by default, ``(min(z), max(z))``; returns (image, lo, hi)."""
    z = np.asarray(z, dtype=np.float64)
    lo, hi = (float(z.min()), float(z.max())) if value_range is None else map(float, value_range)
    scale = 65535.0 / (hi - lo) if hi > lo else 0.0
    return np.round(np.clip((z - lo) * scale, 0.0, 65535.0)).astype(np.uint16), lo, hi


def write_png16(state: State, path, field: str = "elevation", size=None, value_range=None) -> Path:
    """A 16-bit greyscale PNG heightmap of ``field`` (north up, 0° longitude at the left edge), with a
    world file (``.pgw``) and ``.prj`` beside it (EPSG:4326, bounds 0..360 x -90..90; ``planet.io.gis``).

    Grey 0 is ``lo`` and 65535 is ``hi``: the field's minimum and maximum, or the fixed
    ``value_range = (lo, hi)`` (``--range``; values outside are clipped); both, the sea level
    and the run's metadata are stored as PNG text chunks (``planet:min``,
    ``planet:max``, ``planet:sea_level``, ``planet:meta``), so
    ``z = min + grey / 65535 · (max − min)`` recovers the field to 1/65535 of its range.
    ``size = (w, h)`` resamples first (bilinear, longitude wrapping round).
    """
    from planet.io.gis import resample, write_sidecars

    from PIL import Image, PngImagePlugin

    from planet.core.state import first_nonfinite

    bad = first_nonfinite({field: state[field]})
    if bad is not None:
        raise ValueError(f"png16: field {field!r} holds {bad[3]} at cell (row {bad[1]}, col {bad[2]}); "
                         f"a heightmap needs finite values")
    z = state[field] if size is None else resample(state[field], size)
    img, lo, hi = heightmap16(z, value_range)
    meta = run_metadata(state)
    info = PngImagePlugin.PngInfo()
    info.add_text("planet:field", field)
    info.add_text("planet:min", repr(lo))
    info.add_text("planet:max", repr(hi))
    info.add_text("planet:sea_level", repr(meta["sea_level"]))
    info.add_text("planet:meta", json.dumps(meta))
    image = Image.fromarray(img)  # uint16 → mode "I;16", written as 16-bit greyscale

    def write(tmp):
        image.save(tmp, format="PNG", pnginfo=info)
    # the small world file and .prj first; if the PNG then fails (a full disk), remove those that are new,
    # so a failed export leaves the folder as it was (an old .pgw/.prj is replaced by the same placement)
    sidecars = [Path(path).with_suffix(s) for s in (".pgw", ".prj")]
    new = [p for p in sidecars if not p.exists()]
    try:
        write_sidecars(path, img.shape[1], img.shape[0])
        return atomic_write(path, write)
    except BaseException:
        for p in new:
            try:
                p.unlink()
            except FileNotFoundError:
                pass
        raise


def read_png16(path) -> tuple[np.ndarray, dict]:
    """Read a heightmap written by :func:`write_png16`: the field in its own units and the text chunks."""
    from PIL import Image

    with Image.open(path) as im:
        grey = np.asarray(im, dtype=np.float64)
        text = dict(im.text)
    lo, hi = float(text["planet:min"]), float(text["planet:max"])
    return lo + grey / 65535.0 * (hi - lo), text


def export(state: State, path, format: str, **options) -> Path:
    """Write ``state`` to ``path`` in ``format`` (one of ``FORMATS``); ``options`` (``field``, ``size``,
    and for png16 ``value_range``) go to the heightmap writers."""
    from planet.io.gis import write_geotiff

    writers = {"netcdf": write_netcdf, "npz": write_npz, "png16": write_png16, "geotiff": write_geotiff}
    if format not in writers:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    return writers[format](state, path, **options)
