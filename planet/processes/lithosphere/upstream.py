"""Rule 2's window cut down to the columns around the upstream point (``drift``).

Near the poles the cells are narrow, so a step's motion spans many columns and ``window.reach``
gives rows of hundreds of columns; yet a marker that a move brings into cell ``c`` came from near
the **upstream point** ``q = x_c − v`` (``v = v_k(x_c)``, the motion rule 2 applies to every
marker it tests for ``c``), so on each scanned row only the columns around ``q`` can hold it.

**The bound.** Say the marker of source cell ``s`` (centre ``x_s`` on row ``j'`` at latitude
``φ'``, longitude ``λ_s``) sits at ``p = x_s + a ê_s + b n̂_s`` (``drift.positions``) and passes
rule 2's inside test for ``c``: ``T = p − q`` has ``|T·ê_c| ≤ α``, ``|T·n̂_c| ≤ β`` (``α, β`` half
the cell's width and height, with ``candidate.OUTSIDE``'s slack). Let ``A_{j'}`` and ``D_{j'}`` be the
largest ``|a|`` and ``|a ê + b n̂|`` of row ``j'``'s markers (``drift.positions`` measures them each
step). Write ``q = (ρ_q sin λ_q, q_y, ρ_q cos λ_q)``.

* **Along the normal.** ``|p|² = 1 + |a ê + b n̂|² ∈ [1, 1 + D²]`` and ``p = (1 + T_x) x_c +
  (T_e ê_c + T_n n̂_c − v)``, so ``T_x = p·x_c − 1 ≤ D²/2`` and, while ``p·x_c > 0`` (ensured by
  using the bound only where ``x_c`` and ``x_s`` lie within ``θ`` of one pole with ``2θ + D <
  1.4``: ``θ ≤ π/2 · cos φ``), ``T_x ≥ −(1 − √(1 − t²))``, ``t = √(α² + β²) + |v|``. Call the
  larger magnitude ``τ_x``.
* **Distance** (the chord bound). ``|x_s − q| ≤ |x_s − p| + |p − q| ≤ D + √(α² + β² + τ_x²) =
  R``; with ``|x_s| = 1`` that is ``cos(λ_s − λ_q) ≥ (1 + |q|² − R² − 2 sin φ' q_y) / (2 cos φ' ρ_q)``
  (no column if the bound exceeds 1, every column if it is below −1).
* **East-west** (the sine bound). ``ê_s`` is horizontal, so ``p·ê_s = a`` and ``q·ê_s = ρ_q
  sin(λ_q − λ_s)``; ``T·ê_s = T_e cos(λ_c − λ_s) − T_n sin φ_c sin(λ_c − λ_s) + T_x cos φ_c
  sin(λ_c − λ_s)`` and ``|sin(λ_c − λ_s)| ≤ σ + |sin(λ_q − λ_s)|`` with ``σ = |sin(λ_c − λ_q)| =
  |v·ê_c| / ρ_q``. Hence, with ``γ = β |sin φ_c| + τ_x cos φ_c``, where ``ρ_q > γ``:
  ``|sin(λ_q − λ_s)| ≤ (A + α + γ σ) / (ρ_q − γ)``. This is what makes the cut pay: the marker's
  *height* offset (up to 1.5 cell heights, many cell widths near a pole) does not widen it.

The sine bound allows two arcs, around ``λ_q`` and around ``λ_q + π``; when the chord bound's
arc (around ``λ_q``) misses the far one, the row's arc is the narrower of the two around
``λ_q``, else the chord bound's. Each half-width gets 10 % and a column more (rounding: every
quantity is within a few ulps of 1 in absolute terms) and ``R²`` gets ``1e-12``.
``pieces`` turns the arc into the ``di`` of the old window ``−m … m`` whose column lies in it:
at most two runs, in ascending ``di``, so rule 2 scans the candidates it would have scanned, in
the same order, less some that provably fail its inside test: the result is bit-identical.

Rule 4 (``drift._stretch``) uses the same bound with a larger box: a marker at ``d`` (cell units
squared) from the centre has ``|T·ê_c| ≤ √d w_j`` and ``|T·n̂_c| ≤ √d h``, so once some upstream
marker is known at ``d``, the columns the bound leaves for ``α = √d w_j``, ``β = √d h`` hold every
marker that can beat it.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

MARGIN = 1.1          # relative slack on every radius and half-width
CAP = 1.4             # radians: the bound is used while 2θ + D stays below this (p·x_c > 0)
NONE = -1.0           # ``half_columns``: no column of the row can hold such a marker
ALL = np.inf          # ``half_columns``: every column may


@njit(cache=True, nogil=True, inline="always")
def half_columns(cphi, sphi, a_row, d_row, W, cl, sl, qy, q2, rq, alpha, beta, t, ve):
    """Half-width in columns, around the upstream point's column, of the part of a row (at
    latitude ``φ'``: ``cphi``, ``sphi``; its markers' largest east offset ``a_row`` and offset
    ``d_row``, radians) that may hold a marker passing rule 2's inside test for a cell at
    latitude ``φ_c`` (``cl``, ``sl``; half-extents ``alpha``, ``beta``), whose upstream point ``q``
    has ``q_y = qy``, ``|q|² = q2``, ``ρ_q = rq``; ``t = √(α² + β²) + |v|``, ``ve = |v·ê_c|``.
    ``ALL`` for the whole row, ``NONE`` for none (module docstring)."""
    if sl * sphi <= 0.0 or 0.5 * math.pi * (cl + cphi) + d_row >= CAP:
        return ALL
    tx = 1.0 if t >= 1.0 else 1.0 - math.sqrt(1.0 - t * t)
    tx = max(tx, 0.5 * d_row * d_row)
    r = (d_row + math.sqrt(alpha * alpha + beta * beta + tx * tx)) * MARGIN
    den = 2.0 * cphi * rq
    num = 1.0 + q2 - (r * r + 1e-12) - 2.0 * sphi * qy
    if num > den:                 # (den >= 0) no centre of the row is within R of q
        return NONE
    if num <= -den:
        half = math.pi
    else:
        half = math.acos(num / den)
    gamma = beta * abs(sl) + tx * cl
    if rq > gamma:
        s = (a_row + alpha + gamma * ve / rq) / (rq - gamma) * MARGIN
        if s < 1.0:
            near = math.asin(s)
            if half < math.pi - near:
                half = min(half, near)
    return half * MARGIN * W / (2.0 * math.pi) + 1.0


@njit(cache=True, nogil=True, inline="always")
def reflected_row(jj, H, W):
    """``(row, column shift)`` of a possibly out-of-range row ``jj`` under polar reflection
    (``sampling._reflect``): the row beyond a pole is the row as far on this side, half a turn away."""
    if jj < 0:
        return -1 - jj, W // 2
    if jj >= H:
        return 2 * H - 1 - jj, W // 2
    return jj, 0


@njit(cache=True, nogil=True, inline="always")
def wrap(x, W):
    """``x mod W`` (``W > 0``) by adding or subtracting ``W``: a scan's column, shifted by its reach and
    half a turn, is at most a turn or two out of range, which costs less than a 64-bit integer division
    (one per scanned row: −6 % of a plate move at 512 and 1024 columns, the same markers)."""
    while x < 0:
        x += W
    while x >= W:
        x -= W
    return x


@njit(cache=True, nogil=True, inline="always")
def pieces(i, shift, m, W, fq, half):
    """The ``di`` in ``−m … m`` whose column ``(i + di + shift) mod W`` is within ``half`` columns
    (``half_columns``) of the fractional column ``fq``: ``(lo0, hi0, lo1, hi1)``, two runs in
    ascending order (a run is empty when its ``lo > hi``). Where ``m = W / 2`` the window's two
    ends are one column, scanned twice; the second visit, at ``di = m``, may be left out (it cannot
    change rule 2's result: a tie goes to the first)."""
    if half < 0.0:
        return 1, 0, 1, 0
    if 2.0 * half + 3.0 >= W:
        return -m, m, 1, 0
    lo = np.int64(math.floor(fq - half))
    span = np.int64(math.ceil(fq + half)) - lo          # < W - 1
    a0 = wrap(lo - i - shift + m, W) - m                 # in -m … W - m - 1
    return -m, min(a0 - W + span, m), a0, min(a0 + span, m)
