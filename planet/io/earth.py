"""Earth: real coastlines, present day; the climate, atmosphere, life and humans run on frozen terrain.

    world = planet.earth(512)                    # real coasts, made-up mountains
    world = planet.earth(512, dem="etopo.tif")   # your DEM (any ``from_heightmap`` source)
    classes = planet.koppen(world)

**Coastlines** come from the ``global-land-mask`` package (the GLOBE 1 km
land/sea mask, shipped inside the wheel: nothing is downloaded). The mask is
reduced once to the land fraction of 1/12° cells (cached in memory and in
``$XDG_CACHE_HOME/planet``; the first call takes ~25 s to unpack the 1 km
mask), then area-averaged to the model grid; a model cell is land where more
than half of it is land.

**Relief without a DEM is made up** — real coasts, invented mountains. Heights
in metres, from the distance ``d`` to the nearest coast (km, on the sphere):

* ice sheets (Antarctica; Greenland, 59–84° N, 75–10° W): the Vialov profile
  ``h = 3400 m · (1 − (1 − min(d/R, 1))^{4/3})^{3/8}`` with ``R = 900 km``
  (Antarctica; Greenland 2800 m and ``R = 350 km``): domes of about 3 km as on Earth;
* all other land: ``h = 50 m + 350 m · (1 − e^{−d / 800 km}) + 3000 m · r² · (1 − e^{−d / 150 km}) · M(d)``,
  ``r = smoothstep(0.87, 1, n)``, ``n ∈ [0, 1]`` a ridged fBM noise (``planet.core.noise``, fixed offset): wide
  lowland plains rising gently inland and sparse made-up ranges where the noise peaks;
  ``M(d) = 1 − smoothstep(300 km, 700 km, d)`` keeps the ranges near the coasts: **continental interiors
  are low**. Earth's long ranges stand at active margins and collision belts, most within ~500 km of a
  coast (the Andes, Rockies' coast ranges, Alps, Atlas, Zagros, Caucasus, Scandinavia, the Great Dividing
  Range; Tibet is the great exception, and is not made up here either), while the interiors of the
  continents are old cratons and their sedimentary basins: the Amazon, Congo, West Siberian, Hudson
  Bay, Chad and Lake Eyre basins are lowlands. Before ``M``, a made-up range of 2700 m stood on the
  Amazon's test cell (annual mean 13.5 °C: too cold for A however wet) and one of 3200 m on the
  Sahara's. At 128 columns, land outside Antarctica (area-weighted): median 170 m, 94 % below 1 km
  (86 % before), 1.8 % above 2.4 km (6.2 %), nothing above 400 m farther than 700 km from a coast.
  The first version's ``3000 m · n⁶`` put 25 % of the land above 1.5 km, on ridges everywhere;
* sea: ``−200 m`` on the first 150 km (the shelf), ``−4000 m`` beyond.

These heights go through the documented metres → model mapping of
``planet.io.heightmap``. The real mountains (Tibet, the Andes, the Rockies)
are therefore **not** there: no rain shadow behind the Andes, no Tibetan
plateau. Give ``dem=`` for them.

**Climate settings** (``EARTH_CLIMATE``; all 0 by default, so generated worlds keep the reference's
pressure, winds and temperature; a ``config`` that sets one keeps its own value):

* ``climate.continentality = 12``: hot continental summers, cold winters (``planet.processes.climate``);
* ``climate.monsoon = 50`` hPa over a land fraction blurred by ``sigma_monsoon_deg = 10``: the summer
  heat low and winter cold high of large continents; ``climate.trough_shift = 10``: the pressure belts
  follow the sun; ``climate.tropical_trough = 1``: tropical land shares the ocean's equatorial trough.
  Together they turn India's July wind from the north-west to the south-west (the monsoon).
* ``climate.sea_temperature_max = 27`` °C: the air over the sea approaches it smoothly from below
  (the tropical ocean's thermostat), bringing the equator's zonal mean into Earth's 25–27 °C (27.5 °C
  gave 26.6 °C with the old relief; with the lowland basins the equatorial land is 1.7 °C warmer and
  the zonal mean 27.04 °C; 27 °C gives 26.72 °C at 128 columns).

**Atmosphere settings** (``EARTH_ATMOSPHERE``, ``planet.processes.atmosphere``):

* ``atmosphere.sea_uptake = 0``: the ocean's evaporation is never negative (the spec's turns into a
  vapour sink where the air diverges);
* ``atmosphere.heat_low_rain = 0``: the convergence of the land's thermal lows does not rain out
  (thermal lows are shallow and dry); the rest of the rising air's rain-out is unchanged.
  Together: Köppen B 52 → 43 % of the land, D 8 → 13 %, Canada D (README).
* ``convergence_per_step = 1``, ``subsidence = 1``, ``lift_smoothing_deg = 4``, ``orographic_scale = 3.6``,
  ``eddy_mixing_deg = 1.33``, ``evaporation_per_step = 1``: rising air rains out what converges into it
  per step, sinking air holds its rain back, air is lifted by broad barriers only and condenses a share
  of its vapour, transient eddies (K = 5·10⁵ m²/s) carry vapour inland, and the evaporation reads the
  divergence per step (the same rain at 128 and 512 columns). With the lowland interiors: B 43 → 31 %,
  A 9 → 18 %, D 13 → 19 %, the Amazon and Congo A (``planet.processes.inland`` has each step's numbers).

Earth also gets what every world now has (``planet.processes.atmosphere``, ``planet.processes.life``):
the orographic sink reads the upslope wind (rain shadows), half the rain on growing land evaporates
again and travels on (moisture recycling), and the rain that falls wets the soil.

Their effects, measured at 128 columns, are in the README's Earth section.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from numba import njit, prange

from planet.core import diskcache
from planet.core.grid import KM_PER_DEGREE
from planet.core.noise import fbm

#: cells of the reduced mask per degree
MASK_CELLS_PER_DEGREE = 12
DEFAULT_STAGES = ("climate", "atmosphere", "life")


@lru_cache(maxsize=1)
def land_fraction_map() -> np.ndarray:
    """Land fraction of each 1/12° cell, ``(2160, 4320)`` float32, row 0 at 90° N, column 0 at 180° W."""
    folder = diskcache.user_folder()
    path = folder / "earth_land_fraction_12.npz" if folder is not None else None   # None: nothing kept
    kept = _read_kept(path) if path is not None else None
    if kept is not None:
        return kept
    try:
        from global_land_mask import globe
    except ImportError:  # pragma: no cover - a dependency
        raise ValueError("planet.earth needs the global-land-mask package (pip install global-land-mask)") from None
    water = globe._mask                               # (21600, 43200) bool, True = water, 1/120° cells
    f = water.shape[0] // (180 * MASK_CELLS_PER_DEGREE)
    h, w = water.shape[0] // f, water.shape[1] // f
    counts = np.empty((h, w), np.uint8)
    for r in range(0, h, 120):                       # in bands: the full mask is ~1 GB
        block = water[r * f:(r + 120) * f].reshape(-1, f, w, f)
        counts[r:r + 120] = f * f - block.sum(axis=(1, 3), dtype=np.uint16)
    if path is not None:
        _keep(path, counts)
    return counts.astype(np.float32) / 100.0


def _read_kept(path: Path) -> np.ndarray | None:
    """The kept land fractions at ``path``, or None where there are none of the right shape."""
    try:
        with np.load(path, allow_pickle=False) as data:
            counts = data["land_percent"]
        if counts.shape == (180 * MASK_CELLS_PER_DEGREE, 360 * MASK_CELLS_PER_DEGREE):
            return counts.astype(np.float32) / 100.0
    except (OSError, KeyError, ValueError):
        pass
    return None


def _keep(path: Path, counts: np.ndarray) -> None:
    """Keep the land percentages at ``path`` (atomically); nothing where it cannot be written."""
    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, land_percent=counts)
    diskcache.keep(path, write)


def land_fraction(resolution: int) -> np.ndarray:
    """Area-weighted land fraction of each model cell at ``resolution`` (row 0 north, lon 0..360 east)."""
    from planet.core.grid import Grid
    from planet.io.heightmap import Heightmap, resample

    grid = Grid.from_resolution(resolution)
    m = land_fraction_map()
    h, w = m.shape
    hm = Heightmap(m, np.linspace(90.0, -90.0, h + 1), np.linspace(-180.0, 180.0, w + 1), "Earth's land mask")
    return resample(hm, grid.rows, grid.columns)


@njit(cache=True, nogil=True)
def _coast_distance(land, lat, dx_deg):
    """Great-circle-ish distance (km) from each cell to the nearest cell of the other kind: a chamfer
    distance transform (8 neighbours, step lengths from the local cell size; wraps in longitude),
    forward and backward sweeps repeated until nothing changes."""
    H, W = land.shape
    big = 1e9
    d = np.full((H, W), big)
    for j in range(H):
        for i in range(W):
            for dj in (-1, 0, 1):
                jj = j + dj
                if jj < 0 or jj >= H:
                    continue
                for di in (-1, 0, 1):
                    if land[jj, (i + di) % W] != land[j, i]:
                        d[j, i] = 0.0
    km = KM_PER_DEGREE
    dy = dx_deg * km
    changed = True
    sweeps = 0
    while changed and sweeps < 50:
        changed = False
        sweeps += 1
        for direction in (1, -1):
            jr = range(H) if direction == 1 else range(H - 1, -1, -1)
            for j in jr:
                dxr = max(dx_deg * km * np.cos(np.radians(lat[j])), 1e-3)
                for k in range(2 * W):
                    i = (k if direction == 1 else 2 * W - 1 - k) % W
                    best = d[j, i]
                    jp = j - direction
                    c = d[j, (i - direction) % W] + dxr
                    if c < best:
                        best = c
                    if 0 <= jp < H:
                        for di in (-1, 0, 1):
                            step = np.sqrt((di * dxr) ** 2 + dy * dy)
                            c = d[jp, (i + di) % W] + step
                            if c < best:
                                best = c
                    if best < d[j, i]:
                        d[j, i] = best
                        changed = True
    return d


def coast_distance(land: np.ndarray, grid) -> np.ndarray:
    """Distance in km from each cell to the nearest coast (cells next to the other kind are at 0)."""
    return _coast_distance(np.ascontiguousarray(land, dtype=np.bool_), grid.lat.astype(np.float64),
                           360.0 / grid.columns)


def synthetic_relief(land: np.ndarray, grid) -> np.ndarray:
    """Made-up heights in metres that respect the coastline (module docstring)."""
    dist = coast_distance(land, grid)
    lat = grid.lat[:, None] + 0 * grid.lon[None, :]
    lon = (grid.lon[None, :] + 180.0) % 360.0 - 180.0 + 0 * lat
    n = _noise(grid)
    ranges = smoothstep_np(RANGE_NOISE, 1.0, n) ** 2
    margin = 1.0 - smoothstep_np(RANGE_MARGIN_KM[0], RANGE_MARGIN_KM[1], dist)   # cratons are low (docstring)
    h = 50.0 + 350.0 * (1.0 - np.exp(-dist / 800.0)) + 3000.0 * ranges * (1.0 - np.exp(-dist / 150.0)) * margin

    def vialov(top, radius):
        x = np.minimum(dist / radius, 1.0)
        return top * np.clip(1.0 - (1.0 - x) ** (4.0 / 3.0), 0.0, 1.0) ** (3.0 / 8.0)

    antarctica = lat < -60.0
    greenland = (lat > 59.0) & (lat < 84.0) & (lon > -75.0) & (lon < -10.0)
    h = np.where(antarctica, np.maximum(vialov(3400.0, 900.0), 100.0), h)
    h = np.where(greenland, np.maximum(vialov(2800.0, 350.0), 100.0), h)
    sea = np.where(dist < 150.0, -200.0, -4000.0)
    return np.where(land, h, sea)


#: the ridged noise above which a made-up range rises (module docstring)
RANGE_NOISE = 0.87
#: made-up ranges stand at full height up to the first distance from a coast (km) and fade out by the second
RANGE_MARGIN_KM = (300.0, 700.0)


def smoothstep_np(a, b, x):
    """``smoothstep(a, b, x)`` elementwise (float64)."""
    t = np.clip((np.asarray(x, dtype=np.float64) - a) / (b - a), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _noise(grid) -> np.ndarray:
    """Ridged fBM in [0, 1] (``1 − |2 fbm − 1|``), a function of the position on the sphere (fixed offset)."""
    return _ridged(grid.positions().astype(np.float32))


@njit(cache=True, nogil=True, parallel=True)
def _ridged(p):
    H, W = p.shape[0], p.shape[1]
    out = np.empty((H, W), np.float32)
    for j in prange(H):
        for i in range(W):
            a = fbm(np.float32(3.0) * p[j, i, 0] + np.float32(11.3), np.float32(3.0) * p[j, i, 1] + np.float32(2.7),
                    np.float32(3.0) * p[j, i, 2] + np.float32(5.1))
            out[j, i] = np.float32(1.0) - abs(np.float32(2.0) * a - np.float32(1.0))
    return out


#: the climate settings planet.earth uses unless given a config (the reference's otherwise): see the README
EARTH_CLIMATE = {"continentality": 12.0, "monsoon": 50.0, "sigma_monsoon_deg": 10.0, "trough_shift": 10.0,
                 "tropical_trough": 1.0, "sea_temperature_max": 27.0}
#: the atmosphere settings planet.earth uses unless given a config (module docstring)
EARTH_ATMOSPHERE = {"sea_uptake": 0.0, "heat_low_rain": 0.0, "convergence_per_step": 1.0, "subsidence": 1.0,
                    "lift_smoothing_deg": 4.0, "orographic_scale": 3.6, "eddy_mixing_deg": 1.33,
                    "evaporation_per_step": 1.0}


def earth_config(config=None):
    """``config`` (default ``Config()``) with ``EARTH_CLIMATE`` and ``EARTH_ATMOSPHERE`` applied where it keeps
    the reference's value."""
    from planet.core.config import Config

    config = config or Config()
    default = Config().climate
    changes = {k: v for k, v in EARTH_CLIMATE.items() if getattr(config.climate, k) == getattr(default, k)}
    config = config.replace(climate=changes) if changes else config
    da = Config().atmosphere
    changes = {k: v for k, v in EARTH_ATMOSPHERE.items() if getattr(config.atmosphere, k) == getattr(da, k)}
    return config.replace(atmosphere=changes) if changes else config


