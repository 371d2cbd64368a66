"""Area-weighted statistics of a world, documented with units and definitions.

Every statistic is registered once, in :data:`REGISTRY` (``registry``; the groups' modules
``terrain``, ``rivers``, ``plates`` and ``climate`` register theirs) (name → group, units,
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
from planet.analysis.stats.registry import (BANDS, CHANNEL_AREA_KM2, EARTH_RADIUS_KM, EXCEEDANCE_LOW_CELLS,
                                            EXCEEDANCE_POINTS, EXCEEDANCE_TOP_SHARE, GROUPS, HACK_MIN_BASINS,
                                            HACK_MIN_CELLS, NETWORK_MIN_CELLS, REGISTRY, NotComputable, Statistic, Value, describe,
                                            format_value, statistic)
from planet.analysis.stats.weighted import (Fit, exceedance_fit, fit_power_law, weighted_mean, weighted_moments,
                                            weighted_quantile)
from planet.analysis.stats.analysis import Analysis
from planet.analysis.stats import terrain, rivers, plates, climate  # noqa: F401,E402 (register, in report order)
from planet.analysis.stats.report import (NonFiniteWarning, Statistics, compute, documentation, format_table,
                                          select)

__all__ = ["Analysis", "BANDS", "CHANNEL_AREA_KM2", "EARTH_RADIUS_KM", "EXCEEDANCE_LOW_CELLS", "EXCEEDANCE_POINTS",
           "EXCEEDANCE_TOP_SHARE", "HACK_MIN_BASINS", "HACK_MIN_CELLS", "NETWORK_MIN_CELLS", "Fit", "GROUPS", "NonFiniteWarning",
           "NotComputable", "REGISTRY", "Statistic", "Statistics", "Value", "compute", "describe", "documentation",
           "exceedance_fit", "fit_power_law", "format_table", "format_value", "select", "statistic",
           "weighted_mean", "weighted_moments", "weighted_quantile"]
