"""Bring your own world: a heightmap in metres becomes a ``Planet``.

    world = planet.Planet.from_heightmap("etopo.tif", resolution=512)           # GeoTIFF in metres
    world = planet.Planet.from_heightmap(array, land_fraction=0.3, stages=("climate", "atmosphere", "life"))
    planet run --heightmap map.png --land-fraction 0.3 --until 150 --out world.npz

**Sources.** A 2-D NumPy array (or ``.npy`` file), an ``xarray.DataArray`` with
latitude/longitude coordinates (or a NetCDF file holding one), a GeoTIFF in
geographic coordinates (rasterio; its bounds give the coordinates), or a PNG
(8- or 16-bit greyscale). A source without coordinates must be a global
equirectangular map, twice as wide as tall, row 0 at the north edge and its
left edge at longitude ``west`` (default −180°, the world-map convention;
pass ``west=0`` for an array laid out like the model's own fields).

**Values → metres.** ``metres = value · scale + offset``. Arrays, ``.npy``,
NetCDF and GeoTIFF are taken to be in metres (``scale = 1``, ``offset = 0``).
A PNG has no unit: its grey levels ``g ∈ [0, 1]`` (value / 255 or / 65535)
span −6000 m … +6000 m unless ``scale``/``offset`` are given (mid-grey is sea
level); with PNGs, ``land_fraction=`` is usually the better choice of coast.

**Resampling** to the model grid (spec §1: row 0 north, cell centres
``lat_j = 90 − 180 (j + ½)/H``, ``lon_i = 360 (i + ½)/W`` east) is
area-weighted: each model cell is the mean of the source cells weighted by
the area they share with it. Treating each source cell as constant, the
mean over a model cell ``[φ₀, φ₁] × [λ₀, λ₁]`` is

    (1 / ((sin φ₁ − sin φ₀)(λ₁ − λ₀))) ∬ f d(sin φ) dλ,

which is separable: the cumulative integral of ``f`` along ``sin φ`` (then
along ``λ``, periodic) is piecewise linear, so it is exact to interpolate it
linearly at the model cell edges and difference it. The map must have at
least as many columns and rows as the model grid (a finer grid than the map
would only invent detail: "a resolution the map cannot fill"), and must cover
the globe.

**Metres → model elevation** (documented units; ``D`` = the sea level
``timeline.sea_level(start)`` ≈ 7.27 at present day, ``s`` = the sea level in
metres):

    land   (m ≥ s):  z = D + (m − s) / 246 m          so h = 0.4 (z − D) = 1.625 per km
    ocean  (m < s):  z = D · max(0, 1 + (m − s) / 5000 m)

The land scale makes the model's lapse rate (4 °C per unit of ``h``, spec
§5) Earth's 6.5 °C per km, so Earth's relief gives Earth's cooling with
height (Tibet ≈ 4.5 km → h ≈ 7.3, 29 °C colder than sea level; a generated
world's highest peaks, z − D ≈ 4.5, read as about 1.1 km). Under the sea
the elevation only sets the ocean's shade (``z/D``), so 5 km of water spans
the model's whole depth range ``[0, D]`` (generated ocean floors lie mostly
between 0 and 0.3 D) and deeper water is clamped to the floor ``z = 0`` the
lithosphere requires.

**Sea level**: ``sea_level`` in metres (default 0), or ``land_fraction``:
the area-weighted fraction of the model grid that is to be land (the sea
level is then the matching area-weighted quantile of the resampled map).

**The world.** Elevation as mapped; continental crust (``crust = 1``) under the land, ocean
floor elsewhere; no plates (``plate = −1``), no uplift;
rivers (drainage area, basin colours) routed on the new terrain with the
lithosphere's own D8 router; climate computed at ``start``; no vapour, CO2 or
trails yet; soil moisture 3 on land (5 at sea) and the random initial
populations of the life stage on land; no humans. The state is at the first
step at or after ``start`` (film seconds or an epoch name; default
``tectonics_end``, the present day). ``stages`` picks what then runs (all by
default: the rest of the story; ``("climate", "atmosphere", "life")`` keeps
the terrain frozen).

Bad input raises ``HeightmapError`` (a ``ValueError``) with a one-line
message: an unreadable or non-image file, a map not 2:1 without coordinates,
NaN or masked cells, a map that is all ocean or all land after the sea level,
a resolution the map cannot fill.
"""
from __future__ import annotations


