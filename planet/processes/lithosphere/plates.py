"""Rigid plates on the sphere: seeding, Euler rotations, subduction and rifts.

This replaces the reference's plates (spec §4 rule 5: ids that grow by aggregation and move by
whole cells along the grid axes) by rigid rotations on the sphere, stated without reference to
the grid, so that a seed makes the same plates at any resolution.

**Plate table** (``euler``). Plates live for one *epoch*: epoch ``e`` starts at step
``s_e = max(e · period + replate_steps, ocean_start step)`` (the re-plating of spec §4: all plate
ids are -1 during the first ``replate_steps`` steps of each ``period``). Epoch ``e`` of a seed
has ``n`` plates, ``n`` uniform in ``[plates_min, plates_max]``; plate ``k`` has, as pure
functions of (seed, e, k), a seed point and a size weight, an Euler pole ``e_k`` and an angular
speed ``ω_k`` (degrees per film second; the surface speed at angular distance ``δ`` from the
pole is ``ω_k sin δ``), a density rank ``ρ_k`` and an id ``q_k``.

**Seeding (resolution-free, ``territory``).** At the epoch's first step each cell centre takes
the plate of a weighted spherical Voronoi partition of its noise-warped position (noise
evaluated at the continuous position), so coarse and fine grids sample the same plates.

**The epoch-start frame.** At that step the plates' shapes and crust are copied into two state
fields, ``frame_plate`` and ``frame_crust``: the plates as rigid bodies, in the frame in which
they formed. Plate ``k`` has turned by ``θ_k(t) = ω_k (t − t_e)`` about its pole since then; the
point of its frame under cell ``c`` is ``R_k(−θ_k) x_c`` (Rodrigues' formula) and its *reference*
``r_k(c)`` is the frame cell containing it. Plate ``k`` **covers** ``c`` exactly when
``frame_plate[r_k(c)] = k``: coverage is the rigid shape rotated, so no plate moves in grid-axis
jumps, slow plates and cells near their pole move as they should, nothing is lost or gained by
the rasterisation however long the epoch, and a pole of the sphere is an ordinary point. What
the covering plate brings (crust, elevation, uplift, flow, basin colour) is carried by markers
at continuous positions (``drift``); where none of the plate's markers is within reach, the
crust thickness is ``frame_crust[r_k(c)]`` and the other fields come from the cell that held
``r_k(c)`` on the previous step (a table ``inv[k, r]`` built each step), or, where the previous
step's grid did not sample that reference, its nearest sampled neighbour. Each step the crust
the cells hold (after the surface rules: spreading, thickening) is written back to their
references, so the frame stays current: convergence reads it.

* **one plate covers** ``c``: ``c`` takes its crust — an ordinary move, or the edge of a plate
  sliding past (transform);
* **no plate covers** ``c`` (**divergent**): a rift, fresh ocean floor on the plate that was
  there: crust 0, uplift 0, elevation ``ridge_level``, a new basin colour (it joins the frame at
  the next epoch);
* **several plates cover** ``c`` (**convergent**): continental crust (``C >= 1/2``) stays on top
  of oceanic, and between two continental or two oceanic crusts the plate of lower density rank
  (a stable order: no flip-flop). The others are **subducted**: their references are removed from
  ``frame_plate``, so that crust is gone for good. Uplift and the piling up of consumed
  continental crust are the boundary physics of ``boundaries``.

The ``source`` map (flat index of the cell whose content each cell took, itself for fresh crust)
is what the life fields ride on.
"""
from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

from planet.core.grid import neighbour
from planet.core.noise import STREAM_BASIN, unit24
from planet.processes.lithosphere import polar
from planet.processes.lithosphere.arrivals import LISTED, fill, landing, simple
from planet.processes.lithosphere.cells import cell_of, cell_tables
from planet.processes.lithosphere.drift import LIMIT, carry, positions
from planet.processes.lithosphere.euler import (  # noqa: F401
    _HALF_PI,
    _TWO_PI,
    SLOTS,
    _index_of,
    STREAM_TABLE,
    WARP_FREQUENCY,
    PlateTable,
    _u,
    _unit_vector,
    epoch_of,
    epoch_start_step,
    f32,
    rotation_matrix,
)
from planet.processes.lithosphere.territory import _assign, assign, trig_tables  # noqa: F401 (re-exported)
from planet.processes.lithosphere.window import runs, search, uniform, wide, widths


