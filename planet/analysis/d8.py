"""D8 flow routing for the statistics (a small, swappable router).

The river statistics of ``planet.analysis.stats`` need, for every land cell, the cell
its water flows to (its *receiver*). This module computes them from the
elevation alone, with the model's own rule (``SPEC.md`` §4):

* only land is routed: cells with ``z ≥ D`` (``D`` the sea level); ocean cells
  are sinks and are their own receivers;
* the receiver of a land cell is the neighbour (polar reflection and longitude
  wrap as in ``planet.core.grid.neighbour``; the D8 eight within 48° of the
  equator, further directions beyond: ``metrics.router_offsets``) with the
  steepest descent ``(z − z_n) / dist``, ``dist`` the distance between the cell
  centres on the sphere (``planet.processes.lithosphere.metrics.distances``),
  evaluated in float32; equal maxima go to the **last** in the router's order;
* only a strictly positive descent counts, so a land cell with no lower
  neighbour (in a flat or a hollow) is a *pit*: its own receiver. Strict
  descent cannot make loops.

The statistics trace rivers on the **conditioned** surface, as hydrology does with a
digital elevation model before it extracts a river network (O'Callaghan & Mark 1984;
HydroSHEDS): :func:`fill_depressions` fills every closed depression on land to its spill
level, sloping by ``CONDITION_SLOPE`` per cell towards the outlet, so that a river crosses a
lake or a flat and goes on to the sea instead of ending in it. (Only
``rivers.sea_drained_fraction`` reads the raw surface: the share of land whose water reaches
the sea without that filling.)

Receivers are flat indices ``j * W + i`` (int64, shape ``(H, W)``). There is one router,
the lithosphere's (``planet.processes.lithosphere.routing.receivers``): the statistics call it
with ``strict=True`` (why: a flat must not join two basins, and strict descent cannot make
loops), the model without (its water crosses flats, as the reference's did). Off flats the two
agree cell for cell (``tests/test_stats.py``). :func:`model_receivers` gives the model's own
routing in this module's form; anything that returns receivers in this form can replace
:func:`receivers` (pass it to ``planet.analysis.stats.compute(state, router=...)``).

:func:`accumulate` then walks the receiver graph in topological order and
returns, per cell (the traversal is the model's, ``drainage.accumulate``: Kahn's
algorithm on the donor counts, O(n), Braun & Willett 2013, here weighted by the
cell areas and with loops refused instead of broken):

* ``area``: drainage area, the sum of the (true, km²) areas of the cells whose
  flow passes through the cell, itself included;
* ``length``: the longest flow path from a divide to the cell, in km along
  great circles between cell centres (0 at sources);
* ``mouth``: the flat index of the basin's last land cell: the land cell
  whose receiver is an ocean cell, or the pit it ends in (``-1`` for ocean).
"""
from __future__ import annotations

import heapq

import numpy as np
from numba import njit, prange

from planet.core.grid import D8_DI, D8_DJ, EARTH_RADIUS_KM, Grid, neighbour
from planet.processes.lithosphere import drainage
from planet.processes.lithosphere.drainage import NOT_ROUTED, PIT
from planet.processes.lithosphere.metrics import diagonal_reach

#: the slope (elevation per cell) of a filled depression's surface towards its outlet
CONDITION_SLOPE = 1e-4


@njit(cache=True, nogil=True, inline="always")
def _towards(j, i, k, reach, H, W):
    """The cell that has ``(j, i)`` as its router neighbour in direction ``k``'s opposite: the
    router's diagonals from row ``jj`` step ``reach[jj]`` columns, so the flood steps by the
    reach of the row it enters (the neighbour relation is then the router's, in both directions)."""
    dj = D8_DJ[k]
    di = D8_DI[k]
    if di != 0 and dj != 0:
        di = di * reach[min(max(j + dj, 0), H - 1)]
    return neighbour(j, i, dj, di, H, W)


