"""Reading a global map in metres from any source: a 2-D array, an ``xarray.DataArray`` with lat/lon
coordinates, a PNG (8- or 16-bit greyscale), a GeoTIFF (rasterio), NetCDF (xarray) or ``.npy``."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


#: a PNG's grey range [0, 1] spans these metres unless scale/offset are given
PNG_RELIEF = (-6000.0, 6000.0)


class HeightmapError(ValueError):
    """A heightmap cannot be read or used (one-line message)."""


@dataclass(frozen=True)
class Heightmap:
    """A global map in metres: ``values`` (rows, columns) float64 with cell edges in degrees,
    ``lat_edges`` from north to south and ``lon_edges`` increasing (spanning 360°)."""

    values: np.ndarray
    lat_edges: np.ndarray
    lon_edges: np.ndarray
    name: str = "heightmap"


# ---------------------------------------------------------------------------
# reading

def _uniform_edges(rows: int, columns: int, west: float):
    return (np.linspace(90.0, -90.0, rows + 1), west + np.linspace(0.0, 360.0, columns + 1))


def _check_values(values, name: str) -> np.ndarray:
    if isinstance(values, np.ma.MaskedArray):
        if np.ma.getmaskarray(values).any():
            raise HeightmapError(f"{name} has {int(np.ma.getmaskarray(values).sum())} masked cells; "
                                 "fill them (every cell needs a height)")
        values = values.filled()
    a = np.asarray(values)
    if a.ndim != 2:
        raise HeightmapError(f"{name} must be a 2-D map (rows, columns), got shape {a.shape}")
    if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise HeightmapError(f"{name} must hold numbers (heights), got dtype {a.dtype}")
    if min(a.shape) < 2:
        raise HeightmapError(f"{name} must have at least 2 rows and columns, got shape {a.shape}")
    a = a.astype(np.float64)
    bad = ~np.isfinite(a)
    if bad.any():
        j, i = np.argwhere(bad)[0]
        raise HeightmapError(f"{name} has {int(bad.sum())} NaN or infinite cells (first at row {j}, column {i}); "
                             "fill them (every cell needs a height)")
    return a


def _plain(values, name: str, west: float, scale: float, offset: float) -> Heightmap:
    a = _check_values(values, name)
    rows, cols = a.shape
    if cols != 2 * rows:
        raise HeightmapError(f"{name} is {cols}x{rows} (columns x rows), not 2:1, and has no coordinates; "
                             "give a global equirectangular map twice as wide as tall, or an xarray.DataArray "
                             "with lat/lon coordinates")
    lat, lon = _uniform_edges(rows, cols, west)
    return Heightmap(a * scale + offset, lat, lon, name)


def _edges_from_centres(c: np.ndarray) -> np.ndarray:
    mid = 0.5 * (c[1:] + c[:-1])
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


_LAT_NAMES = ("lat", "latitude", "y", "nav_lat")
_LON_NAMES = ("lon", "longitude", "x", "nav_lon")


def _coord(da, names, what):
    for n in list(da.coords) + list(da.dims):
        if str(n).lower() in names:
            return n
    raise HeightmapError(f"heightmap DataArray has no {what} coordinate (looked for {', '.join(names)}); "
                         f"it has {', '.join(map(str, da.coords)) or 'none'}")


def _from_dataarray(da, name: str, scale: float, offset: float) -> Heightmap:
    if da.ndim != 2:
        raise HeightmapError(f"{name} must be 2-D (lat, lon), got dims {da.dims}")
    lat_name = _coord(da, _LAT_NAMES, "latitude")
    lon_name = _coord(da, _LON_NAMES, "longitude")
    lat = np.asarray(da[lat_name].values, dtype=np.float64)
    lon = np.asarray(da[lon_name].values, dtype=np.float64)
    if lat.ndim != 1 or lon.ndim != 1:
        raise HeightmapError(f"{name}: latitude and longitude must be 1-D coordinates (a regular lat/lon grid)")
    da = da.transpose(da[lat_name].dims[0], da[lon_name].dims[0])
    values = _check_values(da.values, name)
    if len(lat) < 2 or len(lon) < 2:
        raise HeightmapError(f"{name} must have at least 2 latitudes and 2 longitudes")
    if not (np.all(np.diff(lat) > 0) or np.all(np.diff(lat) < 0)):
        raise HeightmapError(f"{name}: latitudes must be strictly monotonic")
    if not np.all(np.diff(lon) > 0) and not np.all(np.diff(lon) < 0):
        raise HeightmapError(f"{name}: longitudes must be strictly monotonic")
    if lat[0] < lat[-1]:                     # north first
        lat = lat[::-1]
        values = values[::-1]
    if lon[0] > lon[-1]:
        lon = lon[::-1]
        values = values[:, ::-1]
    lat_e = np.clip(_edges_from_centres(lat), -90.0, 90.0)
    lon_e = _edges_from_centres(lon)
    return Heightmap(values * scale + offset, lat_e, lon_e, name)


def _read_png(path: Path, scale, offset):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            mode = im.mode
            if mode in ("RGB", "RGBA", "P", "CMYK", "YCbCr", "LAB", "HSV"):
                raise HeightmapError(f"heightmap {path} is a colour image (mode {mode}); give an 8- or 16-bit "
                                     "greyscale PNG")
            if mode == "LA":
                im = im.getchannel("L")
            a = np.array(im)
    except HeightmapError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise HeightmapError(f"heightmap {path} is not a readable image ({type(e).__name__})") from None
    if a.dtype == np.uint8:
        top = 255.0
    elif a.dtype in (np.uint16, np.int32, np.uint32) or mode.startswith("I;16"):
        top = 65535.0
    else:
        top = float(np.iinfo(a.dtype).max) if np.issubdtype(a.dtype, np.integer) else 1.0
    if scale is None:
        scale = (PNG_RELIEF[1] - PNG_RELIEF[0]) / top
        offset = PNG_RELIEF[0] if offset is None else offset
    return a, scale, 0.0 if offset is None else offset


def _read_geotiff(path: Path, scale, offset, west):
    try:
        import rasterio
    except ImportError:  # pragma: no cover - a dependency
        raise HeightmapError("reading GeoTIFF needs rasterio (pip install rasterio)") from None
    try:
        with rasterio.open(path) as ds:
            a = ds.read(1, masked=True)
            crs = ds.crs
            b = ds.bounds
            georef = crs is not None and crs.is_geographic
    except rasterio.errors.RasterioError as e:
        raise HeightmapError(f"heightmap {path} is not a readable GeoTIFF ({str(e).splitlines()[0]})") from None
    scale = 1.0 if scale is None else scale
    offset = 0.0 if offset is None else offset
    name = f"heightmap {path}"
    if not georef:
        return _plain(a, name, west, scale, offset)
    values = _check_values(a, name)
    rows, cols = values.shape
    lat = np.linspace(min(b.top, 90.0), max(b.bottom, -90.0), rows + 1)
    lon = np.linspace(b.left, b.right, cols + 1)
    return Heightmap(values * scale + offset, lat, lon, name)


def _read_netcdf(path: Path, scale, offset, variable):
    import xarray as xr

    try:
        ds = xr.open_dataset(path)
    except Exception as e:  # netCDF4/h5 raise many kinds
        raise HeightmapError(f"heightmap {path} is not a readable NetCDF file ({type(e).__name__})") from None
    with ds:
        if variable is None:
            cands = [v for v in ds.data_vars if ds[v].ndim == 2]
            if len(cands) != 1:
                raise HeightmapError(f"heightmap {path} holds {len(cands)} 2-D variables "
                                     f"({', '.join(map(str, cands)) or 'none'}); name one with variable=")
            variable = cands[0]
        if variable not in ds.data_vars:
            raise HeightmapError(f"heightmap {path} has no variable {variable!r}")
        da = ds[variable].load()
    return _from_dataarray(da, f"heightmap {path}", 1.0 if scale is None else scale, 0.0 if offset is None else offset)


def read(source, *, scale: float | None = None, offset: float | None = None, west: float = -180.0,
         variable: str | None = None) -> Heightmap:
    """Read any supported source into a ``Heightmap`` in metres (see the module docstring)."""
    for n, v in (("scale", scale), ("offset", offset), ("west", west)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v)):
            raise HeightmapError(f"{n} must be a finite number, got {v!r}")
    if scale is not None and scale == 0:
        raise HeightmapError("scale must not be 0 (metres per unit of the map)")
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover
        xr = None
    if xr is not None and isinstance(source, xr.DataArray):
        return _from_dataarray(source, "heightmap DataArray", 1.0 if scale is None else scale,
                               0.0 if offset is None else offset)
    if isinstance(source, np.ndarray):
        return _plain(source, "heightmap array", west, 1.0 if scale is None else scale,
                      0.0 if offset is None else offset)
    if not isinstance(source, (str, os.PathLike)):
        raise HeightmapError(f"heightmap must be a 2-D array, an xarray.DataArray or a file path, "
                             f"got {type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        raise HeightmapError(f"heightmap file {path} does not exist" if not path.exists()
                             else f"heightmap {path} is not a file")
    suffix = path.suffix.lower()
    with open(path, "rb") as f:
        magic = f.read(8)
    if suffix == ".npy" or magic.startswith(b"\x93NUMPY"):
        try:
            a = np.load(path, allow_pickle=False)
        except Exception as e:
            raise HeightmapError(f"heightmap {path} is not a readable .npy array ({type(e).__name__})") from None
        return _plain(a, f"heightmap {path}", west, 1.0 if scale is None else scale, 0.0 if offset is None else offset)
    if suffix in (".tif", ".tiff", ".gtiff") or magic[:4] in (b"II*\x00", b"MM\x00*"):
        return _read_geotiff(path, scale, offset, west)
    if suffix in (".nc", ".nc4", ".netcdf", ".cdf") or magic[:3] == b"CDF" or magic[:4] == b"\x89HDF":
        return _read_netcdf(path, scale, offset, variable)
    a, scale, offset = _read_png(path, scale, offset)
    return _plain(a, f"heightmap {path}", west, scale, offset)
