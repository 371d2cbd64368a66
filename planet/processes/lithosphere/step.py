"""The lithosphere step (spec §4): uplift, erosion, rivers and plates, chained as one stage.

State per cell: plate id ``q`` (-1 none, else in [0, 1)), uplift ``y`` in [0, 1],
elevation ``z >= 0``, drainage area ``A`` (upstream routed cells) and basin
colour ``b`` in [0, 1).

**Reading rule.** Within a step a cell's *own* values chain from rule to rule;
*neighbour* values, the routing and the receivers come from the *previous*
step. Every pass below therefore reads the previous fields for neighbours.

Before ocean start the state stays the protoplanet. From then on, with
``D`` = ocean depth now, ``s0 = smoothstep(15, 25, t)``, "tectonic" = before
tectonics end (or after story end):

1. uplift diffusion within a plate (tectonic): ``y += 0.1 Σ_{same id} (y_n − y)``, ``y >= 0``;
2. tectonic uplift: ``z += clamp(2y − 1, 0, cap)``, ``cap = 1`` if ``z − D <= 1`` else ``1/(z − D)``;
3. for cells with ``z >= D − 0.05``:
   thermal erosion ``z ← max(0, z + 0.02 Σ_{|z_n − z| > 1} (z_n − z))``;
   D8 routing on the previous elevation and exact flow accumulation
   (``planet.processes.lithosphere.drainage``); pits gain 0.001; elsewhere stream-power erosion
   ``S = (z − z_r)/dist``, ``e = min(A^0.8 S², z)``, ``z ← max(z − 0.05 e s0, z_r)``;
   land cells take the basin colour of their receiver (exact, one pass);
   cells below ``D − 0.05`` get ``A = 0`` and keep their colour;
4. sediment: tectonic ``z += 2.5e-4 clamp(z + 2.5, 0, 10) s0``; after, land gains 2.5e-4;
5. plates (``planet.processes.lithosphere.plates``): re-plating, seeding/aggregation, motion, collisions, rifts, decay;
6. clamps ``y`` to [0, 1], ``z >= 0``.

A cell that was not routed on the previous step (``z < D − 0.05`` then) but is
land or shore after rule 2 has no receiver this step and is treated as a pit.
The stage writes ``ctx.scratch["source"]``, the flat index of the cell whose
content each cell holds after plate motion.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.processes.lithosphere import drainage
from planet.processes.lithosphere import plates
from planet.core.grid import neighbour
from planet.processes.lithosphere.protoplanet import protoplanet

f32 = np.float32
FIELDS = ("plate", "uplift", "elevation", "drainage_area", "basin")
_INV_DIST = np.array([1.0, 1.0 / np.sqrt(2.0)] * 4, dtype=np.float32)


@njit(cache=True, nogil=True, inline="always")
def _surface_cell(j, i, jn, in_, je, ie, js, is_, jw, iw, q0, y0, z0, zf, b0, rcv, rdir, area, tectonic, k,
                  area_pow, y_out, z_out, a_out, b_out, land):
    """Rules 1–4 at cell (j, i); its N, E, S, W neighbours are (jn, in_), (je, ie), (js, is_), (jw, iw).
    ``k``: the constants (D, level, s0, k_diff, k_thermal, talus, pit_fill, k_stream, m, n, k_sed).

    2-D indexing with non-negative row/column indices lets LLVM drop Numba's negative-index
    wraparound checks (a flat ``c - W`` index keeps them and runs ~10x slower)."""
    D, level, s0, k_diff, k_thermal, talus, pit_fill, k_stream, m_exp, n_exp, k_sed = k
    zero = f32(0.0)
    one = f32(1.0)
    # 1. uplift diffusion among the 4 neighbours of the same plate (previous values)
    yc = y0[j, i]
    if tectonic:
        qc = q0[j, i]
        s = ((y0[jn, in_] - yc) * f32(q0[jn, in_] == qc) + (y0[je, ie] - yc) * f32(q0[je, ie] == qc)
             + (y0[js, is_] - yc) * f32(q0[js, is_] == qc) + (y0[jw, iw] - yc) * f32(q0[jw, iw] == qc))
        yc = max(yc + k_diff * s, zero)
    # 2. tectonic uplift with its cap
    zc = z0[j, i]
    above = zc - D
    cap = one if above <= one else one / above
    zc += min(max(f32(2.0) * yc - one, zero), cap)
    ac = zero
    is_land = False
    if zc >= level:
        # 3a. thermal erosion against the previous neighbours
        s = zero
        d = z0[jn, in_] - zc
        if abs(d) > talus:
            s += d
        d = z0[je, ie] - zc
        if abs(d) > talus:
            s += d
        d = z0[js, is_] - zc
        if abs(d) > talus:
            s += d
        d = z0[jw, iw] - zc
        if abs(d) > talus:
            s += d
        zc = max(zero, zc + k_thermal * s)
        # 3b. pits fill, the rest erodes by stream power, never below the receiver
        na = area[j, i]
        ac = f32(na)
        r = rcv[j, i]
        if r < 0:
            zc += pit_fill
        else:
            zr = zf[r]
            slope = abs(zc - zr) * _INV_DIST[rdir[j, i]]
            am = area_pow[na] if na < area_pow.size else ac ** m_exp
            sn = slope * slope if n_exp == f32(2.0) else slope ** n_exp
            e = min(am * sn, zc)
            zc = max(zc - k_stream * e * s0, zr)
        is_land = zc >= D
    # 4. sediment
    if tectonic:
        zc += k_sed * min(max(zc + f32(2.5), zero), f32(10.0)) * s0
    elif zc >= level:
        zc += k_sed
    y_out[j, i] = yc
    z_out[j, i] = zc
    a_out[j, i] = ac
    b_out[j, i] = b0[j, i]
    land[j, i] = is_land


@njit(cache=True, nogil=True, parallel=True)
def _surface(q0, y0, z0, b0, rcv, rdir, area, D, level, s0, tectonic,
             k_diff, k_thermal, talus, pit_fill, k_stream, m_exp, n_exp, k_sed,
             area_pow, y_out, z_out, a_out, b_out, land):
    """Rules 1–4 for every cell (``(H, W)`` arrays; ``rcv``/``area`` from ``planet.processes.lithosphere.drainage``);
    ``b_out`` gets a copy of ``b0`` (the basin pass then recolours land).

    ``area_pow[A] = A^m`` for the drainage areas the table covers (``power_table``); larger
    areas use ``pow``. ``S^n`` is ``S·S`` when ``n = 2``.
    """
    H, W = z0.shape
    zf = z0.ravel()
    k = (D, level, s0, k_diff, k_thermal, talus, pit_fill, k_stream, m_exp, n_exp, k_sed)
    for j in prange(H):
        edge_row = j == 0 or j == H - 1
        step = 1 if edge_row else W - 1   # every cell of a polar row, else columns 0 and W - 1
        for i in range(0, W, step):
            # polar rows and the wrap columns: neighbours through grid.neighbour
            jn, in_ = neighbour(j, i, -1, 0, H, W)
            je, ie = neighbour(j, i, 0, 1, H, W)
            js, is_ = neighbour(j, i, 1, 0, H, W)
            jw, iw = neighbour(j, i, 0, -1, H, W)
            _surface_cell(j, i, jn, in_, je, ie, js, is_, jw, iw, q0, y0, z0, zf, b0, rcv, rdir, area, tectonic, k,
                          area_pow, y_out, z_out, a_out, b_out, land)
        if edge_row:
            continue
        for i in range(1, W - 1):
            _surface_cell(j, i, j - 1, i, j, i + 1, j + 1, i, j, i - 1, q0, y0, z0, zf, b0, rcv, rdir, area,
                          tectonic, k, area_pow, y_out, z_out, a_out, b_out, land)


MAX_TABLE = 1 << 20


def power_table(cells: int, exponent: float) -> np.ndarray:
    """float32 ``A^m`` for ``A = 0 … min(cells, 2^20)`` (drainage areas are whole cell counts)."""
    return np.power(np.arange(min(cells, MAX_TABLE) + 1, dtype=np.float32), np.float32(exponent))


def surface(plate, uplift, elevation, rcv, direction, area, *, sea_level, ocean_fill, tectonic, config):
    """Rules 1–4 on whole maps (for tests and notebooks; the stage calls the kernel directly).

    ``rcv``, ``direction``, ``area``: receivers (loops broken), directions and drainage
    area from ``planet.processes.lithosphere.drainage`` on ``elevation``; ``config``: a ``Lithosphere`` section.
    Returns ``(uplift, elevation, drainage_area, land)`` after rule 4 (``land``: ``z >= D``
    after rule 3, the cells that take their receiver's basin colour).
    """
    q0, y0, z0 = (np.ascontiguousarray(a, dtype=np.float32) for a in (plate, uplift, elevation))
    H, W = z0.shape
    if q0.shape != z0.shape or y0.shape != z0.shape or np.shape(rcv) != z0.shape or np.shape(area) != z0.shape:
        raise ValueError(f"plate, uplift, rcv and area must have the elevation's shape {z0.shape}")
    n = H * W
    y, z, a, b = (np.empty((H, W), np.float32) for _ in range(4))
    land = np.empty((H, W), np.bool_)
    D = f32(sea_level)
    _surface(q0, y0, z0, np.zeros((H, W), np.float32), np.ascontiguousarray(rcv, dtype=np.int32),
             np.ascontiguousarray(direction, dtype=np.int8), np.ascontiguousarray(area, dtype=np.int32),
             D, f32(D - f32(config.shore)), f32(ocean_fill), bool(tectonic),
             f32(config.uplift_diffusion), f32(config.thermal_erosion), f32(config.talus), f32(config.pit_fill),
             f32(config.stream_power), f32(config.area_exponent), f32(config.slope_exponent), f32(config.sediment),
             power_table(n, config.area_exponent), y, z, a, b, land)
    return y, z, a, land


class LithosphereStage:
    """Spec §4 as a stage: reads and writes the five lithosphere fields."""

    name = "lithosphere"
    reads = FIELDS
    writes = FIELDS

    def __init__(self):
        self._scratch = {}

    def initial(self, grid, config, seed, fields):
        return protoplanet(grid, seed)

    def _buffers(self, H, W):
        key = (H, W)
        if key not in self._scratch:
            n = H * W
            self._scratch = {key: dict(
                rcv=np.empty(n, np.int32), rdir=np.empty(n, np.int8), pending=np.empty(n, np.uint8),
                area=np.empty(n, np.int32), order=np.empty(n, np.int32), mv=np.zeros(n, np.int8),
                land=np.empty(n, np.bool_))}
        return self._scratch[key]

    def _power_table(self, cells, exponent):
        key = (cells, exponent)
        if getattr(self, "_table_key", None) != key:
            self._table = power_table(cells, exponent)
            self._table_key = key
        return self._table

    def advance(self, fields, ctx):
        schedule = ctx.config.schedule
        t = ctx.time
        if t < schedule.ocean_start:
            return {name: fields[name] for name in FIELDS}
        cfg = ctx.config.lithosphere
        q0, y0, z0, a0, b0 = (np.ascontiguousarray(fields[n], dtype=np.float32) for n in FIELDS)
        H, W = z0.shape
        buf = self._buffers(H, W)
        D = f32(ctx.timeline.sea_level(t))
        level = f32(D - f32(cfg.shore))
        s0 = f32(ctx.timeline.ocean_fill(t))
        tectonic = bool(ctx.timeline.tectonic(t))

        # rule 3's routing: receivers and exact accumulation on the previous elevation
        rcv, pending, area, order = buf["rcv"], buf["pending"], buf["area"], buf["order"]
        drainage._receivers(z0, level, rcv.reshape(H, W), buf["rdir"].reshape(H, W))
        count = drainage._accumulate(rcv, pending, area, order)

        # rules 1-4 straight into the output arrays, then basin colours along the topological order
        out = {n: np.empty((H, W), np.float32) for n in FIELDS}
        y, z, a, b = (out[n] for n in ("uplift", "elevation", "drainage_area", "basin"))
        land = buf["land"]
        _surface(q0, y0, z0, b0, rcv.reshape(H, W), buf["rdir"].reshape(H, W), area.reshape(H, W), D, level, s0,
                 tectonic, f32(cfg.uplift_diffusion), f32(cfg.thermal_erosion), f32(cfg.talus), f32(cfg.pit_fill),
                 f32(cfg.stream_power), f32(cfg.area_exponent), f32(cfg.slope_exponent), f32(cfg.sediment),
                 self._power_table(H * W, cfg.area_exponent), y, z, a, b, land.reshape(H, W))
        drainage._basin_colours(rcv, order, count, land, b0.ravel(), b.ravel())

        # rule 5: plates, in place on the outputs
        step = ctx.step
        replate = (step % cfg.replate_period) < cfg.replate_steps
        mv = buf["mv"]
        if tectonic and not replate:
            plates._motion_codes(q0, np.int64(ctx.seed), np.int64(step),
                                 np.float64(plates.move_probability(cfg.move_probability, W)), mv)
        source = np.empty((H, W), np.int64)
        plates._plates(q0, y0, z0, a0, b0, out["uplift"], out["elevation"], out["drainage_area"], out["basin"],
                       mv, np.int64(ctx.seed), np.int64(step), D,
                       np.float64(plates.seed_probability(cfg.seed_probability, W)), f32(cfg.uplift_decay),
                       replate, tectonic, out["plate"], source)
        ctx.scratch["source"] = source
        return out