@njit(cache=True, nogil=True)
def _fill(z, level, eps, reach, filled):
    """Priority-flood with ε of the ``(H, W)`` map ``z`` into ``filled``; cells below ``level`` are the
    sea (copied, never raised). Sequential: one heap, O(n log n) in the land cells. The flood
    grows over the router's neighbours (``reach``: ``metrics.diagonal_reach``), so each raised
    cell's parent is one of its D8 neighbours, which the router looks at (beyond 48° the adjacent
    columns as a last resort): every filled land cell has a strictly lower router neighbour."""
    H, W = z.shape
    done = np.zeros((H, W), np.bool_)
    heap = [(np.float32(0.0), np.int64(0))]
    heap.pop()
    for j in range(H):
        for i in range(W):
            filled[j, i] = z[j, i]
            if z[j, i] < level:
                done[j, i] = True
                for k in range(8):
                    jj, ii = _towards(j, i, k, reach, H, W)
                    if z[jj, ii] >= level:
                        heapq.heappush(heap, (z[j, i], np.int64(j * W + i)))
                        break
    while len(heap) > 0:
        zc, c = heapq.heappop(heap)
        j = c // W
        i = c - j * W
        for k in range(8):
            jj, ii = _towards(j, i, k, reach, H, W)
            if done[jj, ii]:
                continue
            done[jj, ii] = True
            zn = max(z[jj, ii], zc + eps)
            filled[jj, ii] = zn
            heapq.heappush(heap, (zn, np.int64(jj * W + ii)))


def fill_depressions(elevation: np.ndarray, sea_level: float, slope: float = CONDITION_SLOPE) -> np.ndarray:
    """The land with its closed depressions filled: the priority-flood of Barnes, Lehman & Mulla
    (2014, *Computers & Geosciences* 62, 117-127) in its ε form.

    The flood starts from every sea cell (``z < D``) next to land, always grows from the lowest
    cell reached so far, and raises each newly reached land cell to at least its parent's level
    plus ``slope``. The result (float32, ``>= elevation``) is the lowest such surface on which
    every land cell has a strictly lower neighbour, so strict D8 descent from any land cell
    reaches the sea. Ties in the flood go by flat cell index: the result depends on the map
    alone. Land that no sea touches (a map with no sea) is left as it is.
    """
    z = np.ascontiguousarray(elevation, dtype=np.float32)
    if z.ndim != 2:
        raise ValueError(f"elevation must be a 2-D map, got shape {z.shape}")
    if not np.isfinite(sea_level):
        raise ValueError(f"sea_level must be a finite number, got {sea_level!r}")
    if not slope > 0:
        raise ValueError(f"slope must be > 0, got {slope!r}")
    out = np.empty_like(z)
    _fill(z, np.float32(sea_level), np.float32(slope), diagonal_reach(*z.shape), out)
    return out


def receivers(elevation: np.ndarray, sea_level: float, grid: Grid) -> np.ndarray:
    """Steepest-descent D8 receivers of the land cells (see the module docstring): the model's
    router (``planet.processes.lithosphere.routing.receivers``) in its strict form, with pits and
    ocean cells mapped to self-receivers.

    Parameters
    ----------
    elevation : float32 ``(H, W)``.
    sea_level : ``D``; cells with ``z ≥ D`` are land and routed.
    grid : the grid of ``elevation``.

    Returns int64 ``(H, W)`` flat receiver indices; ocean cells and pits point at themselves.
    """
    z = np.ascontiguousarray(elevation, dtype=np.float32)
    if z.shape != grid.shape:
        raise ValueError(f"elevation must have shape {grid.shape}, got {z.shape}")
    if not np.isfinite(sea_level):
        raise ValueError(f"sea_level must be a finite number, got {sea_level!r}")
    rcv, _ = drainage.receivers(z, float(np.float32(sea_level)), strict=True)
    return _self_form(rcv, grid)


def cell_area_km2(grid: Grid) -> np.ndarray:
    """True cell areas on an Earth-radius sphere, km², ``(H, W)`` float64."""
    return np.ascontiguousarray(np.broadcast_to(grid.area_km2, grid.shape))


def hop_length_km(rec: np.ndarray, grid: Grid) -> np.ndarray:
    """Great-circle distance (km) from each cell centre to its receiver's centre (0 for self)."""
    rec = np.ascontiguousarray(rec, dtype=np.int64)
    if rec.shape != grid.shape:
        raise ValueError(f"receivers must have shape {grid.shape}, got {rec.shape}")
    return _hop_length(rec, np.radians(grid.lat), np.radians(grid.lon), EARTH_RADIUS_KM)


