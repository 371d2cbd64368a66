"""Climate, atmosphere and life statistics: zonal means of temperature and pressure, wind, vapour,
precipitation, CO2, soil moisture, populations and settlement."""
from __future__ import annotations

import numpy as np

from planet.analysis.koppen_stats import register as _register_koppen
from planet.analysis.stats.registry import BANDS, NotComputable
from planet.analysis.stats.registry import register as R
from planet.analysis.stats.weighted import weighted_mean


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
_register_koppen(R, NotComputable)   # the Köppen group shares, with the climate's own statistics
why_atmosphere = "atmosphere not in this state"
R("atmosphere.vapour_mean", "vapour", "area-weighted mean water vapour w (spec §6, 0–3)",
  lambda a: weighted_mean(a.field("vapour", why_atmosphere), a.weight))
R("atmosphere.precipitation_mean", "vapour/step",
  "area-weighted mean precipitation: the atmosphere's rain field, all the vapour its sinks removed this step "
  "(rain-out 0.005 w, rain-out of rising air, orographic lift, saturation): the rain that falls",
  lambda a: weighted_mean(a.field("rain", why_atmosphere), a.weight))
R("atmosphere.co2_ppm", "ppm", "area-weighted mean displayed CO2, 377 + 3 c (spec §6)",
  lambda a: 377.0 + 3.0 * weighted_mean(a.field("co2", why_atmosphere), a.weight))
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
