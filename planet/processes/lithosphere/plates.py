"""Plates: seeding, aggregation, whole-plate motion, collisions and rifts (spec §4, rule 5).

A plate is the set of cells sharing an id ``q`` in [0, 1); ``-1`` is no plate.
The id also sets the plate's direction, ``v = (cos 2πq, sin 2πq)`` (x east,
y north). The rules, first branch that applies wins:

* **Re-plating** (``step mod period < replate_steps``): every id becomes -1, nothing moves.
* **No plate** (``q = -1``): with probability ``p_seed`` the cell seeds a new plate
  (a random id); otherwise it copies the id of a random one of its 4 neighbours
  (aggregation). Its uplift is clamped to [0, 1]. ``p_seed`` is stated per
  cell at 512 columns and scaled by ``(512 / W)³``, so the plate count does
  not depend on the resolution: the count is ``p_seed`` × cells × fill time,
  cells grow as ``W²`` and the fill time in steps as ``W`` (aggregation
  advances a fixed number of cells per step). Measured at t = 50 s, seeds
  0–3: 5–9 plates at 128 columns, 6–12 at 256, ~9 at 512 (with ``(512/W)²``
  it was 3 at 128 and 256).
* **Motion**: each step a plate moves with probability ``p_move``; if it does,
  one cell east/west (sign of ``v.x``) with probability
  ``|v.x| / (|v.x| + |v.y|)``, else one cell north/south. One uniform draw per
  (seed, step, plate) decides both, so the whole plate moves together:
  mean displacement ``p_move · v / (|v.x| + |v.y|)`` cells per step.
  ``p_move`` is 0.05 at 512 columns and scales with ``W / 512`` (plates keep
  their speed in degrees per film second at any resolution). The id -1 moves
  too, due east (the reference's angle -2π), so plateless cells drift east.
* **Being moved into**: of the neighbours N, E, S, W (in that order) the first
  whose plate moves into this cell gives it its *previous-step* content
  (plate, uplift, elevation, flow, colour), which skips this step's other
  rules. If this cell's own plate was not moving the same way it is a
  **collision**: ``y = 1``.
* **Rift**: a cell whose plate moves away, that nobody moves into, and whose
  neighbour behind (opposite the motion) has a plate, becomes plate -1 with a
  random colour; under the ocean (``z < D``) its elevation and uplift become 0.
* Otherwise uplift decays, ``y ← max(y − decay, 0)``, before tectonics end.

**Poles.** Nothing moves across a pole: a polar row is never moved into from
beyond the pole. A plate that covers a pole and moves away from it diverges
there (a rigid lat/lon motion spreads radially from the pole), so the polar
cell it leaves is a spreading centre: new crust accretes to the plate there (it
keeps the plate's id, a new colour, fresh ocean floor ``z = 0``, ``y = 0``) on
land as well as at sea; the continent drifts off the pole and an ocean floor,
youngest at the pole, opens behind it. (As plain rifts, plate -1, the polar
cells re-aggregated slowly: polar plate cover 0.910 against ≥ 0.913 elsewhere.) (Keeping the polar cell's
content instead, as a first version did, copied it outward every move and
painted meridional streaks over the last ~25° of latitude.) Content moving
poleward leaves the map at the pole row. The no-seam tests compare the polar
rows' uplift, elevation and plate cover with the rest of the map.
Everywhere else the neighbour rule of ``planet.core.grid`` applies (wrap in
longitude, polar reflection for aggregation).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from planet.core.grid import neighbour
from planet.core.noise import (STREAM_AGGREGATE, STREAM_BASIN, STREAM_MOTION, STREAM_PLATE_SEED, plate_id,
                    plate_key, uniform, unit24)

f32 = np.float32
STILL, NORTH, EAST, SOUTH, WEST = 0, 1, 2, 3, 4
_TWO_PI = 2.0 * math.pi


@njit(cache=True, nogil=True)
def plate_motion(q, seed, step, p_move):
    """Motion of plate ``q`` this step: ``STILL``, ``NORTH``, ``EAST``, ``SOUTH`` or ``WEST``.

    One uniform ``u`` per (seed, step, plate): the plate moves if ``u < p_move``; then
    ``u / p_move`` (uniform in [0, 1)) picks the east–west axis with probability
    ``|v.x| / (|v.x| + |v.y|)``. The id -1 moves due east.
    """
    u = uniform(seed, STREAM_MOTION, step, plate_key(q))
    if not u < p_move:
        return STILL
    if q < 0:
        return EAST
    a = _TWO_PI * np.float64(q)
    vx = math.cos(a)
    vy = math.sin(a)
    if u / p_move < abs(vx) / (abs(vx) + abs(vy)):
        return EAST if vx > 0 else WEST
    return NORTH if vy > 0 else SOUTH


@njit(cache=True, nogil=True, parallel=True)
def _motion_codes(q, seed, step, p_move, out):
    """``out[c]`` = motion of the plate of cell ``c`` (draws cached along each row)."""
    H, W = q.shape
    for j in prange(H):
        last = f32(-2.0)
        code = STILL
        for i in range(W):
            qc = q[j, i]
            if qc != last:
                last = qc
                code = plate_motion(qc, seed, step, p_move)
            out[j * W + i] = code


def motion_codes(plate: np.ndarray, seed: int, step: int, p_move: float) -> np.ndarray:
    """int8 ``(H, W)``: the motion code of every cell's plate this step."""
    q = np.ascontiguousarray(plate, dtype=np.float32)
    out = np.empty(q.size, dtype=np.int8)
    _motion_codes(q, np.int64(seed), np.int64(step), np.float64(p_move), out)
    return out.reshape(q.shape)


