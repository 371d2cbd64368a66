"""Climate stage (spec §5): pressure, temperature and wind from elevation and season.

Everything is computed on the **climate map**, the elevation box-averaged by
``f = 2^L`` with ``L = max(1, floor(log2(W / 144)))`` (128 columns at W = 256,
256 at W = 512 and 1024), and then sampled bilinearly back to full resolution
(wrap in longitude, clamped beyond the first/last row centre). A box that
sticks out of the grid (``H`` or ``W`` not divisible by ``f``) averages the
cells it has.

Per climate cell, with latitude φ in degrees, ``land = z > D`` and height
``h = 0.4 max(0, z − D)``:

    annual mean (hPa)    land  1012.5 − 6 cos(φπ/45)     ocean 1014.5 − 20 cos(φπ/30)
    Jan–Jul amplitude    land  15 sin(φπ/90)             ocean 20 sin(φπ/35) |φ|/90

The mean, the amplitude and ``h`` are blurred with normalised Gaussians whose
σ is given in **degrees** (``config.climate.sigma_*_deg``; 6, 4 and 1 cells
at the reference's 256-column map), so the climate does not depend on ``W``.
The blur is separable: in longitude a wrapped convolution; in latitude a
kernel that also keeps the area-weighted mean (see ``blur``). Then

    season  s = 1 − 2 smoothstep(1.5, 4.5, m) + 2 smoothstep(7.5, 10.5, m),  m = (12 t / year) mod 12
    pressure     p = mean + amplitude · s
    sea-level T0 = (−27 + 73 tanh(2.2 exp(−½((φ + 5s)/30)²)) − (p − 1012)) / 1.8 + 1.5 land
    warm T0'     = (  9 + 50 tanh(…same…)                  − (p − 1012)) / 1.8 + 4 land
    surface T    = mix(T0, T0', k) − mix(4, 3, k) h,   k = smoothstep(200, 220, t) (undone 5–15 s after story end)
                   − c · L · s · sin φ          continentality (c = config.climate.continentality, 0 by default;
                                                 L = land fraction blurred like the amplitude; planet.earth: c = 12)
    over the sea T ← T_max − τ ln(1 + e^{(T_max − T)/τ}), τ = 2 °C, blended out by k   the thermostat
                   (T_max = sea_temperature_max; 100 by default, off; planet.earth: 27.5; applied to
                   T before the continentality term)
    wind pressure  p_w = p + monsoon · L' · s · sin φ                          (L' = land blurred by sigma_monsoon_deg)
                       + tropical_trough · blur(land · (p_ocean(φ) − p_land(φ)) · smoothstep(20, 5, |φ|))
                       + blur(mean(φ + trough_shift · s)) − blur(mean(φ))     (all three 0 by default)
    gradient     g = ∇p_w, central differences in climate cells (wrap in longitude, polar reflection)
    wind         v = 15 sin φ (−g_y, g_x) − g          (x east, y north), then |v| clamped to 1

**The wind's pressure** (``planet.earth`` sets these; 0 by default, the reference). The spec's
belts do not move with the season and its land is a high against the ocean's equatorial trough
(1006.5 against 994.5 hPa), so on Earth the trades blow out of the tropical continents and India's
July wind came from the north-north-west. Three physically motivated terms, added after the temperature
(they are the result of the heating that ``T`` and ``continentality`` already hold, so ``T`` does not
count them again), stored in ``pressure``:

* ``monsoon`` (hPa): large continents make a heat low in summer and a cold high in winter, in
  proportion to their blurred land fraction (``sigma_monsoon_deg``, 10° on Earth);
* ``trough_shift`` (degrees): the equatorial trough and the subtropical highs follow the sun (north in
  July), as the ITCZ does by 5–10° over the oceans;
* ``tropical_trough`` (0–1): within 20° of the equator, land takes that share of the ocean's trough
  (the ITCZ crosses the continents).

Earth at 128 columns (monsoon 50 hPa, sigma 10°, shift 10°, trough 1): July wind over India
(20N 78E) from the north-north-west (u 0.20, v −0.51, month mean) to the south-west (u 1.00, v 0.04),
over the Arabian Sea (15N 65E) from the north-east (−0.84, −0.48) to the south-west (0.97, 0.23);
January stays north-easterly; the annual-mean highs stay at ±32°, the equatorial low 13 hPa below
them (19 before). The price: ``pressure`` swings far more than Earth's over the big continents
(Siberia 1065 hPa in January, 964 in July; Earth about 1035 and 1000): the spec's pressure is a
driver of the (clamped) wind, and its belts already span 994–1035 hPa.

**Thermal lows** (``heat_low``, for the atmosphere's rain-out): the ``monsoon`` term and, when
``atmosphere.heat_low_rain < 1``, the land's own seasonal pressure against the ocean's at the same
latitude, ``s · blur(land · (A_land(φ) − A_ocean(φ)))`` (``_land_amplitude``; the amplitude is blurred
linearly, so this is exactly the continents' part of ``amplitude · s``). The atmosphere's rain-out can
leave their convergence out (``planet.processes.inland``); pressure, temperature and wind are unchanged.

**The tropical ocean's thermostat** (``sea_temperature_max``, Earth only). The spec's ``T0`` keeps
rising as the pressure falls (1/1.8 °C per hPa below 1012), and its equatorial ocean trough is
deep (994.5 hPa unblurred), so Earth's zonal mean within 5° of the equator came out at 29.1 °C
(Earth 25–27 °C). On Earth evaporation and deep convection hold the warmest oceans near 30 °C
(Ramanathan & Collins 1991), with the air above a degree or two cooler. A soft ceiling over the sea,
``T_max − τ ln(1 + e^{(T_max − T)/τ})`` (``T`` itself far below, ``T_max − τ ln 2`` at ``T = T_max``,
``T_max`` far above), with ``T_max = 27.5 °C``, ``τ = 2 °C``: 29.1 → 26.6 °C at 128 columns. It is blended out
by the warming ``k``, so the story's warming is not capped.

**Units of the wind**: climate-map cells per step, as in the reference
(``wind_u`` east, ``wind_v`` north). The spec clamps ``|v| ≤ 1`` where the
wind advects; since everything the wind moves uses the clamped wind, the
clamp (``config.climate.wind_max``) is applied once on the climate map and
the stored fields are the advecting wind. It moves vapour, CO2 and wind
particles by ``v · W / 512`` full-resolution cells per step: the
reference's displacement at 512 columns, the same displacement in degrees
at any other resolution. (Unclamped, the wind reaches ~50 cells per step in
the westerlies; ``planet.processes.climate.wind`` gives it.)

Example: at φ = 45° over the ocean in January (s = 1) the unblurred pressure
is 1014.5 − 20 cos(1.5π) + 20 sin(45π/35)·0.5 = 1014.5 + 0 − 7.82 = 1006.68 hPa.

**The lithosphere's clock.** The climate is that of the lithosphere's latest step
(``lithosphere.cadence.last_run``: every ``step_interval`` film steps): its time ``t`` (the season,
the warming) and its sea level ``D``, at which the terrain was made. Between two such steps the stage
hands on the same arrays (as the lithosphere does), so the climate map, its blurs and the up-sampling
to full resolution run once per lithosphere step; the climate lags the season by at most
``K − 1`` steps (of 1440 a year). A world restored between two lithosphere steps computes the
climate of the last one again: the same bits. The climate map's kernels run their rows in parallel
(a parallel loop's start and join costs ~2 µs with OpenMP, against 20–40 µs of work on 256 × 128)."""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from planet.core.fields import owned_by
from planet.core.timeline import Timeline, season as season_of, smoothstep
from planet.processes.climate.blur import BlurMemo, blur
from planet.processes.climate.circulation import _wind_into
from planet.processes.climate.coarse import box_average, climate_map, upsample_each
from planet.processes.lithosphere.cadence import last_run
from planet.processes.memo import TerrainMemo

