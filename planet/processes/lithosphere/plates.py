"""Rigid plates on the sphere: seeding, Euler rotations, collisions, subduction and rifts.

This replaces the reference's plates (spec §4 rule 5: ids that grow by aggregation and move by
whole cells along the grid axes) by rigid rotations on the sphere, stated without reference to
the grid, so that a seed makes the same plates at any resolution.

**Plate table.** Plates live for one *epoch*: epoch ``e`` starts at step
``s_e = max(e · period + replate_steps, ocean_start step)`` (the re-plating of spec §4: all
plate ids are -1 during the first ``replate_steps`` steps of each ``period``). Epoch ``e`` of a
seed has ``n`` plates, ``n`` uniform in ``[plates_min, plates_max]``; plate ``k`` has, as pure
functions of (seed, e, k):

* a centre ``s_k``, uniform on the sphere (by area), and a size weight ``w_k ∈ [0.7, 1.3]``;
* an Euler pole ``e_k`` (uniform on the sphere) and an angular speed
  ``ω_k = ±(ω_min + (ω_max − ω_min) u)`` in degrees per film second: the plate's surface speed at
  angular distance ``δ`` from its pole is ``ω_k sin δ``;
* a density rank ``ρ_k ∈ [0, 1)`` (which oceanic plate sinks under which);
* an id ``q_k = (slot_k + 0.5) / 16``: ``n`` distinct slots of 16 drawn at random, so ids are
  in [0, 1) and spread over the hues of the plates view.

**Seeding (resolution-free).** At the epoch's first step each cell centre ``x`` takes the plate

    k(x) = argmin_k w_k · arccos(x̃ · s_k),   x̃ = normalise(x + a (F(f x + o_1), F(f x + o_2), F(f x + o_3)))

a weighted spherical Voronoi partition of a noise-warped position: ``F(p) = 2 fbm(p) − 1``
(``planet.noise.fbm``, evaluated at the continuous position, not on the grid), ``a`` =
``plate_warp``, ``f = 2.5``, offsets ``o`` from (seed, e). Nothing here depends on the grid but
the sampling points, so coarse and fine grids agree cell for cell.

**Motion (a gather with sub-cell accumulation).** Plate ``k`` has turned by
``θ_k(t) = ω_k (t − t_e)`` about its pole since the epoch began. Its crust covering cell ``c``
at step ``n`` is the crust that sat at epoch start at the *reference cell*
``r = cell(R_k(−θ_k(t_n)) x_c)``; at step ``n − 1`` that crust sat in the cell
``c' = cell(R_k(θ_k(t_{n−1})) x_r)`` (``cell(v)``: the grid cell containing the unit vector
``v``; ``R_k(θ)``: the rotation by ``θ`` about ``e_k``, Rodrigues' formula). ``c'`` is the
*source* of ``c`` for plate ``k``: plate ``k`` covers ``c`` now iff the plate of ``c'`` was
``k``. Because the rotation is accumulated from the epoch start (not added up per step), a
plate moving a twentieth of a cell per step moves one cell every twentieth step, each cell at
its own moment, in the plate's true direction, near its pole and near the poles of the sphere
alike: a pole of the sphere is an ordinary point (the cell lookup ``cell(v)`` works everywhere).

Candidates: a cell whose 8 neighbours all carry its own plate (and that is not within
``arccos 0.15 ≈ 81°`` of latitude, where a step can cross several columns) tests only its own
plate; any other cell tests every plate of the table. Then:

* **one plate covers** ``c``: ``c`` takes that crust (this step's values at ``c'``, after the
  surface rules) — an ordinary move, or the edge of a plate sliding past (transform);
* **no plate covers** ``c`` (**divergent**): a rift. Fresh oceanic crust accretes to the plate
  that was there: crust 0, uplift 0, elevation ``ridge_level``, a new basin colour;
* **several plates cover** ``c`` (**convergent**): the crust with the largest crust thickness
  ``C`` stays on top (continents are buoyant and are not subducted); between two oceanic crusts
  (``C < 0.5``) the plate of lower density rank ``ρ`` stays on top. The others are subducted:
  their oceanic crust disappears, their continental crust (``C ≥ 0.5``) is accreted to the
  overriding crust (``C ← min(C_top + Σ C_continental, crust_max)``: collision and suturing
  thicken continents). The overriding cell gets uplift ``y = 1`` (mountain belts and arcs).

Elsewhere uplift decays by ``uplift_decay`` per step while tectonics are active. The
``source`` map (flat index of ``c'``, ``c`` itself where nothing moved or crust is new) is what
the life fields ride on.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from planet.core.noise import STREAM_BASIN, unit24
from planet.processes.lithosphere.territory import _assign, assign, trig_tables  # noqa: F401 (re-exported)
from planet.processes.lithosphere.euler import (_HALF_PI, _TWO_PI, SLOTS, STREAM_TABLE, WARP_FREQUENCY, PlateTable, _u,  # noqa: F401,E501
                                                _unit_vector, epoch_of, epoch_start_step, f32, rotation_matrix)

POLAR_COS = 0.15          # rows with cos(lat) below this test every plate (a step may cross columns)

MODE_STILL, MODE_CLEAR, MODE_ASSIGN, MODE_MOVE = 0, 1, 2, 3


# ---------------------------------------------------------------------------
# geometry helpers (kernels)


@njit(cache=True, nogil=True, inline="always")
def _cell_of(vx, vy, vz, H, W):
    """Row and column of the cell containing the unit vector ``v`` (any direction, poles included)."""
    y = min(max(vy, -1.0), 1.0)
    j = int((_HALF_PI - math.asin(y)) * (H / math.pi))
    if j >= H:
        j = H - 1
    elif j < 0:
        j = 0
    lon = math.atan2(vx, vz)
    if lon < 0.0:
        lon += _TWO_PI
    i = int(lon * (W / _TWO_PI))
    if i >= W:
        i -= W
    return j, i


@njit(cache=True, nogil=True, inline="always")
def _rotate_cell(m, j, i, coslat, sinlat, coslon, sinlon, H, W):
    """Flat index of the cell containing ``m x_c`` (``x_c`` the centre of cell (j, i))."""
    x = sinlon[i] * coslat[j]
    y = sinlat[j]
    z = coslon[i] * coslat[j]
    jr, ir = _cell_of(m[0, 0] * x + m[0, 1] * y + m[0, 2] * z, m[1, 0] * x + m[1, 1] * y + m[1, 2] * z,
                      m[2, 0] * x + m[2, 1] * y + m[2, 2] * z, H, W)
    return jr * W + ir


@njit(cache=True, nogil=True, inline="always")
def _match(qk, s, j, i, q0f, refp, H, W):
    """A cell of the 3 × 3 block around (j, i) that held plate ``qk``'s crust of reference cell
    ``s`` on the previous step (the centre first), or -1."""
    c = j * W + i
    if q0f[c] == qk and refp[c] == s:
        return c
    for dj in (-1, 0, 1):
        for di in (-1, 0, 1):
            if dj == 0 and di == 0:
                continue
            jj = j + dj
            ii = i + di
            if jj < 0:
                jj = 0
                ii += W // 2
            elif jj >= H:
                jj = H - 1
                ii += W // 2
            ii = ii % W
            n = jj * W + ii
            if q0f[n] == qk and refp[n] == s:
                return n
    return -1


@njit(cache=True, nogil=True, inline="always")
def _arrival(k, j, i, ids, minv, mprev, q0f, refp, coslat, sinlat, coslon, sinlon, H, W):
    """``(source, reference)`` of plate ``k``'s crust over cell (j, i) now: ``reference`` the cell it
    occupied at epoch start, ``source`` the cell that held it on the previous step (-1 if plate
    ``k`` does not cover (j, i)), and whether ``source`` holds exactly that crust (else it is the
    plate's nearest cell standing in for crust the rasterisation dropped: it may keep a cell on
    its own plate, but it never counts as a collision)."""
    qk = ids[k]
    s = _rotate_cell(minv[k], j, i, coslat, sinlat, coslon, sinlon, H, W)
    m = _match(qk, s, j, i, q0f, refp, H, W)
    exact = True
    if m >= 0 and m != j * W + i:
        jm = m // W
        if _rotate_cell(minv[k], jm, m - jm * W, coslat, sinlat, coslon, sinlon, H, W) == s:
            exact = False    # that crust stays where it is: this cell would only duplicate it
    if m < 0:
        js = s // W
        g = _rotate_cell(mprev[k], js, s - js * W, coslat, sinlat, coslon, sinlon, H, W)
        jg = g // W
        m = _match(qk, s, jg, g - jg * W, q0f, refp, H, W)
        if m < 0 and q0f[g] == qk:
            m = g        # that crust was not on the grid last step: the nearest of the plate stands in
            exact = False
    return m, s, exact


@njit(cache=True, nogil=True, parallel=True)
def _references(q0, ids, minv, coslat, sinlat, coslon, sinlon, out):
    """``out[c]`` = the reference cell (epoch-start position) of the crust on cell ``c`` under the
    rotations ``minv`` (-1 where there is no plate)."""
    H, W = q0.shape
    for j in prange(H):
        for i in range(W):
            k = _index_of(q0[j, i], ids)
            out[j * W + i] = -1 if k < 0 else _rotate_cell(minv[k], j, i, coslat, sinlat, coslon, sinlon, H, W)


@njit(cache=True, nogil=True, inline="always")
def _index_of(q, ids):
    for k in range(ids.size):
        if ids[k] == q:
            return k
    return -1


# ---------------------------------------------------------------------------
# one step of plate motion


@njit(cache=True, nogil=True, parallel=True)
def _plates(mode, q0, q0f, assigned, y1, z1, a1, b1, c1, ids, density, minv, mprev, coslat, sinlat, coslon, sinlon,
            refp, seed, step, ridge, crust_max, decay, tectonic, q, y, z, a, b, c, source, ref_out):
    """Plate rule for every cell; reads this step's chained values ``y1 … c1`` (flat, after the
    surface rules; ``q0f`` is ``q0`` flat) and writes ``q, y, z, a, b, c`` and ``source``.

    ``mode``: ``MODE_STILL`` (nothing moves), ``MODE_CLEAR`` (re-plating: ids -1),
    ``MODE_ASSIGN`` (cells without a plate take ``assigned``), ``MODE_MOVE`` (rigid rotations).
    ``refp``: each cell's reference cell on the previous step (``_references``); ``ref_out``
    receives this step's (-1 where undefined).
    """
    H, W = q0.shape
    zero = f32(0.0)
    one = f32(1.0)
    n = ids.size
    for j in prange(H):
        polar = coslat[j] < POLAR_COS
        for i in range(W):
            cidx = j * W + i
            qc = q0[j, i]
            src = cidx
            collided = False
            fresh = False
            ref = cidx if mode == MODE_ASSIGN else -1
            best_ref = -1
            crust_add = zero
            if mode == MODE_CLEAR:
                qc = f32(-1.0)
            elif mode == MODE_ASSIGN:
                if qc < zero:
                    qc = assigned[j, i]
            elif mode == MODE_MOVE and qc >= zero:
                interior = not polar
                if interior:
                    jn = j - 1 if j > 0 else 0
                    js = j + 1 if j < H - 1 else H - 1
                    iw = i - 1 if i > 0 else W - 1
                    ie = i + 1 if i < W - 1 else 0
                    interior = (q0[jn, iw] == qc and q0[jn, i] == qc and q0[jn, ie] == qc and q0[j, iw] == qc
                                and q0[j, ie] == qc and q0[js, iw] == qc and q0[js, i] == qc and q0[js, ie] == qc)
                arrivals = 0
                best = -1
                best_c = f32(-1.0)
                best_rho = 2.0
                stand = -1
                own = _index_of(qc, ids)
                if interior:
                    if own >= 0:
                        m, sr, exact = _arrival(own, j, i, ids, minv, mprev, q0f, refp, coslat, sinlat, coslon,
                                                sinlon, H, W)
                        ref = sr
                        if m >= 0:
                            arrivals = 1
                            best = m
                else:
                    cont = zero
                    for k in range(n):
                        m, sr, exact = _arrival(k, j, i, ids, minv, mprev, q0f, refp, coslat, sinlat, coslon,
                                                sinlon, H, W)
                        if k == own:
                            ref = sr
                            if m >= 0 and not exact:
                                stand = m
                        if m < 0 or not exact:
                            continue
                        arrivals += 1
                        cs = c1[m]
                        if cs >= f32(0.5):
                            cont += cs
                        rho = density[k]
                        # the buoyant crust stays on top; between oceanic crusts the lighter plate
                        if (best < 0 or (cs >= f32(0.5) and cs > best_c)
                                or (cs < f32(0.5) and best_c < f32(0.5) and rho < best_rho)):
                            best = m
                            best_c = cs
                            best_rho = rho
                            best_ref = sr
                    if arrivals > 1:
                        collided = True
                        if best_c >= f32(0.5):
                            crust_add = cont - best_c     # continental crust of the subducted plates
                    if arrivals > 0:
                        ref = best_ref
                    elif stand >= 0:
                        arrivals = 1                       # only the own plate, through a stand-in
                        best = stand
                if arrivals == 0:
                    fresh = True                           # a rift: new ocean floor on the old plate
                else:
                    src = best
                    qc = q0f[src]
            if fresh:
                yc = zero
                zc = ridge
                ac = zero
                bc = unit24(seed, STREAM_BASIN, step, cidx)
                cc = zero
            else:
                yc = y1[src]
                zc = z1[src]
                ac = a1[src]
                bc = b1[src]
                cc = min(c1[src] + crust_add, crust_max)
            if collided:
                yc = one
            elif tectonic:
                yc -= decay * yc
            q[j, i] = qc
            y[j, i] = min(max(yc, zero), one)
            z[j, i] = max(zc, zero)
            a[j, i] = ac
            b[j, i] = bc
            c[j, i] = max(cc, zero)
            source[j, i] = src
            ref_out[cidx] = ref


def step_plates(mode, q0, assigned, chained, table, minv, mprev, *, seed, step, ridge, crust_max, decay,
                tectonic):
    """The plate rule on whole maps. ``chained``: ``uplift, elevation, drainage_area, basin, crust``
    after the surface rules. Returns ``(fields, source)`` (fields: the five and ``plate``)."""
    H, W = q0.shape
    names = ("uplift", "elevation", "drainage_area", "basin", "crust")
    ins = [np.ascontiguousarray(chained[n], dtype=np.float32) for n in names]
    outs = {n: np.empty((H, W), np.float32) for n in names + ("plate",)}
    source = np.empty((H, W), np.int64)
    if assigned is None:
        assigned = np.full((H, W), -1.0, np.float32)
    if table is None:
        ids, density = np.zeros(0, np.float32), np.zeros(0)
        minv = mprev = np.zeros((0, 3, 3))
    else:
        ids, density = table.ids, table.density
    q0 = np.ascontiguousarray(q0, dtype=np.float32)
    _plates(int(mode), q0, q0.ravel(), assigned, *(x.ravel() for x in ins), ids, density,
            np.ascontiguousarray(minv), np.ascontiguousarray(mprev), *trig_tables(H, W), np.int64(seed),
            np.int64(step), f32(ridge), f32(crust_max), f32(decay), bool(tectonic), outs["plate"],
            *(outs[n] for n in names), source)
    return outs, source
