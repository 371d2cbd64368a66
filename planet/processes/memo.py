"""Results that depend on the terrain, reused while it stands still.

The lithosphere advances every ``step_interval`` steps and stops at tectonics end, and a frozen
terrain (``planet.earth``, ``stages=`` without the lithosphere) never changes: a blur of the
elevation computed every step would be the same array again on most of them.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

#: cells compared per block by ``_equal`` before it looks whether any differed
_BLOCK = 4096


#: parts ``_equal`` splits the cells into (each stops at its own first block that differs)
_PARTS = 64


@njit(cache=True, nogil=True, parallel=True)
def _equal(a, b):
    """``np.array_equal`` of two float32 arrays of the same shape (``==`` per value: NaN never equals, −0
    equals +0), one pass without a temporary array. The cells are split into ``_PARTS`` runs of blocks
    compared in parallel; a run stops at its first block of cells that differs, so arrays that differ
    throughout cost a block per run (a terrain the lithosphere just changed), equal ones one read."""
    af = a.ravel()
    bf = b.ravel()
    n = af.size
    blocks = (n + _BLOCK - 1) // _BLOCK
    parts = min(blocks, _PARTS)
    differs = np.zeros(max(parts, 1), dtype=np.bool_)
    for p in prange(parts):
        for blk in range(p * blocks // parts, (p + 1) * blocks // parts):
            s = blk * _BLOCK
            d = False
            for i in range(s, min(s + _BLOCK, n)):      # the block's comparisons, branch-free (they vectorise)
                d |= af[i] != bf[i]
            if d:
                differs[p] = True
                break
    return not differs.any()


def _same(seen, elevation) -> bool:
    """``np.array_equal(seen, elevation)`` (``seen`` a float32 C-contiguous copy), by ``_equal`` when it can."""
    if (isinstance(elevation, np.ndarray) and elevation.dtype == np.float32 and seen.dtype == np.float32
            and elevation.shape == seen.shape and elevation.flags.c_contiguous and seen.flags.c_contiguous):
        return _equal(seen, elevation)
    return np.array_equal(seen, elevation)


class TerrainMemo:
    """The last result of a function of the elevation and a few other inputs (``key``), reused while
    the elevation (compared by value, so an array edited in place is seen) and ``key`` are unchanged:
    bit for bit the function's result."""

    _seen = _value = None

    def get(self, elevation, key, compute):
        """``compute()``'s result for ``elevation`` and ``key``, computed again only when either changed."""
        seen = self._seen
        if seen is None or seen[1] != key or not _same(seen[0], elevation):
            copy = seen[0] if seen is not None else None
            if (copy is not None and isinstance(elevation, np.ndarray) and copy.shape == elevation.shape
                    and copy.dtype == elevation.dtype):
                np.copyto(copy, elevation)         # the copy's buffer is reused (no fresh pages every change)
            else:
                copy = np.array(elevation, copy=True)
            self._seen = (copy, key)
            self._value = compute()
        return self._value
