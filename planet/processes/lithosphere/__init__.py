"""The lithosphere: the protoplanet (``protoplanet``), plate motion (``plates``), rivers
(``drainage``) and the step that ties uplift, erosion and sediment together (``step``)."""
from planet.processes.lithosphere.step import LithosphereStage

__all__ = ["LithosphereStage"]
