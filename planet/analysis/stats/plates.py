"""Plate statistics: count, sizes, boundary length, uplift (and uplift at the poles)."""
from __future__ import annotations

import numpy as np

from planet.analysis.stats.registry import register as R
from planet.analysis.stats.weighted import weighted_mean


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