f32 = np.float32


# ---------------------------------------------------------------------------
# The climate formulas

_PI = f32(math.pi)


@njit(cache=True, nogil=True, inline="always")
def _annual_mean(phi, land):
    """Annual mean sea-level pressure (hPa) at latitude ``phi`` (degrees)."""
    if land:
        return f32(1012.5) - f32(6.0) * np.cos(phi * _PI / f32(45.0))
    return f32(1014.5) - f32(20.0) * np.cos(phi * _PI / f32(30.0))


@njit(cache=True, nogil=True, inline="always")
def _amplitude(phi, land):
    """January–July pressure amplitude (hPa) at latitude ``phi``."""
    if land:
        return f32(15.0) * np.sin(phi * _PI / f32(90.0))
    return f32(20.0) * np.sin(phi * _PI / f32(35.0)) * abs(phi) / f32(90.0)


@njit(cache=True, nogil=True, inline="always")
def _sea_level_temperature(phi, p, season, land, warm, land_warmth, warm_land_warmth):
    """``T0`` blended towards the warm climate by ``warm`` (0 = the present, 1 = warmed)."""
    x = (phi + f32(5.0) * season) / f32(30.0)
    th = np.tanh(f32(2.2) * np.exp(f32(-0.5) * x * x))
    cold = (f32(-27.0) + f32(73.0) * th - (p - f32(1012.0))) / f32(1.8) + land_warmth * land
    hot = (f32(9.0) + f32(50.0) * th - (p - f32(1012.0))) / f32(1.8) + warm_land_warmth * land
    return cold * (f32(1.0) - warm) + hot * warm


