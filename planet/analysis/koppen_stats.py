"""Köppen–Geiger main-group shares as statistics (``climate.koppen_A_share`` … ``climate.koppen_E_share``).

The classes need a year of climate (``planet.koppen(world)``), not one state, so these statistics
are computed from a class map passed in: ``planet.analysis.stats.compute(state, koppen=classes)``.
Without one they are reported as not computable, never guessed.
"""
from __future__ import annotations

from planet.analysis.koppen import GROUPS, PEEL_SHARES, group_shares


def register(R, NotComputable) -> None:
    """Add the group shares to the statistics registry (``R`` is its ``_register``)."""
    def share(a, g):
        a.field("temperature", "climate not in this state")   # the classes need the climate
        classes = getattr(a, "koppen", None)
        if classes is None:
            raise NotComputable("needs a Köppen map: compute(state, koppen=planet.koppen(world))")
        if getattr(classes, "shape", None) != a.state.shape:
            raise NotComputable(f"the Köppen map's shape {getattr(classes, 'shape', None)} is not the state's")
        return group_shares(classes)[g]

    for g in GROUPS:
        R(f"climate.koppen_{g}_share", "1", f"area-weighted share of land in Köppen–Geiger group {g} over a model year "
          f"(Peel et al. 2007: Earth {PEEL_SHARES[g]:.3f})", lambda a, g=g: share(a, g))
