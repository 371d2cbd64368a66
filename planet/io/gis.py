"""Georeferenced exports: GeoTIFF, world files, heightmaps at any size and range, CF grid mapping.

The planet's grid is an equirectangular (plate carrée) grid of ``H = W/2`` rows on a sphere:
row ``j`` spans latitudes ``90 - 180 j/H`` to ``90 - 180 (j+1)/H`` (north first), column ``i``
spans longitudes ``360 i/W`` to ``360 (i+1)/W`` east. GIS tools read it as geographic
coordinates, **EPSG:4326** (WGS 84 longitude/latitude in degrees); the planet is a sphere, so the
datum only names the axes (no geodetic accuracy is implied).

* **GeoTIFF** (``write_geotiff``, rasterio): one float32 band of the field in the model's own units
  — a fixed vertical scale of 1 (GDAL band scale 1, offset 0; elevation is in model elevation units,
  the protoplanet spanning 0-15, sea level in the ``sea_level`` tag), never stretched per file.
  Longitudes are **-180..180** (the grid is rolled by half a turn so 0° is in the middle), bounds
  (-180, -90, 180, 90), pixel size ``360/W`` by ``180/H`` degrees.
* **PNG heightmaps** keep 0° at the left edge: bounds **0..360** east, -90..90. Beside each goes a
  world file (``.pgw``: pixel width, 0, 0, -pixel height, then the *centre* of the top-left pixel,
  as ESRI world files define) and a ``.prj`` (the WKT of EPSG:4326), so GDAL/QGIS place it.
* ``--size WxH`` resamples the field bilinearly with longitude wrapping round (the map is periodic
  east-west; latitude is clamped at the poles); ``--range LO,HI`` maps ``LO → 0`` and ``HI → 65535``
  (values outside are clipped) instead of the per-file stretch, so heightmaps of several runs
  share one scale.
"""
from __future__ import annotations

import datetime as _dt
import sys

import numpy as np

from planet.core.files import atomic_write

#: WKT of EPSG:4326 (OGC WKT 1, as GDAL writes it in .prj files)
WGS84_WKT = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
             'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],'
             'UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],'
             'AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]')
MAX_SIDE = 16384


def parse_size(text) -> tuple[int, int]:
    """``"1024x512"`` → ``(1024, 512)``; sides 2..16384."""
    try:
        w, h = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must be WIDTHxHEIGHT (integers 2-{MAX_SIDE}), got {text!r}") from None
    if not (2 <= w <= MAX_SIDE and 2 <= h <= MAX_SIDE):
        raise ValueError(f"--size must be WIDTHxHEIGHT with sides in [2, {MAX_SIDE}], got {text!r}")
    return w, h


