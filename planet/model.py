"""The stages of one step, in their fixed order.

    lithosphere → climate → atmosphere → life

1. ``lithosphere`` (``planet.processes.lithosphere.step``): plates, uplift, erosion, rivers.
2. ``climate`` (``planet.processes.climate``): pressure, temperature and wind from the
   new elevation and the season.
3. ``atmosphere`` (``planet.processes.atmosphere``): water vapour, CO2, wind particles.
4. ``life`` (``planet.processes.life``): soil moisture, vegetation, prey, predators,
   humans; they ride on the plates with the lithosphere's source map.

Each stage sees the fields as updated by the stages before it in the same
step. Any stage can be switched off (``Planet(stages=("lithosphere",))``):
the fields it owns then stay as they were created.
"""
from __future__ import annotations

import importlib

from planet.core.stage import Stage

#: stage name → (module, class), in step order
REGISTRY: dict[str, tuple[str, str]] = {
    "lithosphere": ("planet.processes.lithosphere.step", "LithosphereStage"),
    "climate": ("planet.processes.climate.physics", "ClimateStage"),
    "atmosphere": ("planet.processes.atmosphere", "AtmosphereStage"),
    "life": ("planet.processes.life", "LifeStage"),
}

#: the stages a Planet runs unless told otherwise
DEFAULT_STAGES: tuple[str, ...] = ("lithosphere", "climate", "atmosphere", "life")


def make_stages(names) -> list[Stage]:
    """Instantiate the named stages in step order (the order of ``REGISTRY``)."""
    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise ValueError(f"stages: unknown stage {unknown[0]!r}; known stages: {', '.join(REGISTRY)}")
    stages = []
    for name in REGISTRY:
        if name in names:
            module, cls = REGISTRY[name]
            stages.append(getattr(importlib.import_module(module), cls)())
    return stages
