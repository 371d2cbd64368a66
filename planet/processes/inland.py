"""Transient eddies carry vapour inland: a Gaussian mixing of the vapour each step (``planet.earth`` only).

The model's wind is a steady, season-driven flow clamped to ``|v| ≤ 1`` climate cell per step: it
moves vapour at most ``v · W/512`` full cells per step, 0.70° (78 km) whatever the resolution.
A model year is 1440 steps, so a step stands for ``Δt = 365.25 d / 1440 ≈ 6.1 h`` and the fastest
model wind is ~3.6 m/s; the annual-mean wind over the tropical continents is ~0.15 of that
(0.5 m/s). Earth's moisture moves with trades of 5–10 m/s, and across the mid-latitudes mostly with
the transient eddies (weather systems) the steady wind lacks: their poleward and inland moisture
flux is well described by down-gradient diffusion with an eddy diffusivity ``K`` of order
``10⁶ m²/s`` (Peixoto & Oort 1992, ch. 12; Held & Schneider 1999; ~1–2·10⁶ m²/s in the storm tracks).

Diffusing for one step is a Gaussian blur of standard deviation ``σ = √(2 K Δt)``:
``K = 10⁶ m²/s`` and ``Δt = 6.1 h`` give ``σ = 209 km = 1.88°``. ``atmosphere.eddy_mixing_deg``
(0 by default, off: generated worlds keep the reference's vapour) is that σ in degrees. The blur is
``planet.processes.climate.blur`` on the full grid after the advection, before the sources and
sinks: separable, σ in degrees of latitude and of longitude (so the mixing shrinks with
``cos φ`` in kilometres towards the poles, where the cells do), area-true in latitude, so it keeps
the area-weighted total of the vapour exactly (up to float32 rounding) and a uniform field uniform.
It moves no water from nothing: it spreads what the sea evaporated over the land downstream and
upstream of the wind alike, as eddies do.

Together with a rain-out that reads the convergence of the air's own motion per step
(``atmosphere.convergence_per_step = 1``) the vapour's decay length inland is
``1/k``, ``K k² + u k = r`` (``u`` the wind, ``r`` the sinks per step): with ``r`` ≈ 0.025 per step,
``u`` ≈ 0.1° per step and ``K`` = σ²/2 = 1.8 deg² per step, ``1/k ≈ 11° ≈ 1200 km`` (advection alone:
~4°); measured effects are in the README's Earth section.
"""
from __future__ import annotations

import numpy as np

from planet.processes.climate.blur import blur

#: seconds in a model step: a year (365.25 days) is 1440 steps (24 film seconds at 60 steps per second)
STEP_SECONDS = 365.25 * 86400.0 / 1440.0
#: kilometres per degree of a great circle on Earth
KM_PER_DEGREE = 6371.0 * np.pi / 180.0


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
    height above the sea blurred by σ degrees, plus the sea level (blocking: docstring)."""
    if sigma_deg <= 0:
        return elevation
    land = np.maximum(elevation - np.float32(sea_level), np.float32(0.0))
    return eddy_mix(land, sigma_deg, area) + np.float32(sea_level)