@njit(cache=True, nogil=True)
def _formulas(lat, land, p, season, warm, land_warmth, warm_land_warmth):
    n = lat.shape[0]
    out = np.empty((3, n), dtype=np.float32)
    for k in range(n):
        out[0, k] = _annual_mean(lat[k], land[k] > f32(0.5))
        out[1, k] = _amplitude(lat[k], land[k] > f32(0.5))
        out[2, k] = _sea_level_temperature(lat[k], p[k], season, land[k], warm, land_warmth, warm_land_warmth)
    return out


def formulas(lat, land, p, season, warm=0.0, land_warmth=1.5, warm_land_warmth=4.0):
    """The spec's point formulas, elementwise (for checking by hand):
    ``(annual mean pressure, Jan–Jul amplitude, sea-level temperature T0)`` at
    latitudes ``lat`` (degrees), land flags ``land`` (0/1) and pressures ``p``."""
    lat, land, p = (np.ascontiguousarray(np.broadcast_to(a, np.broadcast(lat, land, p).shape), dtype=np.float32).ravel()
                    for a in (lat, land, p))
    return _formulas(lat, land, p, f32(season), f32(warm), f32(land_warmth), f32(warm_land_warmth))


@njit(cache=True, nogil=True, parallel=True)
def _pressure_sources(zc, lat, D):
    """Unblurred annual mean, Jan–Jul amplitude, land flag and height ``h`` per climate cell."""
    H, W = zc.shape
    mean = np.empty((H, W), dtype=np.float32)
    amp = np.empty((H, W), dtype=np.float32)
    land = np.empty((H, W), dtype=np.float32)
    height = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        phi = lat[j]
        mean_land = _annual_mean(phi, True)
        mean_ocean = _annual_mean(phi, False)
        amp_land = _amplitude(phi, True)
        amp_ocean = _amplitude(phi, False)
        for i in range(W):
            z = zc[j, i]
            if z > D:
                mean[j, i] = mean_land
                amp[j, i] = amp_land
                land[j, i] = f32(1.0)
            else:
                mean[j, i] = mean_ocean
                amp[j, i] = amp_ocean
                land[j, i] = f32(0.0)
            height[j, i] = f32(0.4) * max(f32(0.0), z - D)
    return mean, amp, land, height


@njit(cache=True, nogil=True, parallel=True)
def _climate_now(mean, amp, land, height, lat, season, warm, lapse, land_warmth, warm_land_warmth):
    """Pressure and surface temperature in ``[:2]`` of a ``(4, Hc, Wc)`` array, from the blurred fields."""
    H, W = mean.shape
    out = np.empty((4, H, W), dtype=np.float32)    # (the wind goes into the last two: climate_fields)
    for j in prange(H):
        phi = lat[j]
        for i in range(W):
            p = mean[j, i] + amp[j, i] * season
            out[0, j, i] = p
            out[1, j, i] = (_sea_level_temperature(phi, p, season, land[j, i], warm, land_warmth, warm_land_warmth)
                            - lapse * height[j, i])
    return out


def warming(t: float, schedule) -> float:
    """Warming blend ``k``: ``smoothstep(warming_start, warming_end, t)``, undone after story end."""
    k = smoothstep(schedule.warming_start, schedule.warming_end, t)
    return k * (1.0 - smoothstep(schedule.story_end + 5.0, schedule.story_end + 15.0, t))


