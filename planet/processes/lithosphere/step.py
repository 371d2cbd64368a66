"""The lithosphere step (spec §4, as built): uplift, isostasy, erosion, rivers and rigid plates.

State per cell: plate id ``q`` (-1 none, else in [0, 1)), uplift ``y`` in [0, 1], elevation
``z >= 0``, drainage area ``A`` (km² upstream), basin colour ``b`` in [0, 1) and crust
thickness ``C >= 0`` (0 oceanic, 1 continental, more where collisions thickened it).

**Units.** Every rate is stated per film-clock step (1/60 film second) and per unit of the
sphere, not per cell. Lengths are in ``L0 = 2πR/512`` (the equatorial cell width at 512
columns, 78 km on a 6371 km Earth), areas in ``L0²``. On a grid of ``W`` columns the distance
between the centres of two cells of row ``j`` is ``dx_j = (512/W) cos φ_j`` east-west and
``dy = 512/W`` north-south (diagonals: ``√(dy² + (dy cos φ_edge)²)``); a cell's area is its true
area on the sphere in ``L0²``. At 512 columns, near the equator, every rate equals the
reference's per-cell rate, so the look at 512 columns is the reference's; at other resolutions
the same physical landscape is resolved more or less finely.

**The lithosphere's own step** is ``K`` = ``step_interval`` film steps (default 4;
``motion.runs_at``: the steps ``s_e + kK`` of each epoch): on those steps the rules below run once
with every rate times ``K`` (``motion.per_run``; the uplift decay compounded, the plates'
velocities per lithosphere step), and on the others the stage returns its fields unchanged.
Geology changes over thousands of steps; the climate and life that read it every step see it
move on every ``K``-th.

**Reading rule.** Within a step a cell's *own* values chain from rule to rule; *neighbour*
values, the routing and the receivers come from the *previous* step, except the receiver's
elevation in stream power, which is its new one (the implicit solve).

Before ocean start the state stays the protoplanet. From then on, with ``D`` = ocean depth now,
``s0 = smoothstep(15, 25, t)``, "tectonic" = before tectonics end (or after story end):

1. uplift diffusion within a plate (tectonic), diffusivity ``κ_y`` (``uplift_diffusion``,
   ``L0²``/step): ``∂y/∂t = ∇·(κ_y ∇y)`` with no flux between different plates, in flux form on
   the sphere. East-west implicitly (a periodic tridiagonal solve per row: stable however narrow
   the cells near the poles), then north-south implicitly (a tridiagonal solve per column,
   ``columns``, face coefficients ``κ_y cos φ_face / (cos φ_j dy²)``: stable for any step and
   cell height); ``y >= 0``;
2. tectonic uplift: ``z += clamp(2y − 1, 0, cap)``, ``cap = 1`` if ``z − D <= 1`` else ``1/(z − D)``;
   **isostasy**: ``z += r_iso s0 ⟨z_eq(C) − z⟩_R`` with
   ``z_eq(C) = z_ocean + (z_cont − z_ocean) min(C, 1) + h_thick max(C − 1, 0)``
   (continental crust floats high, thickened crust higher) and ``⟨·⟩_R`` the previous step's
   deficit smoothed by a nearly Gaussian kernel of standard deviation ``R`` (``flexure_radius``,
   ``L0``) on the sphere: the plate bends as a whole, so a valley narrower than ``R`` is not
   buoyed back up on its own (``flexure``; ``R = 0``: every cell on its own, Airy, with the
   cell's value after uplift);
   the excess of thickened crust over 1 spreads within continents (diffusivity ``crust_spreading``;
   implicitly east-west, ``crust.spread_rows``, then north-south, ``columns.spread_columns``);
3. for cells with ``z >= D − 0.05``:
   thermal erosion (a slope limiter): across each of the 4 faces whose slope
   ``|z_n − z| / d`` exceeds the talus slope ``S_c`` (``talus``, z per ``L0``),
   ``z += k_d (z_n − z)`` with ``k_d = min(κ_t / d², 1/8)`` (``κ_t`` = ``thermal_erosion``,
   ``L0²``/step; the cap keeps the explicit step stable on the narrow polar cells and only sets
   how fast slopes relax, not to what), ``z >= 0``;
   routing on the previous elevation and exact flow accumulation (``routing``, ``drainage``);
   pits gain ``pit_fill``; elsewhere stream power at the rate ``s0 K A^m S^n`` with ``A`` the
   true upstream area in ``L0²`` and ``S`` the slope to the receiver per unit distance (``L0``),
   solved implicitly along the rivers, receivers first, down to the receiver's *new* elevation
   or sea level, never below (``stream_power``: an explicit step was unstable on the narrow polar
   cells and carved them into east-west furrows);
   land cells take the basin colour of their receiver (exact, in the same pass);
   cells below ``D − 0.05`` get ``A = 0`` and keep their colour;
4. sediment (a height per step, i.e. volume per unit area): tectonic
   ``z += 2.5e-4 clamp(z + 2.5, 0, 10) s0``; after, land gains 2.5e-4;
5. plates (``planet.plates``): re-plating, seeding, rigid rotations, collisions, subduction, rifts;
6. clamps ``y`` to [0, 1], ``z >= 0``, ``C >= 0``.

``drainage_area`` is the true upstream area in km² (``L0²`` = 6112 km²; the spec's field was the
upstream *cell count*, which near a pole counts the many narrow cells of a row as a large river, so
the rivers view drew the polar rows as a band); stream power reads the same area in ``L0²``. A cell
that was not routed on the previous step but is land or shore after rule 2 has no receiver this
step and is a pit. The stage writes ``ctx.scratch["source"]``, the flat index of the cell whose
content each cell holds after plate motion.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.core.grid import neighbour
from planet.processes.lithosphere import (boundaries, columns, drainage, flexure, motion, plates, routing, stream_power,
                                          window)
from planet.processes.lithosphere import crust as crust_mod
from planet.processes.lithosphere.clock import Clock
from planet.processes.lithosphere.crust import buoyant_level, spread_rows
from planet.processes.lithosphere.drainage import _true_area
from planet.processes.lithosphere.metrics import (  # noqa: F401
    L0,
    L0_KM2,
    REFERENCE_COLUMNS,
    THERMAL_CAP,
    Metrics,
    _diffuse_rows,
)
from planet.processes.lithosphere.protoplanet import protoplanet
from planet.processes.lithosphere.routing import NOT_ROUTED

f32 = np.float32
FIELDS = ("plate", "uplift", "elevation", "drainage_area", "basin", "crust", "frame_plate", "frame_crust",
          "drift_east", "drift_north")
# ---------------------------------------------------------------------------
# rules 1-4 per cell


@njit(cache=True, nogil=True)
def _surface_row(j, yh, z0, b0, c0, rcv, true_area, k, tab, iso, y_out, z_out, a_out, b_out, c_out, land,
                 state):
    """Rules 1–4 along row ``j``; a cell's N, E, S, W neighbours are (jn, in_), (je, ie), (js, is_),
    (jw, iw). Kept in one piece on purpose: one call per row; a call per cell (or per rule) pays
    Numba's reference counting of its ~20 array arguments at every cell, measured at 40 ms of a
    100 ms step at 256x128 on one thread (one call per row: 2-3 ms).
    ``k``: scalar constants; ``tab``: per-row coefficients (see ``_surface``)."""
    H, W = z0.shape
    j = np.int64(j)      # (a prange index may arrive unsigned; neighbour() returns int64)
    (D, level, s0, pit_fill, r_iso, z_ocean, z_cont, h_thick,
     k_north, talus_north, u_rate, km2) = k
    k_east, talus_east = tab
    zero = f32(0.0)
    one = f32(1.0)
    edge_row = j == 0 or j == H - 1
    for i in range(W):
        if edge_row or i == 0 or i == W - 1:
            jn, in_ = neighbour(j, i, -1, 0, H, W)
            je, ie = neighbour(j, i, 0, 1, H, W)
            js, is_ = neighbour(j, i, 1, 0, H, W)
            jw, iw = neighbour(j, i, 0, -1, H, W)
        else:
            jn, in_, je, ie, js, is_, jw, iw = j - 1, i, j, i + 1, j + 1, i, j, i - 1
        # 1. uplift diffusion: already in yh (``_diffuse_rows``, ``columns``)
        yc = yh[j, i]
        # 2. tectonic uplift with its cap, isostasy
        zc = z0[j, i]
        above = zc - D
        cap = one if above <= one else one / above
        zc += u_rate * yc * cap
        cc = c0[j, i]
        if iso.shape[0] == H:
            zc += r_iso * s0 * iso[j, i]        # regional (flexural) isostasy, see ``flexure``
        else:
            zc += r_iso * s0 * (buoyant_level(cc, z_ocean, z_cont, h_thick) - zc)
        ac = zero
        is_land = False
        if zc >= level:
            # 3a. thermal erosion against the previous neighbours, slopes per unit distance
            s = zero
            te = talus_east[j]
            d = z0[jn, in_] - zc
            if abs(d) > talus_north:
                s += k_north * d
            d = z0[js, is_] - zc
            if abs(d) > talus_north:
                s += k_north * d
            d = z0[je, ie] - zc
            if abs(d) > te:
                s += k_east[j] * d
            d = z0[jw, iw] - zc
            if abs(d) > te:
                s += k_east[j] * d
            zc = max(zero, zc + s)
            # 3b. pits fill; the rest erodes by stream power, implicitly along the rivers, in the
            # pass that follows (``stream_power.erode``)
            if rcv[j, i] != NOT_ROUTED:  # routed on the previous elevation: its upstream area in km²
                ac = true_area[j, i] * km2
            if rcv[j, i] < 0:
                zc += pit_fill
                st = stream_power.PIT
            else:
                st = stream_power.ERODE
            is_land = zc >= D
        else:
            st = stream_power.BELOW
        y_out[j, i] = yc
        z_out[j, i] = zc
        a_out[j, i] = ac
        b_out[j, i] = b0[j, i]
        c_out[j, i] = max(cc, zero)
        land[j, i] = is_land
        state[j, i] = st


@njit(cache=True, nogil=True, parallel=True)
def _sediment(z, tectonic, k_sed, s0, level):
    """Rule 4 in place: sediment, a height per step (volume per unit area)."""
    zero = f32(0.0)
    for j in prange(z.shape[0]):
        for i in range(z.shape[1]):
            zc = z[j, i]
            if tectonic:
                z[j, i] = zc + k_sed * min(max(zc + f32(2.5), zero), f32(10.0)) * s0
            elif zc >= level:
                z[j, i] = zc + k_sed


@njit(cache=True, nogil=True, parallel=True)
def _surface(yh, z0, b0, c0, rcv, true_area, k, tab, iso, y_out, z_out, a_out, b_out, c_out, land, state):
    """Rules 1–3a and the pits of 3b for every cell (``(H, W)`` arrays; ``rcv``/``true_area`` from
    ``planet.drainage``); ``b_out`` gets a copy of ``b0`` (``stream_power.erode`` then recolours
    land), ``state`` each cell's ``stream_power`` state. ``tab = (k_east, talus_east)`` per row;
    ``yh`` and ``c0`` are the uplift and crust after the diffusion and spreading of rules 1-2.
    """
    for j in prange(z0.shape[0]):
        _surface_row(j, yh, z0, b0, c0, rcv, true_area, k, tab, iso, y_out, z_out, a_out, b_out, c_out, land,
                     state)


def _rules(yh, z0, b0, ch, rcv, rdir, order, count, layers, true_area, tectonic, cfg, D, level, s0,
           metrics, iso, out, land, state, clock=None, scratch=None):
    """Rules 1–4 on ``(H, W)`` maps into ``out = (y, z, a, b, c)``: the per-cell rules
    (``_surface``), stream power receivers first with the land flags and basin colours
    (``stream_power.erode``), then sediment (``_sediment``). ``rcv``, ``rdir``, ``order``,
    ``layers``, ``true_area``: flat, from the routing and accumulation of the previous elevation;
    ``scratch``: an optional float64 buffer of ``H W`` cells for the stream-power coefficients."""
    H, W = z0.shape
    y1, z1, a1, b1, c1 = out
    _surface(yh, z0, b0, ch, rcv.reshape(H, W), true_area.reshape(H, W),
             _constants(cfg, D, level, s0, metrics), _tables(metrics), iso, y1, z1, a1, b1, c1,
             land.reshape(H, W), state.reshape(H, W))
    if clock is not None:
        clock.lap("surface")
    coef = np.empty(H * W) if scratch is None else scratch
    stream_power.coefficients(state, true_area, rdir, metrics.inv_dist, W,
                              np.float64(f32(s0)) * np.float64(f32(cfg.stream_power)), f32(cfg.area_exponent),
                              f32(cfg.slope_exponent), metrics.area, metrics.area_floor, coef)
    if clock is not None:
        clock.lap("stream power: coefficients")
    stream_power.erode(order, count, layers, rcv, state, coef, z1.ravel(), f32(D), f32(cfg.slope_exponent), land,
                       b0.ravel(), b1.ravel())
    if clock is not None:
        clock.lap("stream power: erode, basin colours")
    _sediment(z1, tectonic, f32(cfg.sediment), f32(s0), f32(level))


def _constants(cfg, D, level, s0, metrics):
    return (f32(D), f32(level), f32(s0), f32(cfg.pit_fill), f32(cfg.isostasy), f32(cfg.ocean_floor_level),
            f32(cfg.continent_level), f32(cfg.thickened_relief),
            metrics.k_north, metrics.talus_north, f32(cfg.uplift_rate), f32(L0_KM2))


def _tables(metrics):
    return (metrics.k_east, metrics.talus_east)


def surface(plate, uplift, elevation, rcv, direction, *, sea_level, ocean_fill, tectonic, config,
            crust=None):
    """Rules 1–4 on whole maps (for tests and notebooks; the stage calls the kernels directly).

    ``rcv``, ``direction``: receivers (loops broken: ``planet.drainage.accumulate``'s) and directions
    from ``planet.drainage`` on ``elevation``; ``config``: a ``Lithosphere``
    section; ``crust``: crust thickness (default all oceanic). Returns
    ``(uplift, elevation, drainage_area, land, crust)`` after rule 4 (``drainage_area`` in km²).
    """
    q0, y0, z0 = (np.ascontiguousarray(a, dtype=np.float32) for a in (plate, uplift, elevation))
    H, W = z0.shape
    if q0.shape != z0.shape or y0.shape != z0.shape or np.shape(rcv) != z0.shape:
        raise ValueError(f"plate, uplift and rcv must have the elevation's shape {z0.shape}")
    c0 = np.zeros((H, W), np.float32) if crust is None else np.ascontiguousarray(crust, dtype=np.float32)
    metrics = Metrics(H, W, config)
    rcv = np.ascontiguousarray(rcv, dtype=np.int32)
    _, order, _ = drainage.accumulate(rcv)
    true_area = np.zeros(H * W, np.float32)
    _true_area(rcv.ravel(), order.astype(np.int32), len(order), metrics.area, W, true_area)
    yh = np.empty((H, W), np.float32)
    if tectonic:
        _diffuse_rows(y0, q0, metrics.g_east, yh)
        yh = columns.diffuse_columns(yh, q0, metrics.g_north, metrics.g_south)
    else:
        yh[:] = y0
    y, z, a, b, c = (np.empty((H, W), np.float32) for _ in range(5))
    land = np.empty(H * W, np.bool_)
    D = f32(sea_level)
    ch = np.empty((H, W), np.float32)
    spread_rows(c0, metrics.c_east, ch)
    ch = columns.spread_columns(c0, ch, metrics.c_north, metrics.c_south)
    iso = flexure.regional_deficit(z0, c0, config, metrics)
    order = np.ascontiguousarray(order, dtype=np.int32)
    _rules(yh, z0, np.zeros((H, W), np.float32), ch, rcv.ravel(), np.ascontiguousarray(direction, np.int8).ravel(),
           order, len(order), np.empty(0, np.int64), true_area, bool(tectonic), config, D,
           f32(D - f32(config.shore)), ocean_fill, metrics, iso, (y, z, a, b, c), land, np.empty(H * W, np.uint8))
    return y, z, a, land.reshape(H, W), c


class LithosphereStage:
    """Spec §4 (as built) as a stage: reads and writes the six lithosphere fields.

    ``split``: a dict to which each step adds the seconds spent in each of its parts (``Clock``),
    or None (the default: nothing is timed)."""

    name = "lithosphere"
    reads = FIELDS
    writes = FIELDS

    def __init__(self):
        self._scratch = {}
        self._tables = {}
        self.split = None

    def initial(self, grid, config, seed, fields):
        out = protoplanet(grid, seed)
        out["crust"] = crust_mod.initial_crust(grid, seed, out["elevation"], config.lithosphere)
        out["frame_plate"] = np.full(grid.shape, -1.0, np.float32)
        out["frame_crust"] = out["crust"].copy()
        out["drift_east"] = np.zeros(grid.shape, np.float32)
        out["drift_north"] = np.zeros(grid.shape, np.float32)
        return out

    def _buffers(self, H, W, cfg):
        key = (H, W, cfg)
        if key not in self._scratch:
            n = H * W
            self._scratch = {key: dict(
                rcv=np.empty(n, np.int32), rdir=np.empty(n, np.int8), pending=np.empty(n, np.uint8),
                order=np.empty(n, np.int32), true_area=np.empty(n, np.float32),
                layers=np.empty(stream_power.LAYERS, np.int64),
                land=np.empty(n, np.bool_), state=np.empty(n, np.uint8), coef=np.empty(n),
                yh=np.empty((H, W), np.float32),
                chained=tuple(np.empty((H, W), np.float32) for _ in FIELDS[1:6]), ch=np.empty((H, W), np.float32),
                yv=np.empty((H, W), np.float32), cv=np.empty((H, W), np.float32),
                excess=np.empty((H, W), np.float32), flexure=tuple(np.empty((H, W), np.float32) for _ in range(3)),
                metrics=Metrics(H, W, cfg), trig=plates.trig_tables(H, W),
                cells=plates.cell_tables(H, W), widths=boundaries.row_widths(H, W),
                drift_widths=window.widths(H, W))}
        return self._scratch[key]

    def _plate_table(self, seed, epoch, cfg):
        key = (seed, epoch, cfg.plates_min, cfg.plates_max, cfg.plate_speed_min, cfg.plate_speed_max,
               cfg.plate_warp)
        if key not in self._tables:
            if len(self._tables) > 8:
                self._tables.clear()
            self._tables[key] = plates.PlateTable(seed, epoch, cfg.plates_min, cfg.plates_max,
                                                  cfg.plate_speed_min, cfg.plate_speed_max, cfg.plate_warp)
        return self._tables[key]

    def advance(self, fields, ctx):
        schedule = ctx.config.schedule
        t = ctx.time
        if t < schedule.ocean_start or not motion.runs_at(ctx.step, ctx.config.lithosphere,
                                                            ctx.timeline.step_of(schedule.ocean_start)):
            return {name: fields[name] for name in FIELDS}
        clock = Clock(self.split)
        cfg = motion.per_run(ctx.config.lithosphere)
        q0, y0, z0, a0, b0, c0 = (np.ascontiguousarray(fields[n], dtype=np.float32) for n in FIELDS[:6])
        H, W = z0.shape
        buf = self._buffers(H, W, cfg)
        buf["clock"] = clock
        metrics = buf["metrics"]
        D = f32(ctx.timeline.sea_level(t))
        level = f32(D - f32(cfg.shore))
        s0 = f32(ctx.timeline.ocean_fill(t))
        tectonic = bool(ctx.timeline.tectonic(t))

        # rule 3's routing: receivers and exact accumulation on the previous elevation
        rcv, pending, order = buf["rcv"], buf["pending"], buf["order"]
        clock.lap("setup")
        routing._receivers(z0, level, metrics.inv_dist, metrics.reach, *metrics.offsets, rcv.reshape(H, W),
                            buf["rdir"].reshape(H, W))
        clock.lap("receivers")
        true_area = buf["true_area"]
        count = drainage._accumulate_areas(rcv, pending, order, metrics.area, W, true_area, buf["layers"])
        clock.lap("accumulate")

        # rule 1 east-west (implicit), then rules 1-4 per cell, then basin colours
        yh = buf["yh"]
        if tectonic:
            _diffuse_rows(y0, q0, metrics.g_east, yh)
            clock.lap("diffuse_rows")
            yh = columns.diffuse_columns(yh, q0, metrics.g_north, metrics.g_south, buf["yv"])
            clock.lap("diffuse_columns")
        else:
            yh = y0
        # the fields after rules 1-4 and the scratch of the solves live in the stage's buffers (read
        # within the step only: the plate rule writes the step's new arrays from them)
        y1, z1, a1, b1, c1 = buf["chained"]
        land = buf["land"]
        ch = buf["ch"]
        spread_rows(c0, metrics.c_east, ch, buf["excess"])
        clock.lap("spread_rows")
        ch = columns.spread_columns(c0, ch, metrics.c_north, metrics.c_south, buf["cv"])
        clock.lap("spread_columns")
        iso = flexure.regional_deficit(z0, c0, cfg, metrics, buf["flexure"])
        clock.lap("flexure")
        _rules(yh, z0, b0, ch, rcv, buf["rdir"], order, count, buf["layers"], true_area, tectonic, cfg, D, level,
               s0, metrics, iso, (y1, z1, a1, b1, c1), land, buf["state"], clock, buf["coef"])
        clock.lap("sediment")

        # rule 5: plates
        out = {}
        source = motion.plate_rule(fields, q0, (y1, z1, a1, b1, c1), ctx, buf, self._plate_table, tectonic, out, cfg)
        if source is not None:             # None: the plates held still this step (``plate_interval``)
            ctx.scratch["source"] = source
        clock.lap("plates: boundaries")
        return out