MODE_STILL, MODE_CLEAR, MODE_ASSIGN, MODE_MOVE = 0, 1, 2, 3
CONTINENTAL = 0.5         # crust at least this thick is continental (buoyant, never subducted)


# ---------------------------------------------------------------------------
# geometry helpers (kernels)


@njit(cache=True, nogil=True, inline="always")
def _rotate_cell(m, k, j, i, coslat, sinlat, coslon, sinlon, cells, W):
    """Flat index of the cell containing ``m[k] x_c`` (``x_c`` the centre of cell (j, i); ``m[k]``
    indexed element by element, not sliced: a slice per cell is an array to reference-count;
    ``cells``: ``cells.cell_tables``)."""
    x = sinlon[i] * coslat[j]
    y = sinlat[j]
    z = coslon[i] * coslat[j]
    jr, ir = cell_of(m[k, 0, 0] * x + m[k, 0, 1] * y + m[k, 0, 2] * z,
                     m[k, 1, 0] * x + m[k, 1, 1] * y + m[k, 1, 2] * z,
                     m[k, 2, 0] * x + m[k, 2, 1] * y + m[k, 2, 2] * z, cells[0], cells[1], cells[2], cells[3])
    return jr * W + ir


@njit(cache=True, nogil=True, parallel=True)
def _references(q0, ids, minv, coslat, sinlat, coslon, sinlon, cells, out):
    """``out[c]`` = the epoch-start cell of the crust on cell ``c`` under its plate's rotation
    ``minv`` (-1 where there is no plate): a pure function of the plates and the time."""
    H, W = q0.shape
    for j in prange(H):
        for i in range(W):
            k = _index_of(q0[j, i], ids)
            out[j * W + i] = -1 if k < 0 else _rotate_cell(minv, k, j, i, coslat, sinlat, coslon, sinlon, cells, W)


@njit(cache=True, nogil=True, parallel=True)
def _write_back_inverse(q0f, refp, ids, fplate, crust, fcrust, inv, parts):
    """Two things in one pass over the cells, both from the references ``refp``:

    * the crust each cell holds (after this step's surface rules) goes back to its epoch-start
      cell in ``fcrust``, where its plate still owns that cell (where several cells hold one
      epoch-start cell, as the grid samples a rotated grid, the last in cell order writes);
    * ``inv[k, r]``: a cell that held plate ``k``'s crust of reference cell ``r`` on the previous
      step (the first in cell order), -1 if none.

    The epoch-start cells ``r`` are cut into ``parts`` ranges (the stage passes its thread count),
    each of which walks every cell in order, taking those whose reference lies in its range: every
    ``r`` is written by one part, in cell order, so neither result depends on ``parts`` (the writes
    are scattered across the map, the reads in order: at 1024 columns 4.3–4.5 → 3.2 ms a move on
    two threads, at 2048 21.5 → 13.0–13.6)."""
    n = q0f.size
    for p in prange(parts):
        lo = n * p // parts
        hi = n * (p + 1) // parts
        for k in range(ids.size):
            inv[k, lo:hi] = -1
        for c in range(n):
            r = refp[c]
            if r < lo or r >= hi:
                continue
            k = _index_of(q0f[c], ids)
            if k >= 0:
                if fplate[r] == ids[k]:
                    fcrust[r] = crust[c]
                if inv[k, r] < 0:
                    inv[k, r] = c


