"""Area-weighted statistics of a world, documented with units and definitions.

Every statistic is registered once, in :data:`REGISTRY` (name → group, units,
definition, default tolerances, function), and everything else (the JSON
written by ``planet stats --json``, the tables, the baseline comparisons of
``planet.testing``, the documentation below) comes from there::

    >>> import planet, planet.analysis.stats
    >>> s = planet.analysis.stats.compute(planet.Planet(256, seed=0).state)
    >>> s["terrain.land_fraction"].value
    1.0
    >>> print(planet.analysis.stats.describe("rivers.hack_exponent"))

Conventions
-----------
* **Area weighting.** Cells of the equirectangular grid shrink towards the
  poles; every mean, fraction and percentile weights a cell by its true area
  on the sphere (``Grid.area``; a band at 60° counts half as much as the same
  band at the equator). A weighted percentile ``p`` is read off the sorted
  values at the point where the cumulative weight, counted to the middle of
  each cell, reaches ``p``.
* **Sea level** ``D`` is the spec's ocean depth at the state's time
  (``Timeline(config.schedule).sea_level(state.time)``). A cell is **land**
  when ``z ≥ D`` and ocean otherwise.
* **Units.** Elevation ``z`` is in the model's elevation units ("z", the
  protoplanet spans 0–15; the climate's height is ``h = 0.4 (z − D)``).
  Horizontal lengths are km and areas km² on a sphere of Earth's mean radius,
  6371 km (``planet.analysis.d8.EARTH_RADIUS_KM``); so slopes are z per km.
* **Rivers** are recomputed from the elevation with the D8 router of
  ``planet.analysis.d8`` (steepest descent, ties to the last of N … NW, pits where no
  neighbour is lower), not read from the state, so they depend on the
  terrain only; ``compute(state, router=...)`` swaps in another router.
* **Fits** are least squares in log10–log10 space. Each fit is reported as
  four statistics: the exponent, its R², and the lower and upper end of the
  fitted range.
* **Not computable.** A statistic whose input is degenerate (no land, no
  rivers, no plates yet, a field the run does not have) is reported with
  ``value = None`` and a status saying why, never with a made-up number.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterable, Iterator, Mapping

import numpy as np

from planet.analysis import d8
from planet.core.grid import Grid
from planet.core.timeline import Timeline

EARTH_RADIUS_KM = d8.EARTH_RADIUS_KM
#: a land cell is part of a channel when its drainage area is at least this (km²; ~40 cells at 512 columns)
CHANNEL_AREA_KM2 = 2.5e5
#: the exceedance fit starts at this many median land-cell areas
EXCEEDANCE_LOW_CELLS = 10
#: ... and ends at the drainage area of the k-th largest land cell, k = max(this, land cells / 1000)
EXCEEDANCE_TAIL_CELLS = 10
#: points (log-spaced) at which the exceedance P(A ≥ a) is sampled for the fit
EXCEEDANCE_POINTS = 20
#: Hack's law uses sea basins of at least this many median land-cell areas
HACK_MIN_CELLS = 9
#: and needs at least this many of them
HACK_MIN_BASINS = 5
#: latitude bands of the zonal means, degrees of |latitude|
BANDS = {"equator": (0.0, 15.0), "midlatitude": (30.0, 60.0), "polar": (60.0, 90.0)}


class NotComputable(Exception):
    """Raised by a statistic's function when its input is degenerate; the message says why."""


@dataclass(frozen=True)
class Value:
    """One statistic's result: a finite ``value`` and status ``"ok"``, or ``None`` and the reason."""

    value: float | None
    status: str = "ok"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        return {"value": self.value, "status": self.status}

    def __str__(self) -> str:
        return format_value(self.value) if self.ok else f"({self.status})"

    def short(self) -> str:
        """The value, or "not computable" without the reason (for side-by-side tables)."""
        return format_value(self.value) if self.ok else "not computable"


@dataclass(frozen=True)
class Statistic:
    """A registered statistic: where it belongs, what it means, how it is computed."""

    name: str
    group: str
    units: str
    definition: str
    function: Callable[["Analysis"], float]
    rtol: float = 1e-4
    atol: float = 1e-9


#: every statistic, by name, in the order they are reported
REGISTRY: dict[str, Statistic] = {}
GROUPS = ("terrain", "rivers", "plates", "climate", "atmosphere", "life")


def _register(name: str, units: str, definition: str, function: Callable[["Analysis"], float], *,
              rtol: float = 1e-4, atol: float = 1e-9) -> None:
    group = name.split(".", 1)[0]
    assert group in GROUPS and name not in REGISTRY, name
    REGISTRY[name] = Statistic(name, group, units, definition, function, rtol, atol)


