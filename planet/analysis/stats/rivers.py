"""River statistics from the D8 graph of ``planet.analysis.d8``: basins, drainage density, the
drainage-area exceedance exponent β, Hack's exponent h, the longest river, the model's flow.

Rivers are traced on the conditioned surface (closed depressions filled, ``d8.fill_depressions``),
as hydrology extracts river networks from elevation models; ``rivers.sea_drained_fraction`` alone
reads the raw surface."""
from __future__ import annotations

import numpy as np

from planet.analysis.stats.analysis import Analysis, _fit_part
from planet.analysis.stats.registry import (CHANNEL_AREA_KM2, EXCEEDANCE_LOW_CELLS, EXCEEDANCE_POINTS, EXCEEDANCE_TOP_SHARE,
                                            HACK_MIN_CELLS, NETWORK_MIN_CELLS, NotComputable)
from planet.analysis.stats.registry import register as R
from planet.analysis.stats.weighted import weighted_quantile


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


def _bend(cutoff: float) -> float:
    if not np.isfinite(cutoff):
        raise NotComputable("no bend: a plain power law fits the exceedance")
    return cutoff


def _model_flow(a: Analysis, q: float) -> float:
    flow = a.field("drainage_area", "lithosphere not in this state")
    land = a.need_land()
    if not np.any(flow[land] > 0):
        raise NotComputable("the state's drainage_area is zero everywhere (no flow routed yet)")
    return float(weighted_quantile(flow[land], a.weight[land], q))


R("rivers.sea_basins", "count",
  "number of basins draining to the sea: land cells whose D8 receiver is an ocean cell (river mouths)",
  lambda a: float((a.need_land(), a.sea_mouths.size)[1]), rtol=0.0, atol=0.5)
R("rivers.sea_drained_fraction", "1",
  "fraction of the land area whose flow reaches the sea on the raw surface, before closed depressions are "
  "filled (the rest ends in inland pits); every other river statistic traces the filled surface",
  lambda a: a.sea_drained_raw)
R("rivers.largest_basin_share", "1", "area of the largest basin draining to the sea / land area",
  lambda a: float(np.max(a.need_sea_basins()) / a.land_area_km2))
R("rivers.drainage_density", "1/km",
  f"total channel length / land area; a channel is a land cell draining at least "
  f"{CHANNEL_AREA_KM2:.3g} km², its length the great-circle distance to its receiver",
  _drainage_density)
R("rivers.area_exponent", "1",
  "β of the exceedance P(A ≥ a) = c a^(−β) exp(−a/a_c) of the drainage areas A of land cells (the "
  "exponential is the finite-size bend below the largest basin), fitted from "
  f"{EXCEEDANCE_LOW_CELLS} median cell area(s) to {EXCEEDANCE_TOP_SHARE:g} of the largest drainage area, "
  f"{EXCEEDANCE_POINTS} log-spaced points",
  _fit_part("exceedance", "slope", lambda s: -s), atol=1e-6)
R("rivers.area_exponent_cutoff", "km²", "the exceedance fit's cutoff area a_c",
  _fit_part("exceedance", "cutoff", _bend))
R("rivers.area_exponent_r2", "1", "R² of the exceedance fit (ln P)",
  _fit_part("exceedance", "r2"), atol=1e-6)
R("rivers.area_exponent_lo", "km²", "lower end of the exceedance fit's range of a",
  _fit_part("exceedance", "lo"))
R("rivers.area_exponent_hi", "km²", "upper end of the exceedance fit's range of a",
  _fit_part("exceedance", "hi"))
R("rivers.network_area_exponent", "1",
  "β of the exceedance P(A ≥ a) within river networks: as rivers.area_exponent, over the land cells of the sea "
  f"basins of at least {NETWORK_MIN_CELLS} median cell areas only (the sites of a river network, where "
  "Rodríguez-Iturbe & Rinaldo measure β ≈ 0.43; rivers.area_exponent also counts the coastal fringe of small "
  "basins, none of whose cells drains much area)",
  _fit_part("network_exceedance", "slope", lambda s: -s), atol=1e-6)
R("rivers.network_share", "1",
  f"share of the land area in sea basins of at least {NETWORK_MIN_CELLS} median cell areas (the sites "
  "rivers.network_area_exponent reads)",
  lambda a: float(np.sum(a.area_km2[a.network_sites]) / a.land_area_km2))
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
R("rivers.flow_p99", "km²",
  "99th percentile over the land area of the model's own flow field drainage_area (upstream area)",
  lambda a: _model_flow(a, 0.99))
R("rivers.flow_p999", "km²", "99.9th percentile over the land area of the model's drainage_area field",
  lambda a: _model_flow(a, 0.999))