@njit(cache=True, nogil=True, inline="always")
def _arrival(k, j, i, minv, inv, fplate, ids, coslat, sinlat, coslon, sinlon, cells, H, W):
    """``(source, reference)`` of plate ``k``'s crust over cell (j, i) now, ``source`` -1 if plate
    ``k`` does not cover it.

    ``reference`` is the epoch-start cell of the point that plate ``k``'s rotation since epoch
    start brings to the cell centre. Plate ``k`` covers the cell exactly when it owned that cell
    at epoch start and its crust there has not been subducted (``fplate``): coverage is the
    plate's rigid shape, rotated, with nothing lost or gained by the rasterisation. The crust's
    other fields come from the cell that held ``reference`` on the previous step (``inv``); where
    the previous step's grid did not sample it (a rotated grid drops some cells), from the
    nearest epoch-start neighbour it did sample, else from the cell itself."""
    r = _rotate_cell(minv, k, j, i, coslat, sinlat, coslon, sinlon, cells, W)
    if fplate[r] != ids[k]:
        return -1, r
    src = inv[k, r]
    if src >= 0:
        return src, r
    jr = r // W
    ir = r - jr * W
    for dj in (0, -1, 1):
        for di in (0, -1, 1):
            jj, ii = neighbour(jr, ir, dj, di, H, W)
            h = inv[k, jj * W + ii]
            if h >= 0:
                return h, r
    return j * W + i, r


@njit(cache=True, nogil=True, inline="always")
def _interior(q0, qc, j, i):
    """Whether all eight neighbours of cell (j, i) carry plate ``qc`` (then no other plate can
    reach it this step: plates move far less than a cell per step)."""
    H, W = q0.shape
    jn = j - 1 if j > 0 else 0
    js = j + 1 if j < H - 1 else H - 1
    iw = i - 1 if i > 0 else W - 1
    ie = i + 1 if i < W - 1 else 0
    return (q0[jn, iw] == qc and q0[jn, i] == qc and q0[jn, ie] == qc and q0[j, iw] == qc
            and q0[j, ie] == qc and q0[js, iw] == qc and q0[js, i] == qc and q0[js, ie] == qc)


@njit(cache=True, nogil=True, inline="always")
def _move(qc, j, i, interior, q0, q0f, ids, density, minv, inv, fplate, fcrust, fplate_out, coslat, sinlat, coslon,
          sinlon, cells):
    """The plate rule of ``MODE_MOVE`` for cell (j, i) of plate ``qc``: ``(q, source, fresh,
    reference, next reference, index of q in ids)`` (module docstring: one plate covers it, none
    (a rift: ``fresh``), or several (the others' crust is subducted: removed from
    ``fplate_out``)); ``interior``: no other plate can reach the cell (``window``), only its own
    is tested."""
    H, W = q0.shape
    cidx = j * W + i
    n = ids.size
    arrivals = 0
    best = -1
    best_c = f32(-1.0)
    best_rho = 2.0
    best_k = -1
    best_ref = -1
    own = _index_of(qc, ids)
    own_ref = -1
    for k in range(n):
        if interior and k != own:
            continue
        m, sr = _arrival(k, j, i, minv, inv, fplate, ids, coslat, sinlat, coslon, sinlon, cells, H, W)
        if k == own:
            own_ref = sr
        if m < 0:
            continue
        arrivals += 1
        cs = fcrust[sr]
        rho = density[k]
        # the buoyant (continental) crust stays on top; between two continental or two oceanic
        # crusts, the plate of lower density rank (stable: no flip-flop)
        cont_new = cs >= f32(0.5)
        cont_best = best_c >= f32(0.5)
        if best < 0 or (cont_new and not cont_best) or (cont_new == cont_best and rho < best_rho):
            best = m
            best_c = cs
            best_rho = rho
            best_ref = sr
            best_k = k
    if arrivals > 1:
        # the others are subducted: their crust is gone from their plates' shapes
        for k in range(n):
            m, sr = _arrival(k, j, i, minv, inv, fplate, ids, coslat, sinlat, coslon, sinlon, cells, H, W)
            if m >= 0 and sr != best_ref:
                fplate_out[sr] = f32(-1.0)
    if arrivals == 0:
        return qc, cidx, True, -1, own_ref, own            # a rift: new ocean floor on the old plate
    q_new = q0f[best]
    kq = own if q_new == qc else _index_of(q_new, ids)
    ref_c = -1
    if kq == best_k:
        ref_c = best_ref
    elif kq >= 0:
        ref_c = _rotate_cell(minv, kq, j, i, coslat, sinlat, coslon, sinlon, cells, W)
    return q_new, best, False, best_ref, ref_c, kq


# ---------------------------------------------------------------------------
# one step of plate motion


