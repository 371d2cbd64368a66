"""One marker tested for a cell: the arithmetic that every scan of ``drift`` shares.

A scan (``drift._scan``, ``drift._upstream``, the listed arrivals of ``arrivals``, the polar
index of ``polar``) visits candidate markers and keeps the best; each visit is ``consider``:
the marker, moved by the plate's motion ``v``, relative to the centre of the cell scanned for, in
its tangent plane (east, north; radians) and in cell units ``(u, v)``. Every scan forms these
numbers with the same operations in the same order, so a winner found by one is bit for bit the
winner found by another.
"""
from __future__ import annotations

import numpy as np
from numba import njit

HALF = 0.5        # a marker is inside a cell while ``|u|, |v| <= HALF``


#: a marker whose east (north) offset before the division by the cell's width (height) exceeds
#: this many widths is outside the cell whatever the rounding: ``|t| > fl(0.5000001 w)`` gives
#: ``fl(|t| / w) > 0.5``, so rule 2 skips it without dividing
OUTSIDE = 0.5000001


@njit(cache=True, nogil=True, inline="always")
def east_offset(marks, cc, vx, vz, x0, z0, ex, ez):
    """The marker of cell ``cc``, moved by ``v``, relative to the centre ``x0``: its x and z offsets and
    its tangent-plane offset east ``tu`` (radians), the one test both ``consider`` and ``drift._run``'s skim
    make first."""
    px = marks[0, cc] + vx - x0
    pz = marks[2, cc] + vz - z0
    return px, pz, px * ex + pz * ez


@njit(cache=True, nogil=True, inline="always")
def consider(inside, cc, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv, lim_u, lim_v, best_a, d_a,
              u_a, v_a, best_b, d_b, u_b, v_b):
    """One candidate of a scan: the marker of cell ``cc``, moved by ``v``, relative to the centre
    ``x0`` of the cell scanned for, in cell units ``(u, v)`` and ``d = u² + v²``. ``inside`` (rule 2):
    the nearest inside the cell so far, ``(best_a, d_a, u_a, v_a)``; else (rule 4) the nearest
    upstream (``(u, v)·(fu, fv) < 0``) and the nearest of all (``best_b, …``). A tie keeps the
    earlier. Markers beyond ``lim_u`` east or ``lim_v`` north (tangent-plane offsets, radians) are
    skipped before the division (``np.inf``: none)."""
    px, pz, tu = east_offset(marks, cc, vx, vz, x0, z0, ex, ez)
    if abs(tu) > lim_u:
        return best_a, d_a, u_a, v_a, best_b, d_b, u_b, v_b
    py = marks[1, cc] + vy - y0
    tv = px * nx + py * ny + pz * nz
    if abs(tv) > lim_v:
        return best_a, d_a, u_a, v_a, best_b, d_b, u_b, v_b
    u = tu / wj
    v = tv / h
    d = u * u + v * v
    if inside:
        if abs(u) <= HALF and abs(v) <= HALF and d < d_a:
            return cc, d, u, v, best_b, d_b, u_b, v_b
        return best_a, d_a, u_a, v_a, best_b, d_b, u_b, v_b
    if u * fu + v * fv < 0.0 and d < d_a:
        best_a = cc
        d_a = d
        u_a = u
        v_a = v
    if d < d_b:
        best_b = cc
        d_b = d
        u_b = u
        v_b = v
    return best_a, d_a, u_a, v_a, best_b, d_b, u_b, v_b


#: a scan's state before any candidate (``consider``'s ``(a, d_a, u_a, v_a, b, d_b, u_b, v_b)``): none found
NONE = (-1, np.inf, 0.0, 0.0, -1, np.inf, 0.0, 0.0)