def parse_range(text) -> tuple[float, float]:
    """``"-2,15"`` → ``(-2.0, 15.0)``; finite and LO < HI."""
    try:
        lo, hi = (float(v) for v in str(text).split(","))
    except ValueError:
        raise ValueError(f"--range must be LO,HI (two numbers, LO < HI), got {text!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"--range must be LO,HI with finite LO < HI, got {text!r}")
    return lo, hi


def resample(z: np.ndarray, size) -> np.ndarray:
    """``z`` (H, W, cell centres of the plate carrée grid) bilinearly resampled to ``size = (w, h)``
    cell centres over the same bounds; periodic in longitude, clamped in latitude."""
    z = np.asarray(z, dtype=np.float64)
    H, W = z.shape
    w, h = size
    if (w, h) == (W, H):
        return z
    # target centre k of n maps to source coordinate (k + 0.5) n_src / n - 0.5 (in source cells)
    y = np.clip((np.arange(h) + 0.5) * H / h - 0.5, 0, H - 1)
    x = (np.arange(w) + 0.5) * W / w - 0.5
    j0 = np.minimum(np.floor(y).astype(np.int64), H - 2) if H > 1 else np.zeros(h, np.int64)
    fy = (y - j0)[:, None] if H > 1 else np.zeros((h, 1))
    i0 = np.floor(x).astype(np.int64)
    fx = (x - i0)[None, :]
    i0 %= W
    i1 = (i0 + 1) % W
    j1 = np.minimum(j0 + 1, H - 1)
    top = z[j0][:, i0] * (1 - fx) + z[j0][:, i1] * fx
    bottom = z[j1][:, i0] * (1 - fx) + z[j1][:, i1] * fx
    return top * (1 - fy) + bottom * fy


def world_file_lines(width: int, height: int, west: float = 0.0, north: float = 90.0) -> list[str]:
    """The six lines of an ESRI world file for a ``width`` x ``height`` image spanning 360° x 180°
    from ``west``/``north``: A (pixel width), D, B (rotations, 0), E (minus pixel height), C, F
    (the centre of the top-left pixel)."""
    dx, dy = 360.0 / width, 180.0 / height
    return [repr(dx), "0.0", "0.0", repr(-dy), repr(west + dx / 2), repr(north - dy / 2)]


def write_sidecars(image_path, width: int, height: int) -> list:
    """``NAME.pgw`` (world file) and ``NAME.prj`` (EPSG:4326 WKT) beside a PNG, atomically."""
    from pathlib import Path

    p = Path(image_path)
    pgw = p.with_suffix(".pgw")
    prj = p.with_suffix(".prj")
    text = "\n".join(world_file_lines(width, height)) + "\n"
    atomic_write(pgw, lambda tmp: Path(tmp).write_text(text, encoding="ascii"))
    atomic_write(prj, lambda tmp: Path(tmp).write_text(WGS84_WKT, encoding="ascii"))
    return [pgw, prj]


def to_minus180(z: np.ndarray) -> np.ndarray:
    """Columns rolled half a turn: 0..360 east → -180..180 (column ``i`` of the result starts at
    ``-180 + 360 i / W``)."""
    W = z.shape[1]
    return np.roll(z, -(W // 2), axis=1)


def write_geotiff(state, path, field: str = "elevation", size=None):
    """A float32 GeoTIFF of ``field`` in EPSG:4326, bounds (-180, -90, 180, 90), vertical scale 1 (the
    model's units); see the module docstring. Atomic."""
    try:
        import rasterio
        from rasterio.transform import from_bounds
    except ImportError:
        raise ValueError("--format geotiff needs rasterio (pip install 'planet[gis]')") from None

    from planet.core.dataset import field_attrs, run_metadata

    z = np.asarray(state[field], dtype=np.float64)
    if not np.isfinite(z).all():
        raise ValueError(f"geotiff: field {field!r} holds non-finite values; a GeoTIFF needs finite values")
    H, W = z.shape
    if W % 2:
        raise ValueError("geotiff: the grid needs an even number of columns")
    z = to_minus180(z)
    if size is not None:
        z = resample(z, size)
    h, w = z.shape
    transform = from_bounds(-180.0, -90.0, 180.0, 90.0, w, h)
    meta = run_metadata(state)
    attrs = field_attrs(field)

    def write(tmp):
        with rasterio.open(tmp, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                           crs="EPSG:4326", transform=transform, compress="deflate") as dst:
            dst.write(z.astype(np.float32), 1)
            dst.scales, dst.offsets = (1.0,), (0.0,)
            dst.units = (attrs["units"],)
            dst.set_band_description(1, field)
            dst.update_tags(1, long_name=attrs["long_name"], sea_level=repr(meta["sea_level"]),
                            vertical_scale="1 (values are in the model's own units)")
            dst.update_tags(seed=str(meta["seed"]), step=str(meta["step"]), time=repr(meta["time"]),
                            planet_version=meta["planet_version"], history=history_line())
    return atomic_write(path, write)


def history_line(argv=None) -> str:
    """A CF ``history`` entry: UTC time stamp and the command that wrote the file."""
    from planet._version import __version__

    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = " ".join(sys.argv[1:] if argv is None else argv)
    return f"{stamp}: planet {__version__} export {args}".rstrip()


def cf_dataset(state):
    """``to_xarray(state)`` made CF-complete for a NetCDF file: a ``crs`` grid-mapping variable
    (``latitude_longitude`` on a sphere of the WGS 84 semi-major axis) named by every field's
    ``grid_mapping``, a scalar ``time`` coordinate (film seconds, see its ``comment``), and a
    ``history`` attribute. Returns ``(dataset, encoding)``: the encoding writes no ``_FillValue``
    on coordinates, bounds, ``crs`` or ``time`` (CF: coordinates hold no missing values)."""
    import xarray as xr

    from planet.core.dataset import to_xarray

    ds = to_xarray(state)
    crs = xr.DataArray(np.int32(0), attrs={
        "grid_mapping_name": "latitude_longitude", "longitude_of_prime_meridian": 0.0,
        "semi_major_axis": 6378137.0, "inverse_flattening": 0.0, "crs_wkt": WGS84_WKT,
        "long_name": "coordinate reference system (a sphere; EPSG:4326 axes)"})
    ds["crs"] = crs
    for name in state.names:
        ds[name].attrs["grid_mapping"] = "crs"
    ds = ds.assign_coords(time=((), np.float64(state.time), {
        "standard_name": "time", "long_name": "film time", "axis": "T",
        "units": "seconds since 2000-01-01 00:00:00", "calendar": "standard",
        "comment": "seconds of the planet's story film (0-250 s; step / 60); the reference date is nominal, "
                   "the geological date is in the global attribute 'date'"}))
    ds.attrs["history"] = history_line()
    encoding = {n: {"_FillValue": None} for n in ("lat", "lon", "lat_bnds", "lon_bnds", "crs", "time")}
    return ds, encoding