@njit(cache=True, nogil=True, parallel=True)
def _plates(mode, q0, q0f, assigned, y1, z1, a1, b1, c1, ids, density, minv, inv, fplate, fcrust, coslat, sinlat,
            coslon, sinlon, cells, seed, step, ridge, crust_max, decay, tectonic, q, y, z, a, b, c, source, fplate_out,
            ref_out, u0, v0, marks, spread, index, poles, omega, wrow, h, reach_rows, rows, west, east, u_out, v_out,
            land, lists):
    """Plate rule for every cell; reads this step's chained values ``y1 … c1`` (flat, after the
    surface rules; ``q0f`` is ``q0`` flat) and writes ``q, y, z, a, b, c`` and ``source``.

    ``mode``: ``MODE_STILL`` (nothing moves), ``MODE_CLEAR`` (re-plating: ids -1),
    ``MODE_ASSIGN`` (cells without a plate take ``assigned``), ``MODE_MOVE`` (rigid rotations).
    ``inv``: the previous step's holders of each plate's epoch-start cells (``_write_back_inverse``);
    ``fplate``/``fcrust``: the plates' shapes and crust in the epoch-start frame; ``fplate_out``
    (a copy of ``fplate``) loses the cells whose crust is subducted this step. ``ref_out`` (flat)
    gets, in ``MODE_MOVE``, what ``_references`` will compute from ``q`` at the next step (the
    epoch-start cell of each cell's crust under its plate's rotation now; -1 elsewhere), so the
    stage need not rotate every cell twice. ``u0``, ``v0`` (flat) and ``u_out``, ``v_out``: the
    markers' offsets before and after (``drift``; ``marks`` their positions and ``spread`` each
    row's largest offsets, ``drift.positions``, and ``index`` the polar markers' buckets,
    ``polar.build``, read in ``MODE_MOVE`` only; ``poles``, ``omega`` radians per step, ``wrow``,
    ``h`` the cells' widths and height, ``reach_rows`` and ``rows`` the markers' search reach: columns per row and
    rows, ``window.reach`` and ``window.rows_reach``; ``west``, ``east``: ``window.runs`` of ``q0``,
    read in ``MODE_MOVE`` only; ``land``: ``arrivals.landing``, rule 2's lists where ``lists``)."""
    H, W = q0.shape
    zero = f32(0.0)
    one = f32(1.0)
    for j in prange(H):
        # a cell that no other plate can reach keeps its own plate (``window``): where a move carries
        # crust at most a cell, when its eight neighbours hold it (``_interior``); where it may carry
        # it further (narrow cells near the poles, long moves), when the move's whole window does
        window = wide(reach_rows, rows, j)
        slots, count = np.empty((W, LISTED), np.int32), np.full(W, -1, np.int64)   # rule 2's lists (``arrivals``)
        if lists and mode == MODE_MOVE and simple(j, H, W, rows, reach_rows[j], coslat):
            fill(j, rows, reach_rows[j], land, W, slots, count)
        for i in range(W):
            cidx = j * W + i
            qc = q0[j, i]
            src = cidx
            fresh = False
            best_ref = -1
            ref_c = -1
            marked = False
            uc = u0[cidx]
            vc = v0[cidx]
            if mode == MODE_CLEAR:
                qc = f32(-1.0)
            elif mode == MODE_ASSIGN:
                if qc < zero:
                    qc = assigned[j, i]
            elif mode == MODE_MOVE and qc >= zero:
                if window:
                    interior = uniform(q0, west, east, qc, j, i, reach_rows[j] - 1, rows)
                else:
                    interior = _interior(q0, qc, j, i)
                qc, src, fresh, best_ref, ref_c, kq = _move(qc, j, i, interior, q0, q0f, ids, density, minv, inv,
                                                            fplate, fcrust, fplate_out, coslat, sinlat, coslon,
                                                            sinlon, cells)
                uc = 0.0
                vc = 0.0
                if not fresh and kq >= 0:
                    # what the covering plate brings: its marker nearest the cell (``drift``)
                    m, um, vm = carry(kq, qc, j, i, q0, q0f, u0, v0, marks, spread, index, poles, omega, coslat, sinlat,
                                      coslon, sinlon, wrow, h, reach_rows, rows, slots, count)
                    if m >= 0:
                        src = m
                        uc = um
                        vc = vm
                        marked = True
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
                cc = fcrust[best_ref] if best_ref >= 0 and not marked else c1[src]
            if tectonic and mode != MODE_MOVE:
                yc -= decay * yc          # (while plates move, ``_uplift`` decays and lifts)
            q[j, i] = qc
            y[j, i] = min(max(yc, zero), one)
            z[j, i] = max(zc, zero)
            a[j, i] = ac
            b[j, i] = bc
            c[j, i] = max(cc, zero)
            source[j, i] = src
            ref_out[cidx] = ref_c
            u_out[j, i] = min(max(uc, -LIMIT), LIMIT)
            v_out[j, i] = min(max(vc, -LIMIT), LIMIT)


