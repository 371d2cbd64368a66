"""The model's processes, one module (or subpackage) each, in step order:

``lithosphere`` (plates, uplift, erosion, rivers) → ``climate`` (pressure, temperature, wind) →
``atmosphere`` (vapour, CO2, wind particles) → ``life`` (moisture, plants, prey, predators,
humans). Each process is a stage (``planet.core.stage``); ``planet.model`` lists them."""
