"""Lithosphere stage (spec §4) — placeholder until the kernels land: the protoplanet, frozen."""
from __future__ import annotations

from .protoplanet import protoplanet


class LithosphereStage:
    name = "lithosphere"
    reads = ("plate", "uplift", "elevation", "drainage_area", "basin")
    writes = ("plate", "uplift", "elevation", "drainage_area", "basin")

    def initial(self, grid, config, seed):
        return protoplanet(grid, seed)

    def advance(self, fields, ctx):
        return {name: fields[name] for name in self.writes}