def describe(name: str) -> str:
    """A one-paragraph description of a statistic: name, units, definition."""
    st = statistic(name)
    return f"{st.name} [{st.units}] ({st.group}): {st.definition}"


def statistic(name: str) -> Statistic:
    """The registered statistic ``name``; ``ValueError`` naming the known groups if there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown statistic {name!r}; known statistics are named "
                         f"<group>.<name> with group one of {', '.join(GROUPS)} "
                         f"(see planet.analysis.stats.REGISTRY)") from None


# ---------------------------------------------------------------------------
# Weighted helpers (plain NumPy, float64).

def weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    total = float(np.sum(w))
    if total <= 0:
        raise NotComputable("empty selection")
    return float(np.sum(w * x) / total)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q) -> np.ndarray | float:
    """Weighted quantile(s) ``q`` ∈ [0, 1] of ``x``: the value where the cumulative weight, counted to
    the middle of each sorted cell, reaches ``q`` (linear in between, clamped at the ends)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    w = np.asarray(w, dtype=np.float64).ravel()
    if x.size == 0 or np.sum(w) <= 0:
        raise NotComputable("empty selection")
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    c = (np.cumsum(ws) - 0.5 * ws) / np.sum(ws)
    return np.interp(q, c, xs)


def weighted_moments(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, standard deviation, skewness and excess kurtosis of ``x`` under weights ``w``."""
    m = weighted_mean(x, w)
    d = x - m
    var = weighted_mean(d * d, w)
    sd = math.sqrt(var)
    if sd <= 1e-12 * max(1.0, abs(m)):
        return m, sd, math.nan, math.nan
    return m, sd, weighted_mean(d**3, w) / sd**3, weighted_mean(d**4, w) / sd**4 - 3.0


@dataclass(frozen=True)
class Fit:
    """A least-squares line ``log10 y = slope · log10 x + intercept`` over ``x ∈ [lo, hi]``."""

    slope: float
    intercept: float
    r2: float
    lo: float
    hi: float
    n: int


def fit_power_law(x: np.ndarray, y: np.ndarray) -> Fit:
    """Fit ``y = 10^intercept · x^slope`` in log10–log10 space; R² of that linear fit."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    keep = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < 3:
        raise NotComputable(f"fewer than 3 points to fit ({x.size})")
    lx, ly = np.log10(x), np.log10(y)
    sxx = float(np.sum((lx - lx.mean()) ** 2))
    if sxx <= 0:
        raise NotComputable("all points have the same x")
    slope = float(np.sum((lx - lx.mean()) * (ly - ly.mean())) / sxx)
    intercept = float(ly.mean() - slope * lx.mean())
    ss_res = float(np.sum((ly - (slope * lx + intercept)) ** 2))
    ss_tot = float(np.sum((ly - ly.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return Fit(slope, intercept, r2, float(x.min()), float(x.max()), int(x.size))


def exceedance_fit(values: np.ndarray, lo: float, hi: float, points: int = EXCEEDANCE_POINTS) -> Fit:
    """Fit the exceedance ``P(A ≥ a) ~ a^(−β)`` of the sample ``values`` for ``a ∈ [lo, hi]``.

    ``P`` is the fraction of the sample with ``A ≥ a``, evaluated at ``points``
    log-spaced values of ``a`` (so each decade counts the same); the returned
    ``Fit.slope`` is ``−β``. Needs ``hi ≥ 10 lo`` (a decade of scaling).
    """
    v = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if v.size == 0:
        raise NotComputable("no values")
    if not (lo > 0 and hi >= 10 * lo):
        raise NotComputable(f"scaling range [{lo:.3g}, {hi:.3g}] is shorter than a decade")
    a = np.logspace(math.log10(lo), math.log10(hi), points)
    p = (v.size - np.searchsorted(v, a, side="left")) / v.size
    return fit_power_law(a, p)


# ---------------------------------------------------------------------------
# The analysis of one state: every intermediate quantity is computed once, lazily.

class Analysis:
    """Lazily computed quantities of one state that the statistics share.

    Parameters
    ----------
    state : a ``planet.State``.
    sea_level : override ``D`` (default: the spec's ``D`` at the state's time).
    router : ``router(elevation, sea_level, grid) -> int64 (H, W) receivers`` (default ``planet.analysis.d8.receivers``).
    """

    def __init__(self, state, *, sea_level: float | None = None, router=None):
        self.state = state
        self.grid: Grid = state.grid
        if sea_level is None:
            sea_level = Timeline(state.config.schedule).sea_level(state.time)
        if isinstance(sea_level, bool) or not isinstance(sea_level, (int, float, np.integer, np.floating)) \
                or not math.isfinite(sea_level):
            raise ValueError(f"sea_level must be a finite number (elevation units), got {sea_level!r}")
        self.sea_level = float(sea_level)
        self.router = router or d8.receivers

    # -- fields ---------------------------------------------------------------
    def field(self, name: str, why: str) -> np.ndarray:
        if name not in self.state:
            raise NotComputable(f"no {name} field ({why})")
        return np.asarray(self.state[name], dtype=np.float64)

    @cached_property
    def z(self) -> np.ndarray:
        return self.field("elevation", "lithosphere not in this state")

    @cached_property
    def weight(self) -> np.ndarray:
        """Cell area as a fraction of the sphere, ``(H, W)``."""
        return self.grid.area_weights

    @cached_property
    def area_km2(self) -> np.ndarray:
        return d8.cell_area_km2(self.grid)

    @cached_property
    def land(self) -> np.ndarray:
        return self.z >= self.sea_level

    def need_land(self) -> np.ndarray:
        if not self.land.any():
            raise NotComputable("no land")
        return self.land

    def need_ocean(self) -> np.ndarray:
        if self.land.all():
            raise NotComputable("no ocean")
        return ~self.land

    @cached_property
    def land_area_km2(self) -> float:
        return float(np.sum(self.area_km2[self.need_land()]))

    # -- terrain ----------------------------------------------------------------
    @cached_property
    def height(self) -> np.ndarray:
        """Height above sea level of the land cells, ``z − D`` (1-D)."""
        return self.z[self.need_land()] - self.sea_level

    @cached_property
    def land_moments(self):
        return weighted_moments(self.height, self.weight[self.land])

    @cached_property
    def ocean_depth(self) -> np.ndarray:
        return self.sea_level - self.z[self.need_ocean()]

    @cached_property
    def relative_height(self) -> np.ndarray:
        """Hypsometric relative height ``x = (z − D) / (z_max − D)`` of the land cells."""
        top = float(self.height.max())
        if top <= 0:
            raise NotComputable("land has no relief above sea level")
        return self.height / top

    @cached_property
    def slope(self) -> np.ndarray:
        """Gradient magnitude of ``z`` on the sphere, z per km, by central differences.

        ``∂z/∂y = (z_N − z_S) / (2 R Δφ)``, ``∂z/∂x = (z_E − z_W) / (2 R cos φ Δλ)``:
        the east-west spacing shrinks with the cosine of latitude. North of the
        top row is the top row half way round (polar reflection), which is
        ``R Δφ`` away over the pole, so the formula holds there too.
        """
        H, W = self.grid.shape
        z = self.z
        north = np.vstack([np.roll(z[:1], W // 2, axis=1), z[:-1]])
        south = np.vstack([z[1:], np.roll(z[-1:], W // 2, axis=1)])
        east, west = np.roll(z, -1, axis=1), np.roll(z, 1, axis=1)
        dphi, dlam = math.pi / H, 2 * math.pi / W
        coslat = np.cos(np.radians(self.grid.lat))[:, None]
        gy = (north - south) / (2 * EARTH_RADIUS_KM * dphi)
        gx = (east - west) / (2 * EARTH_RADIUS_KM * coslat * dlam)
        return np.hypot(gx, gy)

    @cached_property
    def roughness(self) -> float:
        z = self.z
        W = self.grid.columns
        north = np.vstack([np.roll(z[:1], W // 2, axis=1), z[:-1]])
        south = np.vstack([z[1:], np.roll(z[-1:], W // 2, axis=1)])
        resid = z - 0.25 * (north + south + np.roll(z, -1, axis=1) + np.roll(z, 1, axis=1))
        land = self.need_land()
        return math.sqrt(weighted_mean(resid[land] ** 2, self.weight[land]))

    # -- rivers -------------------------------------------------------------------
    @cached_property
    def receivers(self) -> np.ndarray:
        rec = np.asarray(self.router(self.state["elevation"], self.sea_level, self.grid), dtype=np.int64)
        if rec.shape != self.grid.shape:
            raise ValueError(f"router must return receivers of shape {self.grid.shape}, got {rec.shape}")
        return rec

    @cached_property
    def flow(self):
        """``(drainage area km², upstream length km, mouth)`` of every cell (``planet.analysis.d8.accumulate``)."""
        self.need_land()
        return d8.accumulate(self.receivers, self.land, self.area_km2, self.hop)

    @cached_property
    def hop(self) -> np.ndarray:
        """Great-circle distance (km) from each cell to its receiver."""
        return d8.hop_length_km(self.receivers, self.grid)

    @cached_property
    def sea_mouths(self) -> np.ndarray:
        """Flat indices of the land cells that drain straight into the ocean (one per sea basin)."""
        rec = self.receivers.ravel()
        land = self.land.ravel()
        idx = np.flatnonzero(land & ~land[rec])
        return idx

    @cached_property
    def sea_basin_areas(self) -> np.ndarray:
        area = self.flow[0].ravel()
        return area[self.sea_mouths]

    def need_sea_basins(self) -> np.ndarray:
        if self.sea_mouths.size == 0:
            raise NotComputable("no land drains to the sea")
        return self.sea_basin_areas

    @cached_property
    def median_land_cell_km2(self) -> float:
        return float(np.median(self.area_km2[self.need_land()]))

    @cached_property
    def exceedance(self) -> Fit | NotComputable:
        try:
            areas = self.flow[0][self.land]
            lo = EXCEEDANCE_LOW_CELLS * self.median_land_cell_km2
            k = max(EXCEEDANCE_TAIL_CELLS, areas.size // 1000)
            if areas.size < k:
                raise NotComputable(f"fewer than {k} land cells")
            hi = float(np.sort(areas)[-k])
            return exceedance_fit(areas, lo, hi)
        except NotComputable as e:
            return e

    @cached_property
    def hack(self) -> Fit | NotComputable:
        try:
            areas = self.need_sea_basins()
            lengths = self.flow[1].ravel()[self.sea_mouths]
            keep = (areas >= HACK_MIN_CELLS * self.median_land_cell_km2) & (lengths > 0)
            if keep.sum() < HACK_MIN_BASINS:
                raise NotComputable(f"fewer than {HACK_MIN_BASINS} sea basins of at least "
                                    f"{HACK_MIN_CELLS} cells ({int(keep.sum())})")
            if areas[keep].max() < 4 * areas[keep].min():
                raise NotComputable("sea basin areas span less than a factor of 4")
            return fit_power_law(areas[keep], lengths[keep])
        except NotComputable as e:
            return e

    # -- plates -------------------------------------------------------------------
    @cached_property
    def plate(self) -> np.ndarray:
        return self.field("plate", "lithosphere not in this state")

    @cached_property
    def plate_areas(self) -> np.ndarray:
        """Area (km²) of each plate present (id ≥ 0), in id order."""
        p = self.plate
        has = p >= 0
        ids, inverse = np.unique(p[has], return_inverse=True)
        return np.bincount(inverse, weights=self.area_km2[has], minlength=ids.size)

    def need_plates(self) -> np.ndarray:
        if self.plate_areas.size == 0:
            raise NotComputable("no plates yet")
        return self.plate_areas

    @cached_property
    def boundary_length(self) -> float:
        """Length (km) of the cell edges between two different plates (id ≥ 0 on both sides)."""
        self.need_plates()
        p = self.plate
        H, W = self.grid.shape
        east = np.roll(p, -1, axis=1)
        ew = np.sum((p != east) & (p >= 0) & (east >= 0), axis=1)  # edges along meridians, per row
        ns = np.sum((p[:-1] != p[1:]) & (p[:-1] >= 0) & (p[1:] >= 0), axis=1)  # edges along parallels
        edge_lat = np.radians(90.0 - 180.0 * np.arange(1, H) / H)
        meridian = EARTH_RADIUS_KM * math.pi / H
        parallel = EARTH_RADIUS_KM * np.cos(edge_lat) * 2 * math.pi / W
        return float(np.sum(ew) * meridian + np.sum(ns * parallel))

    # -- climate and life -----------------------------------------------------------
    def zonal_mean(self, name: str, band: str, why: str) -> float:
        x = self.field(name, why)
        lo, hi = BANDS[band]
        lat = np.abs(self.grid.lat)
        rows = (lat >= lo) & (lat < hi) if hi < 90 else (lat >= lo)
        if not rows.any():
            raise NotComputable(f"no rows in the {band} band at this resolution")
        return weighted_mean(x[rows], self.weight[rows])

    def land_mean(self, name: str, why: str) -> float:
        x = self.field(name, why)
        land = self.need_land()
        return weighted_mean(x[land], self.weight[land])


def _fit_part(attr: str, part: str, transform=lambda v: v):
    def get(a: Analysis) -> float:
        fit = getattr(a, attr)
        if isinstance(fit, NotComputable):
            raise fit
        return transform(getattr(fit, part))
    return get


# ---------------------------------------------------------------------------
# The registry. Order here is the order of reports.

def _build_registry() -> None:
    R = _register
    # terrain
    R("terrain.sea_level", "z", "sea level D(t) at the state's time (spec §1); land is z ≥ D",
      lambda a: a.sea_level)
    R("terrain.land_fraction", "1", "fraction of the sphere's area with z ≥ D",
      lambda a: weighted_mean(a.land.astype(float), a.weight))
    R("terrain.elevation_mean", "z", "area-weighted mean elevation z over the whole sphere",
      lambda a: weighted_mean(a.z, a.weight))
    R("terrain.elevation_std", "z", "area-weighted standard deviation of z over the whole sphere",
      lambda a: weighted_moments(a.z, a.weight)[1])
    for p in (1, 10, 50, 90, 99):
        R(f"terrain.elevation_p{p:02d}", "z", f"area-weighted {p}th percentile of z over the whole sphere",
          lambda a, q=p / 100: float(weighted_quantile(a.z, a.weight, q)))
    R("terrain.land_height_mean", "z", "area-weighted mean height above sea level z − D of land",
      lambda a: a.land_moments[0])
    R("terrain.land_height_std", "z", "area-weighted standard deviation of z − D over land",
      lambda a: a.land_moments[1])
    R("terrain.land_height_skewness", "1", "area-weighted skewness of z − D over land (not computable if flat)",
      lambda a: a.land_moments[2], atol=1e-6)
    R("terrain.land_height_kurtosis", "1", "area-weighted excess kurtosis of z − D over land (not computable if flat)",
      lambda a: a.land_moments[3], atol=1e-6)
    for p in (50, 90, 99):
        R(f"terrain.land_height_p{p}", "z", f"area-weighted {p}th percentile of z − D over land",
          lambda a, q=p / 100: float(weighted_quantile(a.height, a.weight[a.land], q)))
    R("terrain.land_height_max", "z", "highest land: max(z) − D", lambda a: float(a.height.max()))
    R("terrain.ocean_depth_mean", "z", "area-weighted mean depth below sea level D − z of the ocean",
      lambda a: weighted_mean(a.ocean_depth, a.weight[~a.land]))
    R("terrain.ocean_depth_std", "z", "area-weighted standard deviation of D − z over the ocean",
      lambda a: weighted_moments(a.ocean_depth, a.weight[~a.land])[1])
    for p in (50, 90):
        R(f"terrain.ocean_depth_p{p}", "z", f"area-weighted {p}th percentile of D − z over the ocean",
          lambda a, q=p / 100: float(weighted_quantile(a.ocean_depth, a.weight[~a.land], q)))
    R("terrain.ocean_depth_max", "z", "deepest ocean: D − min(z)", lambda a: float(a.ocean_depth.max()))
    R("terrain.hypsometric_integral", "1",
      "area under the hypsometric curve of the land (fraction of land area above relative height "
      "x = (z − D)/(max z − D), integrated over x ∈ [0, 1]) = area-weighted mean of x; "
      "1/2 for a uniform distribution of heights, 1/3 for a cone",
      lambda a: weighted_mean(a.relative_height, a.weight[a.land]))
    for share in (10, 25, 50, 75, 90):
        R(f"terrain.hypsometric_x{share}", "1",
          f"hypsometric curve: the relative height x above which {share}% of the land area lies",
          lambda a, q=1 - share / 100: float(weighted_quantile(a.relative_height, a.weight[a.land], q)))
    R("terrain.slope_mean", "z/km",
      "area-weighted mean over land of the gradient magnitude |∇z| (central differences with true "
      "distances on a 6371 km sphere: east-west spacing R cos φ Δλ)",
      lambda a: weighted_mean(a.slope[a.need_land()], a.weight[a.land]))
    for p in (50, 90, 99):
        R(f"terrain.slope_p{p}", "z/km", f"area-weighted {p}th percentile of |∇z| over land",
          lambda a, q=p / 100: float(weighted_quantile(a.slope[a.need_land()], a.weight[a.land], q)))
    R("terrain.roughness", "z",
      "area-weighted RMS over land of z minus the mean of its 4 neighbours (local relief at the grid scale)",
      lambda a: a.roughness)
    # rivers
    R("rivers.sea_basins", "count",
      "number of basins draining to the sea: land cells whose D8 receiver is an ocean cell (river mouths)",
      lambda a: float((a.need_land(), a.sea_mouths.size)[1]), rtol=0.0, atol=0.5)
    R("rivers.sea_drained_fraction", "1",
      "fraction of the land area whose flow reaches the sea (the rest ends in inland pits)",
      lambda a: float(np.sum(a.need_sea_basins()) / a.land_area_km2))
    R("rivers.largest_basin_share", "1", "area of the largest basin draining to the sea / land area",
      lambda a: float(np.max(a.need_sea_basins()) / a.land_area_km2))
    R("rivers.drainage_density", "1/km",
      f"total channel length / land area; a channel is a land cell draining at least "
      f"{CHANNEL_AREA_KM2:.3g} km², its length the great-circle distance to its receiver",
      _drainage_density)
    R("rivers.area_exponent", "1",
      "β of the exceedance P(A ≥ a) ~ a^(−β) of the drainage areas A of land cells, fitted from "
      f"{EXCEEDANCE_LOW_CELLS} median cell areas to the area of the k-th largest cell "
      f"(k = max({EXCEEDANCE_TAIL_CELLS}, land cells/1000)), {EXCEEDANCE_POINTS} log-spaced points",
      _fit_part("exceedance", "slope", lambda s: -s), atol=1e-6)
    R("rivers.area_exponent_r2", "1", "R² of the exceedance fit (log10 P vs log10 a)",
      _fit_part("exceedance", "r2"), atol=1e-6)
    R("rivers.area_exponent_lo", "km²", "lower end of the exceedance fit's range of a",
      _fit_part("exceedance", "lo"))
    R("rivers.area_exponent_hi", "km²", "upper end of the exceedance fit's range of a",
      _fit_part("exceedance", "hi"))
    R("rivers.hack_exponent", "1",
      "Hack's h in L ~ A^h over the sea basins of at least "
      f"{HACK_MIN_CELLS} cells: L the longest flow path from a divide to the mouth (km), A the basin area (km²)",
      _fit_part("hack", "slope"), atol=1e-6)
    R("rivers.hack_exponent_r2", "1", "R² of Hack's fit (log10 L vs log10 A)", _fit_part("hack", "r2"), atol=1e-6)
    R("rivers.hack_exponent_lo", "km²", "smallest basin area in Hack's fit", _fit_part("hack", "lo"))
    R("rivers.hack_exponent_hi", "km²", "largest basin area in Hack's fit", _fit_part("hack", "hi"))
    R("rivers.hack_exponent_basins", "count", "number of basins in Hack's fit",
      _fit_part("hack", "n", float), rtol=0.0, atol=0.5)
    R("rivers.longest_river", "km",
      "longest flow path from a divide to a river mouth on the sea, along great circles between cell centres",
      _longest_river)
    R("rivers.flow_p99", "cells",
      "99th percentile over land of the model's own flow field drainage_area (upstream cell count, spec §4)",
      lambda a: _model_flow(a, 0.99))
    R("rivers.flow_p999", "cells", "99.9th percentile over land of the model's drainage_area field",
      lambda a: _model_flow(a, 0.999))
    # plates
    R("plates.count", "count", "number of distinct plate ids (≥ 0) present", lambda a: float(a.plate_areas.size),
      rtol=0.0, atol=0.5)
    R("plates.unplated_fraction", "1", "fraction of the sphere's area with no plate (id −1)",
      lambda a: weighted_mean((a.plate < 0).astype(float), a.weight))
    R("plates.largest_share", "1", "area of the largest plate / area of the sphere",
      lambda a: float(a.need_plates().max() / np.sum(a.area_km2)))
    R("plates.effective_count", "1",
      "size-weighted number of plates (Σ a)² / Σ a² over plate areas a (inverse Simpson index): "
      "n for n equal plates, near 1 when one plate dominates",
      lambda a: float(np.sum(a.need_plates()) ** 2 / np.sum(a.plate_areas**2)))
    R("plates.median_area", "km²", "median plate area", lambda a: float(np.median(a.need_plates())))
    R("plates.boundary_length", "km",
      "total length of the cell edges between two different plates, on a 6371 km sphere "
      "(a parallel at latitude φ: R cos φ Δλ per edge; a meridian: R Δφ); edges next to plateless cells "
      "are not counted", lambda a: a.boundary_length)
    R("plates.uplift_high_fraction", "1", "fraction of the sphere's area with uplift y > 0.5",
      lambda a: weighted_mean((a.field("uplift", "lithosphere not in this state") > 0.5).astype(float), a.weight))
    R("plates.uplift_high_fraction_polar", "1",
      "fraction of the cells of the two northernmost and two southernmost rows with uplift y > 0.5 "
      "(spec §4 asks for this: a polar rule that piles up uplift shows here, against "
      "plates.uplift_high_fraction elsewhere)",
      lambda a: float(np.mean(np.concatenate([a.field("uplift", "lithosphere not in this state")[:2],
                                              a.field("uplift", "")[-2:]]) > 0.5)))
    # climate
    why_climate = "climate not in this state"
    R("climate.temperature_mean", "°C", "area-weighted mean surface temperature",
      lambda a: weighted_mean(a.field("temperature", why_climate), a.weight))
    for band, (lo, hi) in BANDS.items():
        R(f"climate.temperature_{band}", "°C",
          f"zonal-mean surface temperature over {lo:g}° ≤ |latitude| < {hi:g}° (area-weighted)",
          lambda a, b=band: a.zonal_mean("temperature", b, why_climate))
    R("climate.pressure_mean", "hPa", "area-weighted mean sea-level pressure",
      lambda a: weighted_mean(a.field("pressure", why_climate), a.weight))
    for band, (lo, hi) in BANDS.items():
        R(f"climate.pressure_{band}", "hPa",
          f"zonal-mean sea-level pressure over {lo:g}° ≤ |latitude| < {hi:g}° (area-weighted)",
          lambda a, b=band: a.zonal_mean("pressure", b, why_climate))
    R("climate.wind_speed_mean", "map cells/step", "area-weighted mean of √(u² + v²)",
      lambda a: weighted_mean(np.hypot(a.field("wind_u", why_climate), a.field("wind_v", why_climate)),
                              a.weight))
    # atmosphere
    why_atmosphere = "atmosphere not in this state"
    R("atmosphere.vapour_mean", "vapour", "area-weighted mean water vapour w (spec §6, 0–3)",
      lambda a: weighted_mean(a.field("vapour", why_atmosphere), a.weight))
    R("atmosphere.precipitation_mean", "vapour/step",
      "area-weighted mean precipitation, the rain-out rate times vapour (0.005 w per step by default)",
      lambda a: a.state.config.atmosphere.precipitation * weighted_mean(a.field("vapour", why_atmosphere),
                                                                        a.weight))
    R("atmosphere.co2_ppm", "ppm", "area-weighted mean displayed CO2, 377 + 3 c (spec §6)",
      lambda a: 377.0 + 3.0 * weighted_mean(a.field("co2", why_atmosphere), a.weight))
    # life
    why_life = "life not in this state"
    R("life.moisture_land_mean", "moisture", "area-weighted mean soil moisture m over land (0–5)",
      lambda a: a.land_mean("moisture", why_life))
    for pop in ("vegetation", "prey", "predators"):
        R(f"life.{pop}_land_mean", "population",
          f"biomass of {pop}: area-weighted mean density over land (population units)",
          lambda a, p=pop: a.land_mean(p, why_life))
    R("life.settled_area", "km²", "settled area: Σ humans × cell area (humans ∈ [0, 1], 1 = settled)",
      lambda a: float(np.sum(np.clip(a.field("humans", why_life), 0, None) * a.area_km2)))
    R("life.settled_fraction", "1", "settled area / land area",
      lambda a: float(np.sum(np.clip(a.field("humans", why_life), 0, None) * a.area_km2) / a.land_area_km2))


def _drainage_density(a: Analysis) -> float:
    area = a.flow[0]
    channel = a.land & (area >= CHANNEL_AREA_KM2)
    if not channel.any():
        raise NotComputable(f"no rivers: no land cell drains {CHANNEL_AREA_KM2:.3g} km²")
    return float(np.sum(a.hop[channel]) / a.land_area_km2)


def _longest_river(a: Analysis) -> float:
    a.need_sea_basins()
    longest = float(np.max(a.flow[1].ravel()[a.sea_mouths]))
    if longest <= 0:
        raise NotComputable("no river longer than one cell reaches the sea")
    return longest


def _model_flow(a: Analysis, q: float) -> float:
    flow = a.field("drainage_area", "lithosphere not in this state")
    land = a.need_land()
    if not np.any(flow[land] > 0):
        raise NotComputable("the state's drainage_area is zero everywhere (no flow routed yet)")
    return float(weighted_quantile(flow[land], a.weight[land], q))


_build_registry()
from planet.analysis.koppen_stats import register as _register_koppen  # noqa: E402 (Köppen group shares)

_register_koppen(_register, NotComputable)


# ---------------------------------------------------------------------------
# Computing and reporting.

class Statistics(Mapping[str, Value]):
    """The statistics of one state (a read-only mapping name → :class:`Value`) with the run's metadata."""

    def __init__(self, values: dict[str, Value], meta: dict):
        self._values = dict(values)
        self.meta = dict(meta)

    def __getitem__(self, name: str) -> Value:
        try:
            return self._values[name]
        except KeyError:
            statistic(name)  # unknown name → ValueError with the groups
            raise KeyError(f"statistic {name!r} was not computed") from None

    def __contains__(self, name) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def to_dict(self) -> dict:
        """``{"meta": {...}, "statistics": {name: {"value", "status", "units"}}}`` (JSON-ready)."""
        return {"meta": self.meta,
                "statistics": {n: {**v.to_dict(), "units": REGISTRY[n].units} for n, v in self._values.items()}}

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def table(self) -> str:
        """A readable table: name, value, units, and why a statistic is not computable."""
        rows = [(n, format_value(v.value), REGISTRY[n].units, "" if v.ok else v.status)
                for n, v in self._values.items()]
        return format_table(("statistic", "value", "units", "note"), rows)

    def to_pandas(self):
        """A ``pandas.DataFrame``, one row per statistic (``planet.analysis.tables.to_pandas``)."""
        from planet.analysis.tables import to_pandas

        return to_pandas(self)

    def _repr_html_(self) -> str:
        from planet.analysis.tables import to_html

        return to_html(self)

    def __repr__(self) -> str:
        m = self.meta
        return (f"<Statistics: {len(self)} statistics of seed {m.get('seed')}, resolution {m.get('resolution')}, "
                f"step {m.get('step')}>")


class NonFiniteWarning(RuntimeWarning):
    """Statistics were computed from a state holding NaN or infinite values."""


def compute(state, names: Iterable[str] | None = None, *, sea_level: float | None = None,
            router=None, koppen=None) -> Statistics:
    """Compute the statistics ``names`` (default: all, or every statistic of the groups named) of ``state``.

    ``names`` may mix statistic names and group names (``"terrain"``). Unknown names raise
    ``ValueError``. A statistic whose input is degenerate gets ``Value(None, "not computable: …")``.
    """
    selected = select(names)
    from planet.core.state import first_nonfinite

    bad = first_nonfinite(state.fields)
    if bad is not None:
        import warnings

        warnings.warn(f"statistics of a state with non-finite values: field {bad[0]!r} holds {bad[3]} at "
                      f"cell (row {bad[1]}, col {bad[2]}) ({bad[4]} cells); statistics that read it are "
                      f"shifted or not computable", NonFiniteWarning, stacklevel=2)
    a = Analysis(state, sea_level=sea_level, router=router)
    a.koppen = koppen   # a class map from planet.koppen(world), for the climate.koppen_* shares
    values = {}
    for name in selected:
        try:
            v = float(REGISTRY[name].function(a))
            values[name] = Value(v) if math.isfinite(v) else Value(None, "not computable: not finite")
        except NotComputable as e:
            values[name] = Value(None, f"not computable: {e}")
    from planet._version import __version__

    meta = {"planet_version": __version__, "resolution": state.columns, "rows": state.rows,
            "seed": state.seed, "step": state.step, "time": state.time, "sea_level": a.sea_level,
            "stages": list(getattr(state, "stages", ())), "config": state.config.to_dict()}
    return Statistics(values, meta)


def select(names: Iterable[str] | None) -> list[str]:
    """Registered statistic names for a selection of statistic and group names (``None``: all)."""
    if names is None:
        return list(REGISTRY)
    if isinstance(names, str):
        names = [names]
    out: list[str] = []
    for n in names:
        if n in GROUPS:
            out += [k for k, st in REGISTRY.items() if st.group == n and k not in out]
        else:
            statistic(n)
            if n not in out:
                out.append(n)
    return out


def format_value(v: float | None) -> str:
    if v is None:
        return "—"
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e12:
        return f"{int(v)}"
    return f"{v:.6g}"


def format_table(header: tuple[str, ...], rows: list[tuple]) -> str:
    """Left-aligned plain-text columns."""
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def documentation() -> str:
    """Every statistic with group, units and definition (Markdown), generated from the registry."""
    out = []
    for group in GROUPS:
        out.append(f"### {group}\n")
        out.append("| statistic | units | definition |\n|---|---|---|")
        out += [f"| `{st.name}` | {st.units} | {st.definition} |" for st in REGISTRY.values() if st.group == group]
        out.append("")
    return "\n".join(out)
