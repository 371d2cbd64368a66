"""A designed state with every field, for tests, posters and benchmarks.

Each feature is placed where a test can find it again:

* ocean floor at ``z = 3`` (sea level ``D(60 s) ≈ 7.12``) and a round
  continent of radius 40° centred at (20° N, 90° E), rising to ``z ≈ 12.5``;
* plates: id ``PLATE_WEST`` west of 180°, ``PLATE_EAST`` east of it, no plate
  (−1) south of 50° S; uplift 1 along the 180° meridian (a collision);
* a river: drainage area rising from 1 at the continent's centre to
  ``RIVER_MOUTH_AREA`` at its east coast (in the areas of an equatorial cell,
  ``Grid.equator_cell_km2``: what the renderer reads) along 20° N, and every continent
  cell carrying the mouth's basin colour ``BASIN``;
* a low (988 hPa) at (40° N, 250° E) and a high (1036 hPa) at (30° S, 300° E),
  wind trails in bands of latitude;
* temperature from 30 °C at the equator to −20 °C at the poles minus the lapse
  rate; a vapour blob at (0°, 300° E); CO2 rising eastward; life on the
  continent; a settled disc at (20° N, 90° E).
"""
from __future__ import annotations

import numpy as np

import planet
from planet.core.grid import Grid

PLATE_WEST = 0.1
PLATE_EAST = 0.6
BASIN = 0.3
RIVER_MOUTH_AREA = 1000.0
CONTINENT = (20.0, 90.0, 40.0)       # lat, lon, radius in degrees
STEP = 3600                          # t = 60 s


def _distance(lat, lon, lat0, lon0):
    """Great-circle distance in degrees."""
    a, b = np.radians(lat), np.radians(lat0)
    c = np.sin(a) * np.sin(b) + np.cos(a) * np.cos(b) * np.cos(np.radians(lon - lon0))
    return np.degrees(np.arccos(np.clip(c, -1, 1)))


def synthetic_state(rows: int = 64, step: int = STEP, seed: int = 0) -> "planet.State":
    g = Grid(rows, 2 * rows)
    lat = np.broadcast_to(g.lat[:, None], g.shape)
    lon = np.broadcast_to(g.lon[None, :], g.shape)
    lat0, lon0, radius = CONTINENT
    d = _distance(lat, lon, lat0, lon0)
    land = d < radius
    z = np.where(land, 7.5 + 5.0 * (1.0 - d / radius), 3.0)
    plate = np.where(lon < 180.0, PLATE_WEST, PLATE_EAST)
    plate = np.where(lat < -50.0, -1.0, plate)
    uplift = np.where(np.abs(lon - 180.0) < 360.0 / g.columns * 1.5, 1.0, 0.0)
    rng = np.random.default_rng(1)
    basin = np.where(land, BASIN, rng.random(g.shape))
    river = land & (np.abs(lat - lat0) < 180.0 / g.rows) & (lon >= lon0)
    east_edge = lon0 + radius / np.cos(np.radians(lat0))
    area = np.where(river, 1.0 + (RIVER_MOUTH_AREA - 1.0) * ((lon - lon0) / (east_edge - lon0)).clip(0, 1), 0.0)
    area = np.where(land & ~river, 1.0, area) * g.equator_cell_km2     # in equatorial cells → km²
    pressure = (1012.0 - 24.0 * np.exp(-(_distance(lat, lon, 40.0, 250.0) / 15.0) ** 2)
                + 24.0 * np.exp(-(_distance(lat, lon, -30.0, 300.0) / 15.0) ** 2))
    h = 0.4 * np.maximum(z - 7.12, 0.0)
    temperature = 30.0 - 50.0 * np.abs(np.sin(np.radians(lat))) - 4.0 * h
    vapour = 2.0 * np.exp(-(_distance(lat, lon, 0.0, 300.0) / 12.0) ** 2)
    co2 = 3.0 * lon / 360.0
    trails = (np.sin(np.radians(lat) * 24.0) > 0.6).astype(float)
    moisture = np.where(land, 3.0, 5.0)
    vegetation = np.where(land, 2.0 + np.sin(np.radians(lon) * 6.0), 0.0)
    prey = np.where(land, 1.0 + np.cos(np.radians(lat) * 8.0), 0.0)
    predators = np.where(land, 0.5 + 0.5 * np.sin(np.radians(lat + lon) * 5.0), 0.0)
    humans = (d < 12.0).astype(float)
    fields = dict(elevation=z, plate=plate, uplift=uplift, drainage_area=area, basin=basin,
                  pressure=pressure, temperature=temperature, wind_u=np.zeros(g.shape), wind_v=np.zeros(g.shape),
                  vapour=vapour, co2=co2, trails=trails, moisture=moisture, vegetation=vegetation, prey=prey,
                  predators=predators, humans=humans)
    fields = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in fields.items()}
    return planet.State(fields, step=step, seed=seed)