@njit(cache=True, nogil=True, inline="always")
def _toward(k):
    """Code a neighbour in direction k (0 N, 1 E, 2 S, 3 W) must move with to enter this cell."""
    return (SOUTH, WEST, NORTH, EAST)[k]


@njit(cache=True, nogil=True, inline="always")
def _neighbour4(j, i, k, H, W):
    """Flat index of the 4-neighbour k (N, E, S, W), or -1 across a pole."""
    dj = (-1, 0, 1, 0)[k]
    di = (0, 1, 0, -1)[k]
    jj = j + dj
    if jj < 0 or jj >= H:
        return -1
    ii = (i + di) % W
    return jj * W + ii


@njit(cache=True, nogil=True, parallel=True)
def _plates(q0, y0, z0, a0, b0, y, z, a, b, mv, seed, step, level, p_seed, decay, replate, tectonic,
            q_out, source):
    """Rule 5 for every cell, then the clamps of rule 6, in place.

    ``q0 … b0``: previous step; ``y, z, a, b``: this step after rules 1–4, updated in place
    (each cell reads and writes only itself there); ``mv``: motion codes of the previous
    step's plates; ``level``: sea level D. Writes ``q_out`` and ``source`` (flat index of the
    cell whose content this cell holds).
    """
    H, W = q0.shape
    zero = f32(0.0)
    one = f32(1.0)
    for j in prange(H):
        for i in range(W):
            c = j * W + i
            qc = q0[j, i]
            yc = y[j, i]
            zc = z[j, i]
            ac = a[j, i]
            bc = b[j, i]
            src = c
            collided = False
            if replate:
                qc = f32(-1.0)
            elif qc < zero:
                if uniform(seed, STREAM_PLATE_SEED, step, c) < p_seed:
                    qc = plate_id(seed, step, c)
                else:
                    k = np.int64(4.0 * uniform(seed, STREAM_AGGREGATE, step, c))
                    dj = (-1, 0, 1, 0)[k]
                    di = (0, 1, 0, -1)[k]
                    jj, ii = neighbour(j, i, dj, di, H, W)
                    qc = q0[jj, ii]
                yc = min(max(yc, zero), one)
            elif tectonic:
                own = mv[c]
                for k in range(4):
                    n = _neighbour4(j, i, k, H, W)
                    if n >= 0 and mv[n] == _toward(k):
                        src = n
                        break
                if src != c:
                    jn = src // W
                    inn = src - jn * W
                    qc = q0[jn, inn]
                    yc = y0[jn, inn]
                    zc = z0[jn, inn]
                    ac = a0[jn, inn]
                    bc = b0[jn, inn]
                    collided = own != mv[src]
                elif own != STILL:
                    # the plate moves away: look at the neighbour behind (opposite the motion)
                    kb = (SOUTH - 1, WEST - 1, NORTH - 1, EAST - 1)[own - 1]
                    nb = _neighbour4(j, i, kb, H, W)
                    if nb < 0:
                        # moving away from a pole: the plate diverges there, a spreading centre
                        # accretes fresh ocean floor to it (on land too: the continent drifts off)
                        bc = unit24(seed, STREAM_BASIN, step, c)
                        zc = zero
                        yc = zero
                    elif q0[nb // W, nb % W] >= zero:
                        qc = f32(-1.0)
                        bc = unit24(seed, STREAM_BASIN, step, c)
                        if zc < level:
                            zc = zero
                            yc = zero
            if collided:
                yc = one
            elif tectonic:
                yc = max(yc - decay, zero)
            q_out[j, i] = qc
            y[j, i] = min(max(yc, zero), one)
            z[j, i] = max(zc, zero)
            a[j, i] = ac
            b[j, i] = bc
            source[j, i] = src


def seed_probability(p512: float, columns: int) -> float:
    """Per cell-step seeding probability at ``columns``: ``p512 · (512 / W)³`` (capped at 1)."""
    return min(1.0, p512 * (512.0 / columns) ** 3)


def move_probability(p512: float, columns: int) -> float:
    """Per step motion probability at ``columns``: ``p512 · W / 512`` (capped at 1)."""
    return min(1.0, p512 * columns / 512.0)


def apply_plates(previous: dict, chained: dict, motion: np.ndarray, *, seed: int, step: int, sea_level: float,
                 p_seed: float, decay: float, replate: bool, tectonic: bool):
    """Rule 5 and the clamps of rule 6 on whole maps.

    ``previous``: the previous step's ``plate, uplift, elevation, drainage_area, basin``;
    ``chained``: ``uplift, elevation, drainage_area, basin`` after rules 1–4; ``motion``:
    int8 motion codes per cell (``motion_codes``); ``p_seed`` is the per-cell probability
    at this resolution. Returns ``(fields, source)``.
    """
    names = ("plate", "uplift", "elevation", "drainage_area", "basin")
    prev = [np.ascontiguousarray(previous[n], dtype=np.float32) for n in names]
    shape = prev[0].shape
    now = [np.ascontiguousarray(chained[n], dtype=np.float32) for n in names[1:]]
    for name, arr in zip(names + names[1:], prev + now):
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    mv = np.ascontiguousarray(motion, dtype=np.int8).ravel()
    if mv.size != prev[0].size:
        raise ValueError(f"motion must have shape {shape}, got {np.shape(motion)}")
    if not 0.0 <= p_seed <= 1.0:
        raise ValueError(f"p_seed must be in [0, 1], got {p_seed}")
    out = {n: a.copy() for n, a in zip(names[1:], now)}
    out["plate"] = np.empty(shape, np.float32)
    source = np.empty(shape, np.int64)
    _plates(*prev, *(out[n] for n in names[1:]), mv, np.int64(seed), np.int64(step), f32(sea_level),
            np.float64(p_seed), f32(decay), bool(replate), bool(tectonic), out["plate"], source)
    return out, source