def _sea_thermostat(T, land, t_max, k, softness=2.0):
    """Over the sea, ``T`` approaches ``t_max`` smoothly from below:
    ``t_max − τ ln(1 + exp((t_max − T)/τ))`` (τ = ``softness``), blended back to ``T`` by the warming ``k``."""
    x = (np.float64(t_max) - T) / softness
    capped = t_max - softness * np.logaddexp(0.0, x)
    out = np.where(land < 0.5, T * k + capped * (1.0 - k), T)
    return out.astype(np.float32)


def _thermal_pressure(land, cmap, season, cc):
    """The land's thermal pressure (hPa, climate map): the seasonal continental low/high
    ``monsoon · L · s · sin φ`` and the tropical land trough
    ``tropical_trough · blur(land · (p_ocean(φ) − p_land(φ)) · smoothstep(20, 5, |φ|))``; and the
    first term alone (``None`` without it)."""
    lat = cmap.lat.astype(np.float64)
    out = np.zeros(land.shape, np.float32)
    heat = None
    if cc.monsoon:
        L = blur(land, cc.sigma_monsoon_deg, cmap.cell_deg, cmap.row_area)
        heat = f32(cc.monsoon * season) * L * np.sin(np.radians(lat)).astype(np.float32)[:, None]
        out += heat
    if cc.tropical_trough:
        a = np.abs(lat)
        t = np.clip((20.0 - a) / 15.0, 0.0, 1.0)
        gap = ((1014.5 - 20.0 * np.cos(lat * np.pi / 30.0)) - (1012.5 - 6.0 * np.cos(lat * np.pi / 45.0))) * t * t * (3 - 2 * t)
        src = (land * gap.astype(np.float32)[:, None]).astype(np.float32)
        out += f32(cc.tropical_trough) * blur(src, cc.sigma_mean_deg, cmap.cell_deg, cmap.row_area)
    return out, heat


def _land_amplitude(land, cmap, season, cc):
    """The land's share of the seasonal pressure, ``s · blur(land · (A_land(φ) − A_ocean(φ)))`` (hPa): the
    pressure ``mean + amplitude · s`` holds ``blur(A_ocean + land · (A_land − A_ocean)) · s``, so this is the
    continents' summer low and winter high against the ocean at the same latitude."""
    gap = np.array([_amplitude(f32(phi), True) - _amplitude(f32(phi), False) for phi in cmap.lat], np.float32)
    src = (land * gap[:, None]).astype(np.float32)
    return f32(season) * blur(src, cc.sigma_amplitude_deg, cmap.cell_deg, cmap.row_area)


def terrain_sources(elevation: np.ndarray, sea_level: float, config, memos=None, zc=None):
    """What the climate takes from the terrain alone (``(Hc, Wc)`` float32, never written after):
    the box-averaged elevation ``zc`` (given, or computed), the pressure's blurred annual ``mean`` and
    ``amplitude``, ``land`` and the blurred ``height`` (``memos``: two ``BlurMemo``). Only ``zc`` is read."""
    cmap, cc = climate_map(*elevation.shape), config.climate
    zc = box_average(elevation, cmap.factor) if zc is None else zc
    mean, amp, land, height = _pressure_sources(zc, cmap.lat, f32(sea_level))
    mean = (memos[0] if memos else blur)(mean, cc.sigma_mean_deg, cmap.cell_deg, cmap.row_area)
    amp = (memos[1] if memos else blur)(amp, cc.sigma_amplitude_deg, cmap.cell_deg, cmap.row_area)
    height = blur(height, cc.sigma_height_deg, cmap.cell_deg, cmap.row_area)
    return zc, mean, amp, land, height


class TerrainSources(TerrainMemo):
    """``terrain_sources``, recomputed only when the box-averaged elevation ``zc`` (by value), the sea
    level or the blurs changed: the terrain reaches the climate through ``zc`` alone, so a step costs a
    box average, not a comparison with a full copy. Between the lithosphere's steps the blurs are
    skipped; as the sea level moves, ``BlurMemo`` redoes only the rows it reaches. Bit for bit."""

    def __init__(self):
        self._memos = (BlurMemo(), BlurMemo())

    def __call__(self, elevation, sea_level, config):
        cc = config.climate
        zc = box_average(elevation, climate_map(*elevation.shape).factor)
        key = (float(sea_level), cc.sigma_mean_deg, cc.sigma_amplitude_deg, cc.sigma_height_deg, elevation.shape)
        return self.get(zc, key, lambda: terrain_sources(elevation, sea_level, config, self._memos, zc))


