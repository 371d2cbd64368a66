"""Life (spec §7): soil moisture, vegetation, prey, predators and humans (``stage``), and the
populations' diffusion over land (``diffusion``)."""
from planet.processes.life.diffusion import diffuse
from planet.processes.life.stage import LifeStage, growth, initial_populations, plant_growth, settle_probability

__all__ = ["LifeStage", "diffuse", "growth", "initial_populations", "plant_growth", "settle_probability"]
