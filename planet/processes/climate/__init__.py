"""The climate (spec §5): pressure, temperature and wind from the elevation and the season.

``physics`` holds the formulas and the stage, ``coarse`` the climate map they are computed on
(the grid box-averaged down, and sampled back up), ``blur`` the Gaussian blur in degrees,
``circulation`` the wind from the pressure.
"""
from planet.processes.climate.blur import blur, gaussian_taps, latitude_blur_matrix
from planet.processes.climate.coarse import (ClimateMap, box_average, climate_level, climate_map,
                                             upsample)
from planet.processes.climate.circulation import wind
from planet.processes.climate.physics import ClimateStage, climate_fields, formulas, warming

__all__ = ["ClimateStage", "ClimateMap", "blur", "box_average", "climate_fields", "climate_level",
           "climate_map", "formulas", "gaussian_taps", "latitude_blur_matrix", "upsample", "warming", "wind"]
