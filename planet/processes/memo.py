"""Results that depend on the terrain, reused while it stands still.

The lithosphere advances every ``step_interval`` steps and stops at tectonics end, and a frozen
terrain (``planet.earth``, ``stages=`` without the lithosphere) never changes: a blur of the
elevation computed every step would be the same array again on most of them.
"""
from __future__ import annotations

import numpy as np


class TerrainMemo:
    """The last result of a function of the elevation and a few other inputs (``key``), reused while
    the elevation (compared by value, so an array edited in place is seen) and ``key`` are unchanged:
    bit for bit the function's result."""

    _seen = _value = None

    def get(self, elevation, key, compute):
        """``compute()``'s result for ``elevation`` and ``key``, computed again only when either changed."""
        if self._seen is None or self._seen[1] != key or not np.array_equal(self._seen[0], elevation):
            self._seen = (np.array(elevation, copy=True), key)
            self._value = compute()
        return self._value
