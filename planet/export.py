"""Export a state for other tools: xarray/NetCDF (CF conventions), plain ``.npz``, 16-bit PNG heightmaps.

``to_xarray(state)`` gives an ``xarray.Dataset`` on ``lat``/``lon``
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
    ds = xarray.open_dataset("world.nc")        # or planet.export.read_netcdf → State
"""
from __future__ import annotations

import json
from pathlib import Path


import numpy as np

from .files import atomic_write
from .state import State, StateFileError
from .timeline import Timeline

FORMATS = ("netcdf", "npz", "png16")

#: field → (units, long_name, CF standard_name or None, comment)
FIELDS: dict[str, tuple[str, str, str | None, str]] = {
    "elevation": ("1", "elevation", None,
                  "model elevation units z (protoplanet 0-15); ocean where z < D(t) (attribute sea_level); "
                  "height for climate h = 0.4 max(0, z - D)"),
    "plate": ("1", "tectonic plate id", None,
              "-1 = no plate; otherwise an id q in [0, 1) whose direction of motion is the angle 2 pi q"),
    "uplift": ("1", "tectonic uplift", None, "in [0, 1]; becomes elevation where 2 y - 1 > 0"),
    "drainage_area": ("1", "flow accumulation", None,
                      "upstream cell count A: routed cells whose flow passes through the cell, itself included"),
    "basin": ("1", "basin colour", None, "hue in [0, 1) carried from the river mouth up the basin"),
    "crust": ("1", "crust thickness", None, "0 oceanic crust, 1 continental, above 1 thickened by collisions"),
    "pressure": ("hPa", "sea-level air pressure", "air_pressure_at_mean_sea_level", ""),
    "temperature": ("degC", "surface air temperature", "air_temperature", ""),
    "wind_u": ("1", "eastward wind", None, "climate-map cells per simulation step"),
    "wind_v": ("1", "northward wind", None, "climate-map cells per simulation step"),
    "vapour": ("1", "water vapour", None, "model units in [0, 3]; precipitation is 0.005 vapour per step"),
    "co2": ("1", "CO2 anomaly", None, "model units in [0, 3]; displayed ppm = 377 + 3 co2"),
    "trails": ("1", "wind-particle trail intensity", None, "in [0, 1], for the flow view"),
    "moisture": ("1", "soil moisture", None, "model units in [0, 5]; ocean cells hold 5"),
    "vegetation": ("1", "vegetation", None, "population density, model units in [0.01, 5] on land"),
    "prey": ("1", "prey", None, "population density, model units in [0.01, 5] on land"),
    "predators": ("1", "predators", None, "population density, model units in [0.01, 5] on land"),
    "humans": ("1", "human settlement", None, "in [0, 1]; 1 = settled"),
}


def field_attrs(name: str) -> dict[str, str]:
    """CF-style attributes of a field (a field not listed in ``FIELDS`` gets units "1" and its name)."""
    units, long_name, standard_name, comment = FIELDS.get(name, ("1", name.replace("_", " "), None, ""))
    attrs = {"units": units, "long_name": long_name}
    if standard_name:
        attrs["standard_name"] = standard_name
    if comment:
        attrs["comment"] = comment
    return attrs


def run_metadata(state: State) -> dict:
    """Global attributes: the run's identity (NetCDF-safe: strings and numbers only)."""
    from . import __version__

    timeline = Timeline(state.config.schedule)
    return {
        "Conventions": "CF-1.10",
        "title": f"planet world, seed {state.seed}, step {state.step}",
        "source": f"planet {__version__}",
        "planet_version": __version__,
        "seed": int(state.seed),
        "step": int(state.step),
        "time": float(state.time),
        "time_units": "film seconds (step / fps; the story spans 0-250 s)",
        "date": timeline.date(state.time),
        "sea_level": float(timeline.sea_level(state.time)),
        "resolution": int(state.columns),
        "stages": ",".join(getattr(state, "stages", ())),
        "fields": ",".join(state.names),
        "config": state.config.to_json(),
    }