def step_plates(q0, chained, frame_plate, frame_crust, table, time, *, seed, step, dt=1.0 / 60, ridge=1.0,
                crust_max=3.0, decay=0.01, drift=None):
    """One step of rigid motion on whole maps (for tests and notebooks; the stage calls the kernels).

    ``q0``: plate ids; ``chained``: ``uplift, elevation, drainage_area, basin, crust`` maps after the
    surface rules; ``frame_plate``/``frame_crust``: the plates' shapes and crust in the epoch-start
    frame; ``table``: the plates; ``time``: film seconds since the epoch began (``dt`` per step).
    ``drift``: the markers' offsets ``(east, north)`` before the step (default 0).
    Returns ``(fields, source, frame_plate, frame_crust)``; ``fields`` has the five, ``plate``
    (uplift only carried: ``_uplift`` lifts it) and the markers' ``drift_east``, ``drift_north``."""
    q0 = np.ascontiguousarray(q0, dtype=np.float32)
    H, W = q0.shape
    n = H * W
    names = ("uplift", "elevation", "drainage_area", "basin", "crust")
    ins = [np.ascontiguousarray(chained[k], dtype=np.float32).ravel() for k in names]
    outs = {k: np.empty((H, W), np.float32) for k in names + ("plate", "drift_east", "drift_north")}
    if drift is None:
        drift = (np.zeros((H, W), np.float32), np.zeros((H, W), np.float32))
    u0, v0 = (np.ascontiguousarray(d, dtype=np.float32).ravel() for d in drift)
    omega = np.asarray(table.omega, np.float64) * dt
    width = widths(H, W)
    trig = trig_tables(H, W)
    cells = cell_tables(H, W)
    fplate = np.ascontiguousarray(frame_plate, dtype=np.float32)
    fcrust = np.ascontiguousarray(frame_crust, dtype=np.float32).copy()
    refp = np.empty(n, np.int32)
    _references(q0, table.ids, np.ascontiguousarray(table.rotations(-(time - dt))), *trig, cells, refp)
    inv = np.empty((SLOTS, n), np.int32)
    _write_back_inverse(q0.ravel(), refp, table.ids, fplate.ravel(), ins[4], fcrust.ravel(), inv, get_num_threads())
    source = np.empty((H, W), np.int64)
    fplate_out = fplate.copy()
    marks = np.empty((3, n))
    spread = np.empty((H, 2))
    positions(q0, u0, v0, *trig, width, np.pi / H, marks, spread)
    reach_rows, rows = search(width, W, omega)
    index = polar.build(q0, marks, rows)
    west = np.empty((H, W), np.int32)
    east = np.empty((H, W), np.int32)
    runs(q0, reach_rows, rows, west, east)
    land = np.empty((2, n), np.float32)
    landing(q0, u0, v0, marks, table.ids, np.asarray(table.poles, np.float64), omega, *trig, width, np.pi / H, rows,
            land)
    _plates(MODE_MOVE, q0, q0.ravel(), q0, *ins, table.ids, np.asarray(table.density, np.float64),
            np.ascontiguousarray(table.rotations(-time)), inv, fplate.ravel(), fcrust.ravel(), *trig, cells,
            np.int64(seed), np.int64(step), f32(ridge), f32(crust_max), f32(decay), True, outs["plate"],
            *(outs[k] for k in names), source, fplate_out.ravel(), np.empty(n, np.int32), u0, v0, marks, spread, index,
            np.asarray(table.poles, np.float64), omega, width, np.pi / H,
            reach_rows, rows, west, east, outs["drift_east"], outs["drift_north"], land, True)
    return outs, source, fplate_out, fcrust