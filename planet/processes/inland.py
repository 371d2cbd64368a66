"""How the vapour gets inland on Earth: the atmosphere settings ``planet.earth`` uses.

Each is the reference's behaviour by default (generated worlds and the regression baselines are
unchanged); ``planet.io.earth.EARTH_ATMOSPHERE`` sets them. The diagnosis they answer, measured on
``planet.earth(128)``: the rain fell on the coasts and the continental interiors were deserts
(Köppen B 43 % of the land against Peel et al.'s 30 %, the Amazon 103 mm a year). Along the
equator at 5° S the mean rain-out rate of rising air was 0.1–0.2 per step while the annual-mean
wind moves the vapour 0.04 cells per step, so the air lost 1/e of its vapour every ~80 km.

* ``sea_uptake = 0``: the spec's ocean evaporation ``0.075 − 3 div v − 0.0045 (p − 1012)`` turns into a
  vapour sink where the air diverges; with 0 the sea never absorbs vapour.
* ``heat_low_rain = 0``: thermal lows are shallow and dry (the air converges near the ground and
  sinks above it: the Saharan, Arabian and Australian heat lows; Rodwell & Hoskins 1996), so the
  rain-out reads the divergence of the wind computed without the land's thermal pressure, the
  continental low/high ``climate.monsoon`` and the land's own seasonal amplitude against the ocean's at
  the same latitude (``climate.physics._land_amplitude``); the wind that carries the vapour is unchanged.
* ``convergence_per_step = 1``: rising air rains out the vapour converging into it, ``div v`` of the
  air's own motion per step (``v · W/512`` full cells, ``W/(512 f)`` climate cells: 1/8 of the
  per-climate-cell divergence at 128 columns, 1/2 at 512), so the rain-out no longer depends on the
  resolution.
* ``subsidence = 1``: sinking air suppresses rain; the background rain-out ``0.005`` is reduced by
  ``subsidence · k · div v`` where the air diverges, as rising air adds ``k · (−div v)``
  (``rate = max(0.005 + k (conv − subsidence · div), 0)``, ``k`` the convergence rain factor).
* ``lift_smoothing_deg = 4``: the orographic sink reads the slope of the land's height blurred by
  σ = 4° (``lift_relief``; FWHM ≈ 1000 km, the Rossby radius of deformation): air is lifted over broad
  barriers and flows around narrow ridges (Smith 1979), and the made-up relief's ranges are a cell or
  two wide. The blurred height reaches a little over the sea: air blowing onshore starts to rise
  before the coast.
* ``orographic_scale = 3.6`` (h units, 2.2 km): lifted air condenses a share of its vapour,
  ``w −= w (1 − e^{−lift/scale})`` with ``lift = max(v·∇h, 0)`` per step (2.2 km is the scale height of
  the saturation vapour along a moist adiabat: 6.5 °C/km × 7 %/°C), instead of the spec's fixed
  ``0.3 · lift``, which took the whole of a thin vapour and made every slope a perfect sink.
* ``eddy_mixing_deg = 1.33``: transient eddies mix the vapour (``eddy_mix``, below).
* ``evaporation_per_step = 1``: the ocean evaporation's divergence term ``3 div v`` also reads the
  divergence of the air's motion per step. The wind is clamped to one climate cell per step nearly
  everywhere (all cells at 128 columns, 97 % at 512), so per climate cell the same flow diverges 4 times
  more on the 128-column map (5.6° cells) than on the 512-column one (1.4°): the land-mean rain was
  732 mm at 128 and 511 at 512; per step it is 506 and 488, and ``planet.analysis.koppen.MM_PER_RAIN``
  went from 44 to 65 mm per vapour unit to keep the land mean near Earth's 750 mm (747 at 128).

**Eddies.** The model's wind is a steady, season-driven flow clamped to ``|v| ≤ 1`` climate cell per
step: it moves vapour at most 0.70° (78 km) per step at any resolution. A model year is 1440 steps,
so a step stands for ``Δt = 365.25 d / 1440 ≈ 6.1 h`` and the fastest model wind is ~3.6 m/s (the
annual mean over the tropical continents ~0.5 m/s). Earth's moisture moves with trades of 5–10 m/s
and, across the mid-latitudes, mostly with transient eddies (weather systems), whose flux is well
described by down-gradient diffusion with an eddy diffusivity ``K`` of 0.5–2·10⁶ m²/s (Peixoto & Oort
1992, ch. 12; Held & Schneider 1999). One step of diffusion is a Gaussian blur of σ = √(2 K Δt):
``K = 5·10⁵ m²/s`` gives σ = 148 km = 1.33° (``sigma_deg_of``; 10⁶ m²/s gives 1.88°). The blur is
``planet.processes.climate.blur`` on the full grid after the advection, before the sources and sinks:
σ in degrees of latitude and longitude (the mixing shrinks in kilometres towards the poles, with
the cells), area-true in latitude, so it keeps the area-weighted total of the vapour (up to float32
rounding) and a uniform field uniform: it adds no water, it spreads it up and down the gradient.

**Measured** on ``planet.earth(128)``, one model year, cumulative (Köppen A/B/C/D/E % of the land,
Peel 19.0/30.2/13.4/24.6/12.8; land-mean precipitation; the README has the regions):
before 9.3/43.4/16.1/13.1/18.1 (749 mm); lowland interiors (``planet.io.earth``) 9.1/47.2/15.4/10.5/17.7
(739); ``convergence_per_step`` 9.8/48.9/14.8/8.8/17.7 (635); ``eddy_mixing_deg`` 15.2/38.2/18.0/10.8/17.7
(811); ``subsidence`` 18.4/31.0/17.8/15.1/17.7 (913); ``lift_smoothing_deg`` 18.8/28.2/17.2/18.1/17.7 (792);
``orographic_scale`` 19.0/26.5/18.3/18.5/17.7 (816); the land's amplitude dry (``heat_low_rain``)
18.4/31.7/14.4/17.7/17.7 (732 mm); ``evaporation_per_step`` 15.0/43.5/10.6/13.2/17.7 (506 mm), and with
65 mm per vapour unit (the final calibration) 18.1/30.5/15.0/18.7/17.7 (747 mm). All but the last at 44.
Measured and not kept, each against the final settings but ``evaporation_per_step`` (128 columns, 44 mm
per unit): ``eddy_mixing_deg = 1.88`` (K = 10⁶ m²/s: 19.1/25.2/16.5/21.5/17.7 but 897 mm, and central Australia still Cfa); the heat lows
raining again (``heat_low_rain`` ≈ 1: 19.0/24.9/21.2/17.2/17.7, Siberia BSk, Arabia Cwa); no
``subsidence`` (15.5/38.4/16.0/12.4/17.7, 649 mm). In intermediate settings: the diverging air thinning
its vapour (flux form) instead of ``subsidence`` (B 41–45 %); the rain-out scaled by the relative
humidity ``w / w_s(T)`` (B 41 %); a Clausius–Clapeyron cap ``w ≤ 3 e^{0.065 min(T − 30, 0)}``
(14.3/47.6/10.3/10.1/17.7, 491 mm: cold air rains its vapour out before it gets inland).
"""
from __future__ import annotations