def climate_fields(elevation: np.ndarray, sea_level: float, t: float, config, sources=None) -> dict[str, np.ndarray]:
    """The climate-map fields at time ``t``: ``pressure``, ``temperature``, ``wind_u``, ``wind_v``
    (``(Hc, Wc)`` float32 each) plus ``land``, ``height`` and the map geometry ``map``. ``sources``:
    a ``TerrainSources`` to take the terrain's part from (default: computed)."""
    H, W = elevation.shape
    cmap = climate_map(H, W)
    cc = config.climate
    zc, mean, amp, land, height = (sources or terrain_sources)(elevation, sea_level, config)
    season = season_of(t, cc.year)
    k = warming(t, config.schedule)
    lapse = cc.lapse_rate + (cc.warm_lapse_rate - cc.lapse_rate) * k
    pt = _climate_now(mean, amp, land, height, cmap.lat, f32(season), f32(k), f32(lapse),
                      f32(cc.land_warmth), f32(cc.warm_land_warmth))
    if cc.sea_temperature_max < 100.0 and k < 1.0:
        pt[1] = _sea_thermostat(pt[1], land, cc.sea_temperature_max, k)
    if cc.continentality:
        # continentality: land far from the sea has hotter summers and colder winters (s = +1 in January)
        inland = blur(land, cc.sigma_amplitude_deg, cmap.cell_deg, cmap.row_area)
        sin_lat = np.sin(np.radians(cmap.lat)).astype(np.float32)[:, None]
        pt[1] -= f32(cc.continentality * season) * inland * sin_lat
    heat = None
    if cc.monsoon or cc.tropical_trough:
        thermal, heat = _thermal_pressure(land, cmap, season, cc)
        pt[0] += thermal
    if cc.trough_shift:
        shifted = _pressure_sources(zc, (cmap.lat + f32(cc.trough_shift * season)).astype(np.float32), f32(sea_level))[0]
        pt[0] += blur(shifted, cc.sigma_mean_deg, cmap.cell_deg, cmap.row_area) - mean
    if config.atmosphere.heat_low_rain < 1.0:
        # the land's own seasonal amplitude is a thermal low/high too: the atmosphere's rain-out may leave it out
        dry = _land_amplitude(land, cmap, season, cc)
        heat = dry if heat is None else heat + dry
    stack = pt
    _wind_into(pt[0], cmap.lat, f32(cc.coriolis), f32(cc.wind_max), stack[2:])
    return {"pressure": stack[0], "temperature": stack[1], "wind_u": stack[2], "wind_v": stack[3],
            "stack": stack, "land": land, "height": height, "map": cmap, "season": season, "warming": k,
            "heat_low": heat}


class ClimateStage:
    """Pressure (hPa), surface temperature (°C) and wind (climate cells per step) at full resolution;
    leaves the climate-map fields in ``ctx.scratch["climate"]`` for the atmosphere (same coarse map)."""

    name = "climate"
    reads = ("elevation",)
    writes = owned_by("climate")

    def __init__(self):
        self._sources = TerrainSources()
        self._kept = None      # the last climate computed: (its step, elevation, config, map fields, full fields)

    def initial(self, grid, config, seed, fields):
        """The climate of the protoplanet (``fields["elevation"]``) at t = 0."""
        z = fields["elevation"]
        return self._full(climate_fields(z, Timeline(config.schedule).sea_level(0.0), 0.0, config))

    def _full(self, c):
        full = upsample_each(c["stack"], c["map"])
        return {name: full[k] for k, name in enumerate(self.writes)}

    def advance(self, fields, ctx):
        """The climate at the lithosphere's latest step (module docstring); between two of them the
        same arrays again, while the elevation is the same array (as the lithosphere hands it on)."""
        cfg, z = ctx.config, fields["elevation"]
        s = last_run(ctx.step, cfg.lithosphere, ctx.timeline.step_of(cfg.schedule.ocean_start))
        kept = self._kept
        if kept is not None and kept[0] == s and kept[1] is z and kept[2] is cfg:
            ctx.scratch["climate"] = kept[3]
            return dict(kept[4])
        t = ctx.timeline.time_of(s)
        c = climate_fields(z, ctx.timeline.sea_level(t), t, cfg, self._sources)
        ctx.scratch["climate"] = c
        out = self._full(c)
        self._kept = (s, z, cfg, c, out)
        return dict(out)
