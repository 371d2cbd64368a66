"""The rivers drawn whole across the stretched rows of the map (what the ``rivers`` view shows).

Beyond 48° of latitude the lithosphere's router (``planet.processes.lithosphere.routing``) looks
``m_j = round(1 / cos φ_j)`` columns east and west and along the diagonals, about one cell height
on the sphere, so a river there steps from a cell to a receiver up to ``m_j`` columns away. Drawn
cell by cell, as the drainage area of each cell, such a river is a row of dots on the map (one lit
cell every ``m_j`` columns), and a poster's polar land looked stippled.

``river_links`` draws each of those steps as a line of cells on the map: every cell between a cell
and its receiver shows at least the area that flows through that step (the upstream cell's). A step
that also changes row goes half its columns along the cell's row and half along the receiver's.
Steps between neighbouring columns (all of them within 48° of the equator) and steps across a pole
are left alone; the drainage areas themselves are not changed, only the plane the renderer reads
(``scene.pack_fields``). The receivers are the model's (``routing.receivers`` at the shore level
``D − shore``) computed from the state's elevation: the ones the step drew its drainage along when
the elevation has not changed since, as in a saved state.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from planet.processes.lithosphere.metrics import router_tables
from planet.processes.lithosphere.routing import receivers


@njit(cache=True, nogil=True)
def _draw_links(area, rdir, dj, di, out):
    """``out`` (the areas as drawn, holding ``area`` on entry) raised along every step of
    ``|di| ≥ 2`` columns from a routed cell (``rdir ≥ 0``) to its receiver inside the map."""
    H, W = area.shape
    for j in range(H):
        for i in range(W):
            d = rdir[j, i]
            if d < 0:
                continue
            n = di[j, d]
            step = abs(n)
            jr = j + dj[j, d]
            if step < 2 or jr < 0 or jr >= H:      # a neighbour, or across the pole
                continue
            a = area[j, i]
            sign = 1 if n > 0 else -1
            for k in range(1, step):
                row = j if 2 * k < step else jr       # half along the cell's row, half along the receiver's
                col = (i + sign * k) % W
                if out[row, col] < a:
                    out[row, col] = a


def river_links(area: np.ndarray, elevation: np.ndarray, level: float) -> np.ndarray:
    """The drainage ``area`` (any unit, ``(H, W)`` float32) as the rivers view draws it: each step of
    the router over two or more columns drawn as a line of cells (module docstring). ``level``: the
    lowest routed elevation (the model's ``D − shore``)."""
    area = np.ascontiguousarray(area, dtype=np.float32)
    H, W = area.shape
    _, rdir = receivers(elevation, level)
    _, _, dj, di, _ = router_tables(H, W)        # (kept per grid: read only)
    out = area.copy()
    _draw_links(area, rdir, dj, di, out)
    return out