import numpy as np

from planet.core.grid import KM_PER_DEGREE
from planet.processes.climate.blur import blur
from planet.processes.memo import TerrainMemo

#: seconds in a model step: a year (365.25 days) is 1440 steps (24 film seconds at 60 steps per second)
STEP_SECONDS = 365.25 * 86400.0 / 1440.0


def sigma_deg_of(diffusivity_m2s: float, step_seconds: float = STEP_SECONDS) -> float:
    """σ (degrees) of the one-step Gaussian of an eddy diffusivity ``K`` (m²/s): ``√(2 K Δt)``."""
    return float(np.sqrt(2.0 * diffusivity_m2s * step_seconds) / 1000.0 / KM_PER_DEGREE)


def eddy_mix(field: np.ndarray, sigma_deg: float, area: np.ndarray) -> np.ndarray:
    """One step of eddy mixing of a full-grid ``(H, W)`` field: the area-true Gaussian blur of σ degrees
    (``area``: the cell area of each row, ``(H,)`` or ``(H, 1)``). ``sigma_deg = 0`` returns ``field``."""
    if sigma_deg <= 0:
        return field
    H, W = field.shape
    return blur(field, float(sigma_deg), 360.0 / W, np.asarray(area, dtype=np.float64).reshape(H))


def lift_relief(elevation: np.ndarray, sea_level: float, sigma_deg: float, area: np.ndarray) -> np.ndarray:
    """The elevation whose slope lifts the air: ``elevation`` itself (``sigma_deg = 0``), else the land's
    height above the sea, ``max(z − D, 0)``, blurred by σ degrees, plus ``D`` (air flows around narrow
    ridges: module docstring). Only its slopes are read; the land/sea test keeps the true elevation."""
    if sigma_deg <= 0:
        return elevation
    land = np.maximum(elevation - np.float32(sea_level), np.float32(0.0))
    return eddy_mix(land, sigma_deg, area) + np.float32(sea_level)


class LiftRelief(TerrainMemo):
    """``lift_relief`` for one stage, recomputed only when the elevation, the sea level or σ changed:
    on a frozen terrain (``planet.earth``, ``stages=`` without the lithosphere) the blur runs once, not
    every step (1.6 ms a step at 512 columns). The result is the function's, bit for bit."""

    def __call__(self, elevation, sea_level, sigma_deg, area):
        if sigma_deg <= 0:
            return elevation
        return self.get(elevation, (float(sea_level), float(sigma_deg)),
                        lambda: lift_relief(elevation, sea_level, sigma_deg, area))