import numpy as np
from planet.io.rasters import PNG_RELIEF, Heightmap, HeightmapError, read  # noqa: F401 (re-exported)

#: metres of relief per model elevation unit on land (h = 0.4 (z − D): 6.5 °C/km at 4 °C per unit h)
METRES_PER_UNIT = 246.0
#: depth below sea level (m) that reaches the model's ocean floor z = 0
OCEAN_FLOOR_DEPTH = 5000.0
#: largest resolution chosen by ``resolution=None``
DEFAULT_MAX_RESOLUTION = 1024




# ---------------------------------------------------------------------------
# area-weighted resampling

def _cumulative_at(values: np.ndarray, edges: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """∫ values along axis 0 from ``edges[0]`` to each target, values constant between ascending edges."""
    widths = np.diff(edges)
    cum = np.zeros((len(edges),) + values.shape[1:], dtype=np.float64)
    np.cumsum(values * widths.reshape((-1,) + (1,) * (values.ndim - 1)), axis=0, out=cum[1:])
    k = np.clip(np.searchsorted(edges, targets, side="right") - 1, 0, len(edges) - 2)
    f = ((targets - edges[k]) / widths[k]).reshape((-1,) + (1,) * (values.ndim - 1))
    return cum[k] + f * (cum[k + 1] - cum[k])


def resample(hm: Heightmap, rows: int, columns: int) -> np.ndarray:
    """Area-weighted mean of ``hm`` over each cell of the ``rows × columns`` model grid (float64)."""
    # latitude: integrate along sin φ, south to north (ascending)
    s_src = np.sin(np.radians(hm.lat_edges[::-1]))
    s_dst = np.sin(np.radians(np.linspace(-90.0, 90.0, rows + 1)))
    vals = hm.values[::-1]
    out_rows = np.empty((rows, vals.shape[1]))
    step = max(1, 2**24 // max(1, vals.shape[0]))
    for c0 in range(0, vals.shape[1], step):
        C = _cumulative_at(vals[:, c0:c0 + step], s_src, s_dst)
        out_rows[:, c0:c0 + step] = np.diff(C, axis=0) / np.diff(s_dst)[:, None]
    out_rows = out_rows[::-1]                 # north first again
    # longitude: periodic; lay two periods of the source from ≤ 0° on and integrate
    lon = hm.lon_edges - hm.lon_edges[0]
    lon = lon * (360.0 / lon[-1])
    start = hm.lon_edges[0] % 360.0
    start = start - 360.0 if start > 0 else start
    edges = np.concatenate([lon[:-1] + start, lon + start + 360.0])
    vals2 = np.concatenate([out_rows, out_rows], axis=1).T
    C = _cumulative_at(vals2, edges, np.linspace(0.0, 360.0, columns + 1))
    return (np.diff(C, axis=0) / (360.0 / columns)).T


# ---------------------------------------------------------------------------
# metres → model units

def metres_to_model(metres: np.ndarray, sea_level_m: float, D: float) -> np.ndarray:
    """The documented mapping (module docstring): land ``D + (m − s)/246``, ocean ``D·max(0, 1 + (m − s)/5000)``."""
    d = np.asarray(metres, dtype=np.float64) - sea_level_m
    z = np.where(d >= 0, D + d / METRES_PER_UNIT, D * np.maximum(0.0, 1.0 + d / OCEAN_FLOOR_DEPTH))
    z = z.astype(np.float32)
    # a cell at sea level in metres must be land in the model (z = D is not ocean, z < D is)
    return z


def model_to_metres(z: np.ndarray, D: float) -> np.ndarray:
    """Inverse of ``metres_to_model`` above the ocean floor (heights relative to the sea level)."""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z >= D, (z - D) * METRES_PER_UNIT, (z / D - 1.0) * OCEAN_FLOOR_DEPTH)


def area_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The value below which an area-weighted fraction ``q`` of the cells lies."""
    order = np.argsort(values, axis=None)
    v = values.ravel()[order]
    w = np.broadcast_to(weights, values.shape).ravel()[order]
    cum = np.cumsum(w) / w.sum()
    k = int(np.clip(np.searchsorted(cum, q), 0, len(v) - 1))
    return float(v[k])


def _check_fraction(x):
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not (0.0 < x < 1.0):
        raise HeightmapError(f"land_fraction must be a number in (0, 1), got {x!r}")
    return float(x)


def _resolution(resolution, hm: Heightmap) -> int:
    from planet.core.grid import COLUMN_MULTIPLE, MIN_COLUMNS, validate_resolution

    rows, cols = hm.values.shape
    most = min(cols, 2 * rows) // COLUMN_MULTIPLE * COLUMN_MULTIPLE
    if resolution is None:
        if most < MIN_COLUMNS:
            raise HeightmapError(f"{hm.name} is {cols}x{rows}: too small to fill the smallest grid "
                                 f"({MIN_COLUMNS}x{MIN_COLUMNS // 2})")
        return min(most, DEFAULT_MAX_RESOLUTION)
    try:
        resolution = validate_resolution(resolution)
    except ValueError as e:
        raise HeightmapError(str(e)) from None
    if resolution > cols or resolution // 2 > rows:
        raise HeightmapError(f"resolution {resolution} needs a map of at least {resolution}x{resolution // 2} "
                             f"cells; {hm.name} is {cols}x{rows}; choose resolution <= {max(most, 0)}"
                             if most >= MIN_COLUMNS else
                             f"resolution {resolution} needs a map of at least {resolution}x{resolution // 2} "
                             f"cells; {hm.name} is only {cols}x{rows}")
    return resolution


def _check_coverage(hm: Heightmap) -> None:
    lat, lon = hm.lat_edges, hm.lon_edges
    tol_lat = 1.01 * np.max(np.abs(np.diff(lat)))
    tol_lon = 1.01 * np.max(np.abs(np.diff(lon)))
    if lat[0] < 90.0 - tol_lat or lat[-1] > -90.0 + tol_lat or abs(lon[-1] - lon[0] - 360.0) > tol_lon:
        raise HeightmapError(f"{hm.name} covers latitudes {lat[-1]:g}..{lat[0]:g} and {lon[-1] - lon[0]:g} degrees "
                             "of longitude; a world needs a global map (-90..90, 360 degrees)")


def terrain(source, *, resolution=None, sea_level: float | None = 0.0, land_fraction: float | None = None,
            start="tectonics_end", config=None, scale=None, offset=None, west=-180.0, variable=None):
    """The model elevation ``(H, W)`` float32 of ``source`` and its details (a dict: ``sea_level_m``,
    ``D``, ``step``, ``land_fraction``, ``metres``), checked as the module docstring says."""
    from planet.core.config import Config
    from planet.core.grid import Grid
    from planet.core.timeline import Timeline

    if land_fraction is not None:
        land_fraction = _check_fraction(land_fraction)
    elif sea_level is None or isinstance(sea_level, bool) or not isinstance(sea_level, (int, float)) \
            or not np.isfinite(sea_level):
        raise HeightmapError(f"sea_level must be a finite number of metres (or give land_fraction), got {sea_level!r}")
    config = config or Config()
    tl = Timeline(config.schedule)
    try:
        step = tl.step_of(start)
    except ValueError as e:
        raise HeightmapError(f"start: {e}") from None
    hm = source if isinstance(source, Heightmap) else read(source, scale=scale, offset=offset, west=west,
                                                            variable=variable)
    _check_coverage(hm)
    resolution = _resolution(resolution, hm)
    grid = Grid.from_resolution(resolution)
    metres = resample(hm, grid.rows, grid.columns)
    if land_fraction is not None:
        sea_level = area_quantile(metres, grid.area_weights, 1.0 - land_fraction)
    D = tl.sea_level(tl.time_of(step))
    if D <= 0:
        raise HeightmapError(f"start {start!r} is before the oceans (sea level 0 until ocean_start "
                             f"{config.schedule.ocean_start:g} s); start at or after ocean_end")
    z = metres_to_model(metres, float(sea_level), D)
    land = z >= np.float32(D)
    frac = float((land * grid.area_weights).sum())
    if not land.any():
        raise HeightmapError(f"{hm.name} is all ocean at sea level {sea_level:g} m (highest point "
                             f"{metres.max():.0f} m); lower sea_level or give land_fraction")
    if land.all():
        raise HeightmapError(f"{hm.name} is all land at sea level {sea_level:g} m (lowest point "
                             f"{metres.min():.0f} m); raise sea_level or give land_fraction")
    return z, {"sea_level_m": float(sea_level), "D": D, "step": step, "land_fraction": frac, "metres": metres,
               "grid": grid, "config": config}


def build_state(z: np.ndarray, *, step: int, seed: int = 0, config=None, stages=None):
    """A consistent ``State`` on the terrain ``z`` at ``step``: every stage's fields (module docstring)."""
    from planet.core.config import Config
    from planet.core.grid import Grid
    from planet.core.noise import STREAM_BASIN
    from planet.core.state import State
    from planet.core.timeline import Timeline
    from planet.model import DEFAULT_STAGES
    from planet.processes.climate.physics import ClimateStage, climate_fields
    from planet.processes.life import initial_populations
    from planet.processes.lithosphere import drainage
    from planet.processes.lithosphere.protoplanet import random_field

    config = config or Config()
    H, W = z.shape
    grid = Grid(H, W)
    tl = Timeline(config.schedule)
    t = tl.time_of(step)
    D = np.float32(tl.sea_level(t))
    z = np.ascontiguousarray(z, dtype=np.float32)
    land = z > D
    # rivers on the new terrain with the lithosphere's router
    rcv, _ = drainage.receivers(z, float(D - np.float32(config.lithosphere.shore)))
    area, order, rcv = drainage.accumulate(rcv, np.broadcast_to(grid.area_km2, (H, W)))
    basin = drainage.basin_colours(rcv, order, land, random_field(seed, STREAM_BASIN, 0, H, W))
    zeros = np.zeros((H, W), np.float32)
    fields = {"elevation": z, "plate": np.full((H, W), -1.0, np.float32), "uplift": zeros.copy(),
              "drainage_area": area.astype(np.float32), "basin": basin,
              # continental crust under the land, ocean floor elsewhere; no plates yet, so no frame
              "crust": land.astype(np.float32), "frame_plate": np.full((H, W), -1.0, np.float32),
              "frame_crust": land.astype(np.float32), "drift_east": zeros.copy(), "drift_north": zeros.copy()}
    climate = ClimateStage()
    fields.update(climate._full(climate_fields(z, float(D), t, config)))
    fields.update({"vapour": zeros.copy(), "co2": zeros.copy(), "trails": zeros.copy(), "rain": zeros.copy()})
    pops = initial_populations(grid, seed)
    lf = land.astype(np.float32)
    fields.update({"moisture": np.where(land, np.float32(3.0), np.float32(config.life.moisture_max)).astype(np.float32),
                   "vegetation": pops[0] * lf, "prey": pops[1] * lf, "predators": pops[2] * lf,
                   "humans": zeros.copy()})
    names = tuple(DEFAULT_STAGES if stages is None else ((stages,) if isinstance(stages, str) else stages))
    return State(fields, step=step, seed=seed, config=config, stages=names)


def from_heightmap(source, *, resolution=None, sea_level: float | None = 0.0, land_fraction: float | None = None,
                   start="tectonics_end", stages=None, config=None, seed: int = 0, scale=None, offset=None,
                   west: float = -180.0, variable: str | None = None):
    """A ``Planet`` on the terrain of ``source`` (see the module docstring for every argument)."""
    from planet.core.config import Config
    from planet.model import make_stages
    from planet.world import Planet, validate_seed

    if config is not None and not isinstance(config, Config):
        raise HeightmapError(f"config must be a planet.Config, got {type(config).__name__}")
    seed = validate_seed(seed)
    names = None if stages is None else ((stages,) if isinstance(stages, str) else tuple(stages))
    if names is not None:
        make_stages(names)                    # unknown stage names fail before any work
    z, info = terrain(source, resolution=resolution, sea_level=sea_level, land_fraction=land_fraction, start=start,
                      config=config, scale=scale, offset=offset, west=west, variable=variable)
    state = build_state(z, step=info["step"], seed=seed, config=info["config"], stages=names)
    world = Planet.from_state(state, stages=state.stages)
    world.heightmap = {k: v for k, v in info.items() if k not in ("metres", "grid", "config")}
    return world
