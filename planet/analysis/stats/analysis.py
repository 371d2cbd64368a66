"""The analysis of one state: every intermediate quantity a statistic needs (land mask, cell
areas, river graph, fits, plate areas …) computed once, lazily."""
from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from planet.analysis import d8
from planet.analysis.stats.registry import (BANDS, EARTH_RADIUS_KM, EXCEEDANCE_LOW_CELLS, EXCEEDANCE_TOP_SHARE, HACK_MIN_BASINS,
                                            HACK_MIN_CELLS, NETWORK_MIN_CELLS, NotComputable)
from planet.analysis.stats.weighted import Fit, exceedance_fit, fit_power_law, weighted_mean, weighted_moments
from planet.core.grid import Grid
from planet.core.timeline import Timeline

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
    def _route(self, elevation: np.ndarray) -> np.ndarray:
        rec = np.asarray(self.router(elevation, self.sea_level, self.grid), dtype=np.int64)
        if rec.shape != self.grid.shape:
            raise ValueError(f"router must return receivers of shape {self.grid.shape}, got {rec.shape}")
        return rec

    @cached_property
    def receivers(self) -> np.ndarray:
        """The rivers' receivers, traced on the conditioned surface (``d8.fill_depressions``)."""
        return self._route(d8.fill_depressions(self.state["elevation"], self.sea_level))

    @cached_property
    def sea_drained_raw(self) -> float:
        """Share of the land area whose water reaches the sea on the raw surface (no filling)."""
        rec = self._route(self.state["elevation"])
        area = d8.accumulate(rec, self.need_land(), self.area_km2, np.zeros(self.grid.shape))[0].ravel()
        return float(np.sum(area[_sea_mouths(rec, self.land)]) / self.land_area_km2)

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
        return _sea_mouths(self.receivers, self.land)

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
            if areas.size == 0:
                raise NotComputable("no land")
            return self._exceedance_of(areas)
        except NotComputable as e:
            return e

    @cached_property
    def network_sites(self) -> np.ndarray:
        """The land cells (bool ``(H, W)``) of the sea basins that hold at least ``NETWORK_MIN_CELLS``
        median land-cell areas: the sites of the river networks, without the coastal fringe of
        small basins."""
        area, _, mouth = self.flow
        mouth = np.maximum(mouth, 0)            # ocean cells (-1) are masked by ``land`` below
        sea = np.zeros(area.size, dtype=np.bool_)
        sea[self.sea_mouths] = True
        return (self.need_land() & sea[mouth]
                & (area.ravel()[mouth] >= NETWORK_MIN_CELLS * self.median_land_cell_km2))

    @cached_property
    def network_exceedance(self) -> Fit | NotComputable:
        try:
            sites = self.network_sites
            if not sites.any():
                raise NotComputable(f"no sea basin of at least {NETWORK_MIN_CELLS} cells")
            return self._exceedance_of(self.flow[0][sites])
        except NotComputable as e:
            return e

    def _exceedance_of(self, areas: np.ndarray) -> Fit:
        """The exceedance fit of drainage areas (km²) from ``EXCEEDANCE_LOW_CELLS`` median land cells
        to ``EXCEEDANCE_TOP_SHARE`` of their largest."""
        return exceedance_fit(areas, EXCEEDANCE_LOW_CELLS * self.median_land_cell_km2,
                              EXCEEDANCE_TOP_SHARE * float(areas.max()))

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


def _sea_mouths(rec: np.ndarray, land: np.ndarray) -> np.ndarray:
    """Flat indices of the land cells whose receiver in ``rec`` is an ocean cell."""
    flat_land = land.ravel()
    return np.flatnonzero(flat_land & ~flat_land[rec.ravel()])


def _fit_part(attr: str, part: str, transform=lambda v: v):
    def get(a: Analysis) -> float:
        fit = getattr(a, attr)
        if isinstance(fit, NotComputable):
            raise fit
        return transform(getattr(fit, part))
    return get
