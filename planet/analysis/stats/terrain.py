"""Terrain statistics: sea level, land fraction, elevation and height distributions, hypsometry,
slopes and roughness, all area-weighted."""
from __future__ import annotations

from planet.analysis.stats.registry import register as R
from planet.analysis.stats.weighted import weighted_mean, weighted_moments, weighted_quantile


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