def earth(resolution: int = 512, dem=None, *, stages=DEFAULT_STAGES, config=None, seed: int = 0, **options):
    """A ``Planet`` with Earth's coastlines at present day (module docstring).

    ``dem``: any ``Planet.from_heightmap`` source in metres (then its coasts are used, with
    ``options`` such as ``sea_level`` passed on); ``stages``: what runs (default climate, atmosphere
    and life, humans included, on frozen terrain)."""
    from planet.core.grid import Grid, validate_resolution
    from planet.io.heightmap import Heightmap, from_heightmap

    config = earth_config(config)
    if dem is not None:
        world = from_heightmap(dem, resolution=resolution, stages=stages, config=config, seed=seed, **options)
        world.earth = {"relief": "dem", "coastlines": "dem"}
        return world
    for key in ("sea_level", "land_fraction"):
        if options.get(key) is not None:
            raise ValueError(f"{key} applies to a DEM (planet.earth(dem=...)); Earth's coasts come from its land mask")
        options.pop(key, None)
    resolution = validate_resolution(resolution)
    grid = Grid.from_resolution(resolution)
    land = land_fraction(resolution) > 0.5
    metres = synthetic_relief(land, grid)
    hm = Heightmap(metres, np.linspace(90.0, -90.0, grid.rows + 1), np.linspace(0.0, 360.0, grid.columns + 1),
                   "Earth (synthetic relief)")
    world = from_heightmap(hm, resolution=resolution, sea_level=0.0, stages=stages, config=config, seed=seed,
                           **options)
    world.earth = {"relief": "synthetic", "coastlines": "global-land-mask"}
    return world
