"""A state as an ``xarray.Dataset``: ``lat``/``lon`` coordinates (degrees; cell centres, north
first, longitudes 0–360 east, with CF cell bounds ``lat_bnds``/``lon_bnds``), one variable per field
with the ``units``, ``long_name``, ``standard_name`` and ``comment`` of ``planet.core.fields.FIELDS``,
and the run's metadata (seed, step, film time, sea level, package version, configuration as JSON)
as global attributes. ``State.to_xarray`` and the NetCDF export (``planet.io.export``) use it.
"""
from __future__ import annotations

import numpy as np

from planet._version import __version__
from planet.core.fields import FIELDS
from planet.core.timeline import Timeline


def field_attrs(name: str) -> dict[str, str]:
    """CF-style attributes of a field, from ``planet.core.fields.FIELDS`` (a field not listed there
    gets units "1" and its name)."""
    f = FIELDS.get(name)
    if f is None:
        return {"units": "1", "long_name": name.replace("_", " ")}
    units, long_name, standard_name, comment = f.units, f.long_name, f.standard_name, f.meaning
    attrs = {"units": units, "long_name": long_name}
    if standard_name:
        attrs["standard_name"] = standard_name
    if comment:
        attrs["comment"] = comment
    return attrs


def run_metadata(state) -> dict:
    """Global attributes: the run's identity (NetCDF-safe: strings and numbers only)."""

    timeline = Timeline(state.config.schedule)
    return {
        # CF-1.8: the newest version the CF checker (cfchecker 4.1) knows, and all this file uses
        # (grid_mapping with crs_wkt is 1.7); "CF-1.10" made the checker call the file not CF at all
        "Conventions": "CF-1.8",
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


def to_xarray(state):
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