@njit(cache=True, nogil=True, parallel=True)
def _hop_length(rec, lat, lon, radius):
    """Haversine distance between the centres of each cell and its receiver."""
    H, W = rec.shape
    out = np.empty((H, W), dtype=np.float64)
    for j in prange(H):
        for i in range(W):
            r = rec[j, i]
            jr, ir = r // W, r % W
            s1 = np.sin(0.5 * (lat[jr] - lat[j]))
            s2 = np.sin(0.5 * (lon[ir] - lon[i]))
            h = s1 * s1 + np.cos(lat[j]) * np.cos(lat[jr]) * s2 * s2
            out[j, i] = 2.0 * radius * np.arcsin(min(np.sqrt(h), 1.0))
    return out


def accumulate(rec: np.ndarray, land: np.ndarray, area: np.ndarray, hop: np.ndarray):
    """Drainage area, longest upstream flow path and basin mouth of every cell.

    The areas and the topological order come from the model's traversal
    (``planet.processes.lithosphere.drainage.accumulate``, weighted by ``area``, loops refused);
    the lengths and the mouths walk that order.

    Parameters
    ----------
    rec : int64 ``(H, W)`` flat receivers (self for sinks); must form a forest (no loops).
    land : bool ``(H, W)``: routed cells. Ocean cells get area 0, length 0, mouth -1.
    area : float64 ``(H, W)`` cell areas (km²).
    hop : float64 ``(H, W)`` distance to the receiver (km).

    Returns ``(drainage_area, upstream_length, mouth)``, ``(H, W)`` float64, float64, int64.
    Raises ``ValueError`` if the receivers contain a loop.
    """
    shape = rec.shape
    r = np.ascontiguousarray(rec, dtype=np.int64).ravel()
    if r.size and (r.min() < 0 or r.max() >= r.size):
        raise ValueError("receivers must be flat cell indices in [0, cells)")
    land = np.ascontiguousarray(land, dtype=np.bool_).reshape(shape)
    sink = r.reshape(shape) == np.arange(r.size).reshape(shape)
    rcv = np.where(land, np.where(sink, PIT, r.reshape(shape)), NOT_ROUTED)
    acc, order, rcv = drainage.accumulate(rcv, area, break_loops=False)
    length, mouth = _lengths_and_mouths(rcv.ravel(), order, np.ascontiguousarray(hop, dtype=np.float64).ravel())
    return acc, length.reshape(shape), mouth.reshape(shape)


def _self_form(rcv: np.ndarray, grid: Grid) -> np.ndarray:
    """The router's receivers (``-1`` pit, ``-2`` not routed) with every such sink its own receiver, int64."""
    own = np.arange(grid.cells, dtype=np.int64).reshape(grid.shape)
    return np.where(rcv < 0, own, rcv.astype(np.int64))


@njit(cache=True, nogil=True)
def _lengths_and_mouths(rcv, order, hop):
    """Longest upstream path (donors first) and mouth (receivers first) along the topological order."""
    n = rcv.size
    up = np.zeros(n, dtype=np.float64)
    for c in order:
        r = rcv[c]
        if r >= 0 and rcv[r] != NOT_ROUTED:
            d = up[c] + hop[c]
            if d > up[r]:
                up[r] = d
    mouth = np.full(n, -1, dtype=np.int64)
    for k in range(order.size - 1, -1, -1):
        c = order[k]
        r = rcv[c]
        if r < 0 or rcv[r] == NOT_ROUTED:
            mouth[c] = c
        else:
            mouth[c] = mouth[r]
    return up, mouth


def model_receivers(elevation: np.ndarray, sea_level: float, grid: Grid) -> np.ndarray:
    """Receivers from the lithosphere's own router, ``planet.processes.lithosphere.routing``, in this module's form.

    A router for ``planet.analysis.stats.compute(state, router=model_receivers)``: it routes the land
    (``z ≥ D``) as the model does (zero descents cross flats; flat loops broken by
    ``planet.processes.lithosphere.drainage.accumulate``) and maps its pits (−1) and unrouted cells (−2) to
    self-receivers.
    """
    rcv, _ = drainage.receivers(np.ascontiguousarray(elevation, dtype=np.float32), float(sea_level))
    _, _, rcv = drainage.accumulate(rcv)
    return _self_form(np.asarray(rcv).reshape(grid.shape), grid)