def to_xarray(state: State):
    """The state as an ``xarray.Dataset`` on ``lat``/``lon`` (see the module docstring)."""
    import xarray as xr

    grid = state.grid
    H, W = grid.shape
    lat_edges = 90.0 - 180.0 * np.arange(H + 1) / H
    lon_edges = 360.0 * np.arange(W + 1) / W
    coords = {
        "lat": ("lat", grid.lat, {"units": "degrees_north", "standard_name": "latitude",
                                  "long_name": "latitude of the cell centre", "axis": "Y", "bounds": "lat_bnds"}),
        "lon": ("lon", grid.lon, {"units": "degrees_east", "standard_name": "longitude",
                                  "long_name": "longitude of the cell centre", "axis": "X", "bounds": "lon_bnds"}),
    }
    data = {name: (("lat", "lon"), np.asarray(state[name], dtype=np.float32), field_attrs(name))
            for name in state.names}
    data["lat_bnds"] = (("lat", "nv"), np.stack([lat_edges[:-1], lat_edges[1:]], axis=1), {})
    data["lon_bnds"] = (("lon", "nv"), np.stack([lon_edges[:-1], lon_edges[1:]], axis=1), {})
    return xr.Dataset(data, coords=coords, attrs=run_metadata(state))


# ---------------------------------------------------------------------------
# Atomic writers.

def write_netcdf(state: State, path) -> Path:
    """Write ``to_xarray(state)`` as NetCDF-4 (zlib-compressed float32), atomically."""
    ds = to_xarray(state)
    encoding = {name: {"zlib": True, "complevel": 4} for name in state.names}
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding))


def read_netcdf(path) -> State:
    """Read a NetCDF file written by :func:`write_netcdf` back into a ``State`` (same arrays)."""
    import xarray as xr

    from .config import Config, ConfigError

    path = Path(path)
    if not path.is_file():
        raise StateFileError(f"NetCDF file {path} does not exist")
    try:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            attrs = dict(ds.attrs)
            if "planet_version" not in attrs or "fields" not in attrs:
                raise StateFileError(f"NetCDF file {path} is not a planet export (no planet metadata)")
            names = [n for n in str(attrs["fields"]).split(",") if n]
            fields = {n: np.ascontiguousarray(ds[n].values, dtype=np.float32) for n in names}
    except StateFileError:
        raise
    except (OSError, ValueError, KeyError) as e:
        raise StateFileError(f"NetCDF file {path} is damaged or not a planet export ({type(e).__name__}: {e})") from None
    try:
        config = Config.from_json(attrs["config"])
    except (ConfigError, ValueError, TypeError) as e:
        raise StateFileError(f"NetCDF file {path} has an invalid configuration: {e}") from None
    stages = tuple(s for s in str(attrs.get("stages", "")).split(",") if s)
    return State(fields, step=int(attrs["step"]), seed=int(attrs["seed"]), config=config, stages=stages)


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


def heightmap16(z: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``z`` scaled linearly to uint16, ``min(z) → 0``, ``max(z) → 65535``; returns (image, min, max)."""
    z = np.asarray(z, dtype=np.float64)
    lo, hi = float(z.min()), float(z.max())
    scale = 65535.0 / (hi - lo) if hi > lo else 0.0
    return np.round((z - lo) * scale).astype(np.uint16), lo, hi


def write_png16(state: State, path, field: str = "elevation") -> Path:
    """A 16-bit greyscale PNG heightmap of ``field`` (north up, 0° longitude at the left edge).

    Grey 0 is the field's minimum and 65535 its maximum; both, the sea level
    and the run's metadata are stored as PNG text chunks (``planet:min``,
    ``planet:max``, ``planet:sea_level``, ``planet:meta``), so
    ``z = min + grey / 65535 · (max − min)`` recovers the field to 1/65535 of its range.
    """
    from PIL import Image, PngImagePlugin

    img, lo, hi = heightmap16(state[field])
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
    return atomic_write(path, write)


def read_png16(path) -> tuple[np.ndarray, dict]:
    """Read a heightmap written by :func:`write_png16`: the field in its own units and the text chunks."""
    from PIL import Image

    with Image.open(path) as im:
        grey = np.asarray(im, dtype=np.float64)
        text = dict(im.text)
    lo, hi = float(text["planet:min"]), float(text["planet:max"])
    return lo + grey / 65535.0 * (hi - lo), text


def export(state: State, path, format: str) -> Path:
    """Write ``state`` to ``path`` in ``format`` (one of ``FORMATS``)."""
    writers = {"netcdf": write_netcdf, "npz": write_npz, "png16": write_png16}
    if format not in writers:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    return writers[format](state, path)
