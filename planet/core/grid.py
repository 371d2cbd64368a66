"""The equirectangular grid (spec §1).

An ``H × W`` grid with ``W = 2H``; row 0 is the northernmost row, columns
increase eastward from 0° longitude. Arrays are ``(H, W)`` so they show
north-up as images.

Neighbours wrap in longitude. Across a pole we use *polar reflection*: the
row beyond row 0 at column ``i`` is row 0 at column ``(i + W/2) mod W`` (and
likewise beyond the last row), i.e. walking over the pole lands on the far
side of the same polar cap. There is no torus and no seam.

The ``@njit`` helpers here are what every kernel uses to find neighbours, so
the rule lives in one place.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import njit

# Neighbour offsets in the reference's order N, NE, E, SE, S, SW, W, NW
# (dj = row offset, north is -1; di = column offset, east is +1).
D8_DJ = np.array([-1, -1, 0, 1, 1, 1, 0, -1], dtype=np.int64)
D8_DI = np.array([0, 1, 1, 1, 0, -1, -1, -1], dtype=np.int64)
#: the sphere's radius when the model speaks in kilometres (the planet is Earth-sized)
EARTH_RADIUS_KM = 6371.0
#: kilometres per degree of a great circle on that sphere
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0
#: columns of the reference grid: the model's rates are stated per cell of this grid at the equator
REFERENCE_COLUMNS = 512

D8_DIST = np.array([1.0, math.sqrt(2), 1.0, math.sqrt(2), 1.0, math.sqrt(2), 1.0, math.sqrt(2)],
                   dtype=np.float32)

MIN_COLUMNS = 128
MAX_COLUMNS = 16384
COLUMN_MULTIPLE = 32


@njit(cache=True, nogil=True, inline="always")
def neighbour(j, i, dj, di, H, W):
    """Row and column of the cell at offset ``(dj, di)`` from ``(j, i)``.

    ``|dj| <= 1``. Wraps in longitude; reflects over the poles.
    """
    jj = j + dj
    ii = i + di
    if jj < 0:
        jj = 0
        ii = ii + W // 2
    elif jj >= H:
        jj = H - 1
        ii = ii + W // 2
    ii = ii % W
    return jj, ii


def validate_resolution(resolution, name: str = "resolution") -> int:
    """Check a column count; return it as an int or raise ``ValueError``."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        if isinstance(resolution, float) and resolution.is_integer():
            resolution = int(resolution)
        else:
            raise ValueError(f"{name} must be an integer number of columns, got {resolution!r}")
    resolution = int(resolution)
    if resolution % 2:
        raise ValueError(f"{name} must be even (rows = columns / 2), got {resolution}")
    if resolution < MIN_COLUMNS:
        raise ValueError(f"{name} must be at least {MIN_COLUMNS} columns ({MIN_COLUMNS // 2} rows), got {resolution}")
    if resolution > MAX_COLUMNS:
        raise ValueError(f"{name} must be at most {MAX_COLUMNS} columns, got {resolution}")
    if resolution % COLUMN_MULTIPLE:
        raise ValueError(f"{name} must be a multiple of {COLUMN_MULTIPLE} columns "
                         f"(128, 256, 512, 1024, ...), got {resolution}")
    return resolution


@dataclass(frozen=True)
class Grid:
    """Geometry of an ``H × W`` equirectangular grid on the unit sphere."""

    rows: int
    columns: int

    @classmethod
    def from_resolution(cls, resolution: int) -> "Grid":
        resolution = validate_resolution(resolution)
        return cls(resolution // 2, resolution)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.columns)

    @property
    def cells(self) -> int:
        return self.rows * self.columns

    @cached_property
    def lat(self) -> np.ndarray:
        """Cell-centre latitudes in degrees, shape ``(H,)``, north first."""
        j = np.arange(self.rows, dtype=np.float64)
        return 90.0 - 180.0 * (j + 0.5) / self.rows

    @cached_property
    def lon(self) -> np.ndarray:
        """Cell-centre longitudes in degrees in (0, 360), shape ``(W,)``."""
        i = np.arange(self.columns, dtype=np.float64)
        return 360.0 * (i + 0.5) / self.columns

    @cached_property
    def area(self) -> np.ndarray:
        """Cell areas on the unit sphere (steradians), shape ``(H, 1)``; they sum to 4π."""
        edges = np.radians(90.0 - 180.0 * np.arange(self.rows + 1) / self.rows)
        band = np.sin(edges[:-1]) - np.sin(edges[1:])
        return (band * (2.0 * np.pi / self.columns))[:, None]

    @cached_property
    def area_km2(self) -> np.ndarray:
        """Cell areas in km² on a sphere of radius ``EARTH_RADIUS_KM``, shape ``(H, 1)``."""
        return self.area * EARTH_RADIUS_KM ** 2

    @property
    def equator_cell_km2(self) -> float:
        """The nominal area of a cell at the equator, ``(2πR / W)²`` km² (6112 km² at 512 columns):
        the unit in which the renderer reads drainage areas (an area per cell of the map, not a
        count of cells, whose polar slivers would add up to a river)."""
        return (2.0 * math.pi * EARTH_RADIUS_KM / self.columns) ** 2

    @cached_property
    def area_weights(self) -> np.ndarray:
        """Cell areas normalised to sum to 1 over the grid, shape ``(H, W)``."""
        w = np.broadcast_to(self.area, self.shape) / (4.0 * np.pi)
        return np.ascontiguousarray(w)

    def positions(self) -> np.ndarray:
        """Unit-sphere positions ``P(lat, lon) = (sin lon cos lat, sin lat, cos lon cos lat)``, ``(H, W, 3)`` float64."""
        lat = np.radians(self.lat)[:, None]
        lon = np.radians(self.lon)[None, :]
        return np.stack(np.broadcast_arrays(np.sin(lon) * np.cos(lat),
                                            np.sin(lat) + 0 * lon,
                                            np.cos(lon) * np.cos(lat)), axis=-1)
