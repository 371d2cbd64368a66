"""Rule 5 of the lithosphere step on the stage's buffers: which plate mode this step is in, the
epoch-start frame kept current, one step of rigid plate motion (``plates._plates``), then the
boundary physics (``boundaries``: collision uplift and the crust a collision consumes).

The kernels and their maths are in ``plates`` (rigid rotations, subduction, rifts) and
``boundaries`` (uplift, crust conservation); this module only sequences them:

* **mode**: ``MODE_CLEAR`` in the first ``replate_steps`` steps of each ``replate_period`` (every
  plate id -1), ``MODE_ASSIGN`` while a cell has no plate (the epoch's seeding, ``territory``),
  ``MODE_MOVE`` while tectonic, else ``MODE_STILL`` (``_still``: the plates and the markers stay the
  same arrays, nothing rides);
* **moving**: the previous step's epoch-start cells (``previous_references``), the crust the cells
  hold written back to them, and who held each of them (``plates._write_back_inverse``), then the plate rule,
  whose cells take their content from their plate's markers (``drift``);
* **a new epoch**: the plates' shapes and crust as they are now become the epoch-start frame;
* **after moving**: collision uplift and the consumed continental crust piled where continents
  collide (``boundaries._uplift``, ``boundaries.conserve_crust``).

**Moving every few steps** (``plate_interval`` ``N``, default 16). Plates move slowly: at most
``0.8°`` per film second, a fiftieth of a cell per step at 512 columns (a third of a cell per
move of 16 steps). With ``N > 1`` they move
on the steps ``s_e + N, s_e + 2N, …`` of an epoch seeded at step ``s_e``, each time turning the
``N`` steps' worth (coverage is the rigid shapes rotated to the step's time, exactly as with
``N = 1``; the markers move by ``N ω_k`` and search ``window.reach`` and ``window.rows_reach`` of
that; a cell keeps its own plate without testing the others when the move's whole window holds it,
``window``). On the steps between,
the plates, the frame and the markers stay, nothing rides (no ``source``), and the boundaries
still lift and uplift still decays at the rate of one lithosphere step (``boundaries._uplift``
with the plates' velocities per lithosphere step), so collision uplift is as continuous as with
``N = 1``; the crust consumed by a move is piled up at the move. Which steps move is a function of
the step number, so a restored state goes on identically.

**The lithosphere's own step** (``step_interval`` ``K``, default 4; ``cadence.runs_at``, ``per_run``): the
whole lithosphere advances on the steps ``s_e + kK`` by ``K`` steps' worth of every rate, and
``N`` is a multiple of ``K``, so every move falls on such a step.
"""
from __future__ import annotations

import copy

import numpy as np
from numba import get_num_threads, njit, prange

from planet.processes.lithosphere import arrivals, boundaries, drift, plates, polar, window
from planet.processes.lithosphere.cadence import moves_at, runs_at  # noqa: F401 (runs_at: motion.runs_at)
from planet.processes.lithosphere.clock import Clock

f32 = np.float32


def previous_references(buf, q0, step, epoch, table, elapsed, interval=1):
    """``plates._references`` of the plates ``q0`` of the previous move (``interval`` steps ago) at
    that step's time (``elapsed`` film seconds into the epoch): taken from that step's ``_plates``
    when it ran in this epoch and ``q0`` is still what it wrote (a pure function either way, so a
    restored or edited state gets the same numbers), else computed."""
    cached = buf.get("references")
    if (cached is not None and cached[0] == step - interval and cached[1] == epoch
            and np.array_equal(cached[3], q0)):
        return cached[2]
    H, W = q0.shape
    refp = np.empty(H * W, np.int32)
    plates._references(q0, table.ids, table.rotations(-elapsed), *buf["trig"], buf["cells"], refp)
    return refp


def _mode(step, q0, tectonic, cfg):
    if (step % cfg.replate_period) < cfg.replate_steps:
        return plates.MODE_CLEAR
    if _any_negative(q0):
        return plates.MODE_ASSIGN
    return plates.MODE_MOVE if tectonic else plates.MODE_STILL


#: the rates per film step that a lithosphere step of ``step_interval`` film steps multiplies
RATES = ("uplift_diffusion", "thermal_erosion", "pit_fill", "stream_power", "sediment", "uplift_rate", "isostasy",
         "crust_spreading")


def per_run(cfg):
    """The ``Lithosphere`` section with its rates per lithosphere step: each of ``RATES`` times
    ``step_interval`` and ``uplift_decay`` compounded (``1 − (1 − d)^K``); the section itself when
    ``step_interval`` is 1. (Not validated again: a rate times ``K`` may exceed its range.)"""
    k = cfg.step_interval
    if k == 1:
        return cfg
    out = copy.copy(cfg)
    for name in RATES:
        object.__setattr__(out, name, getattr(cfg, name) * k)
    object.__setattr__(out, "uplift_decay", 1.0 - (1.0 - cfg.uplift_decay) ** k)
    return out


#: the fields a step without a move hands on as the same arrays: the frame and the markers
KEPT = ("frame_plate", "frame_crust", "drift_east", "drift_north")


def _hold(fields, q0, chained, out):
    """A step between two moves (``plate_interval`` > 1): the plates, the frame and the markers stay
    as they are (the same arrays) and the surface rules' fields pass through; the caller then lets
    the boundaries lift and uplift decay, as at every step while plates move (nothing rides: no
    ``source``)."""
    y1, z1, a1, b1, c1 = chained
    out["plate"] = q0
    # ``chained`` are the stage's buffers, written again next step: the new state gets copies (the
    # uplift is copied by ``_boundaries``, which writes a new array), with rule 6's clamps, as
    # ``plates._plates`` applies them on a move (isostasy can pull ocean floor below 0)
    out["uplift"] = y1
    for name in ("elevation", "drainage_area", "basin", "crust"):
        out[name] = np.empty(q0.shape, np.float32)
    _pass(z1, a1, b1, c1, out["elevation"], out["drainage_area"], out["basin"], out["crust"])
    for name in KEPT:
        out[name] = fields[name]      # (buf["references"], the last move's, stays valid for the next)


@njit(cache=True, nogil=True, parallel=True)
def _settle(y1, z1, a1, b1, c1, y, z, a, b, c):
    """``MODE_STILL``'s plate rule: every cell keeps its content, with ``plates._plates``'s clamps and
    the same expressions (so the same bits): ``y`` in [0, 1], ``z`` and ``c`` at least 0."""
    H, W = y1.shape
    zero = f32(0.0)
    one = f32(1.0)
    for j in prange(H):
        for i in range(W):
            y[j, i] = min(max(y1[j, i], zero), one)
            z[j, i] = max(z1[j, i], zero)
            a[j, i] = a1[j, i]
            b[j, i] = b1[j, i]
            c[j, i] = max(c1[j, i], zero)


@njit(cache=True, nogil=True, parallel=True)
def _pass(z1, a1, b1, c1, z, a, b, c):
    """``_hold``'s copies in one pass on every thread: ``z = np.maximum(z1, 0)``, ``c = np.maximum(c1, 0)``
    bit for bit (NaN stays NaN, −0 becomes +0 as numpy's maximum makes it; Numba's ``max``, which
    ``_settle`` and the plate rule use, would keep −0), ``a``, ``b`` copies."""
    H, W = z1.shape
    zero = f32(0.0)
    for j in prange(H):
        for i in range(W):
            v = z1[j, i]
            z[j, i] = v if (v > zero or v != v) else zero
            a[j, i] = a1[j, i]
            b[j, i] = b1[j, i]
            v = c1[j, i]
            c[j, i] = v if (v > zero or v != v) else zero


@njit(cache=True, nogil=True, parallel=True)
def _any_negative(q):
    """``(q < 0).any()`` without the temporary, its rows on every thread."""
    H, W = q.shape
    found = np.zeros(H, np.bool_)
    for j in prange(H):
        hit = False
        for i in range(W):
            hit |= q[j, i] < f32(0.0)
        found[j] = hit
    return found.any()


def _still(fields, q0, chained, out, buf):
    """A step of ``MODE_STILL`` (after tectonics end): nothing moves, so the plates, the frame and the
    markers stay the same arrays (``plates._plates`` would write copies of them: the markers'
    offsets it writes are their clamps, and they were clamped when written), the surface rules'
    fields pass through with rule 6's clamps (``_settle``), and nothing rides (no ``source``: every
    cell's would be its own; returns None, the ``source``). No move to carry references to."""
    for name in ("uplift", "elevation", "drainage_area", "basin", "crust"):
        out[name] = np.empty(q0.shape, np.float32)
    _settle(*chained, out["uplift"], out["elevation"], out["drainage_area"], out["basin"], out["crust"])
    out["plate"] = q0
    for name in KEPT:
        out[name] = fields[name]
    buf["references"] = None
    return None


#: rule 2 tests the markers listed by where they land (``arrivals``) instead of scanning the window
#: (the same result; ``tests/test_arrivals.py`` turns it off to compare)
RULE2_LISTS = True


#: the fields ``plates._plates`` writes into new arrays (the frame's two are replaced whole)
WRITTEN = ("plate", "uplift", "elevation", "drainage_area", "basin", "crust", "drift_east", "drift_north")


def _marker_buffers(buf, H, W):
    """The markers' arrays, kept in ``buf`` from one move to the next: their positions and each row's
    spread (``drift.positions``), their landings (``arrivals.landing``), the plates' runs (``window.runs``)."""
    if buf.get("marks") is None:
        n = H * W
        buf["marks"], buf["spread"], buf["landing"] = np.empty((3, n)), np.empty((H, 2)), np.empty((2, n), np.float32)
        buf["runs_west"], buf["runs_east"] = np.empty((H, W), np.int32), np.empty((H, W), np.int32)
    return buf["marks"], buf["spread"], buf["landing"], buf["runs_west"], buf["runs_east"]


def plate_rule(fields, q0, chained, ctx, buf, plate_table, tectonic, out, rates=None):
    """Rule 5 for one step: fills the dict ``out`` with the lithosphere's fields after the plates
    moved (new float32 arrays; between two moves, see ``_hold``, the unchanged ones are the same
    arrays) and returns ``source``, the flat index of the cell whose content each cell took (None
    between two moves and after tectonics end, ``_still``: nothing rides). ``chained``: ``(y1, z1, a1, b1, c1)``
    after rules 1-4; ``buf``: the stage's buffers; ``plate_table(seed, epoch, cfg)``: the stage's
    cached ``plates.PlateTable``; ``rates``: the ``Lithosphere`` section with its rates per
    lithosphere step (``per_run``; default: the configuration's, a step of one film step)."""
    schedule = ctx.config.schedule
    cfg = ctx.config.lithosphere if rates is None else rates
    fps = schedule.fps / cfg.step_interval       # lithosphere steps per film second
    clock = buf.get("clock") or Clock()
    y1, z1, a1, b1, c1 = chained
    H, W = q0.shape
    n = H * W
    step = ctx.step
    epoch = plates.epoch_of(step, cfg.replate_period)
    table = plate_table(ctx.seed, epoch, cfg)
    first = ctx.timeline.step_of(schedule.ocean_start)
    s_e = plates.epoch_start_step(epoch, cfg.replate_period, cfg.replate_steps, first)
    t_e = s_e / schedule.fps
    mode = _mode(step, q0, tectonic, cfg)
    every = cfg.plate_interval
    if mode == plates.MODE_STILL:
        return _still(fields, q0, chained, out, buf)
    if mode == plates.MODE_MOVE and not moves_at(step, s_e, every):
        _hold(fields, q0, chained, out)
        _boundaries(out, None, table, buf, cfg, fps)
        return None
    for name in WRITTEN:
        out[name] = np.empty((H, W), np.float32)
    rate = schedule.fps / every             # moves per film second: each move turns the plates `every` steps
    assigned = y1                                            # read only in MODE_ASSIGN
    minv = np.zeros((0, 3, 3))
    if mode == plates.MODE_ASSIGN:
        assigned = np.empty((H, W), np.float32)
        plates._assign(*buf["trig"], table.centres, table.weights, table.ids, table.offsets, table.warp, assigned)
    elif mode == plates.MODE_MOVE:
        minv = table.rotations(-(ctx.time - t_e))
    fplate = np.ascontiguousarray(fields["frame_plate"], np.float32)
    fcrust = np.ascontiguousarray(fields["frame_crust"], np.float32).copy()
    inv = np.zeros((1, 1), np.int32)
    clock.lap("plates: setup")
    if mode == plates.MODE_MOVE:
        # the previous step's epoch-start cells, its crust written back, who held each of them
        refp = previous_references(buf, q0, step, epoch, table, ctx.timeline.time_of(step - every) - t_e, every)
        clock.lap("plates: references")
        inv = buf.get("inv")
        if inv is None:
            inv = buf["inv"] = np.empty((plates.SLOTS, n), np.int32)
        plates._write_back_inverse(q0.ravel(), refp, table.ids, fplate.ravel(), c1.ravel(), fcrust.ravel(), inv,
                                   get_num_threads())
        clock.lap("plates: write_back, inverse")
    out["frame_plate"] = fplate.copy()
    u0 = np.ascontiguousarray(fields["drift_east"], np.float32).ravel()
    v0 = np.ascontiguousarray(fields["drift_north"], np.float32).ravel()
    omega, reach_rows, rows = _marker_reach(buf, table, rate, W)
    source = np.empty((H, W), np.int64)
    ref_out = np.empty(n, np.int32)
    marks, spread, land, west, east = _marker_buffers(buf, H, W)
    index = polar.EMPTY
    if mode == plates.MODE_MOVE:
        drift.positions(q0, u0, v0, *buf["trig"], buf["drift_widths"], np.pi / H, marks, spread)
        index = polar.build(q0, marks, rows)
        arrivals.landing(q0, u0, v0, marks, table.ids, table.poles, omega, *buf["trig"], buf["drift_widths"], np.pi / H,
                         rows, land)
        window.runs(q0, reach_rows, rows, west, east)
    clock.lap("plates: markers")
    plates._plates(mode, q0, q0.ravel(), assigned, y1.ravel(), z1.ravel(), a1.ravel(), b1.ravel(), c1.ravel(),
                   table.ids, table.density, minv, inv, fplate.ravel(), fcrust.ravel(), *buf["trig"],
                   buf["cells"], np.int64(ctx.seed), np.int64(step), f32(cfg.ridge_level), f32(cfg.crust_max),
                   f32(cfg.uplift_decay), tectonic, out["plate"], out["uplift"], out["elevation"],
                   out["drainage_area"], out["basin"], out["crust"], source, out["frame_plate"].ravel(), ref_out,
                   u0, v0, marks, spread, index, table.poles, omega, buf["drift_widths"], np.pi / H, reach_rows, rows,
                   west, east, out["drift_east"], out["drift_north"], land, RULE2_LISTS)
    clock.lap("plates: rule")
    buf["references"] = (step, epoch, ref_out, out["plate"].copy()) if mode == plates.MODE_MOVE else None
    if mode == plates.MODE_ASSIGN:
        # a new epoch: the plates' shapes and crust as they are now
        out["frame_plate"][:] = out["plate"]
        fcrust[:] = out["crust"]
    out["frame_crust"] = fcrust
    if mode == plates.MODE_MOVE:
        _boundaries(out, c1, table, buf, cfg, fps)
    return source


def _marker_reach(buf, table, fps, W):
    """The plates' angular speeds in radians per step and the markers' search reach: columns per
    row and rows (``window.search``), kept for the epoch."""
    cached = buf.get("drift_reach")
    if cached is None or cached[0] is not table or cached[1] != fps:
        omega = np.asarray(table.omega, np.float64) / fps
        cached = buf["drift_reach"] = (table, fps, omega, *window.search(buf["drift_widths"], W, omega))
    return cached[2], cached[3], cached[4]


def _boundaries(out, c1, table, buf, cfg, fps):
    """Collision uplift (at the rate of one lithosphere step: ``fps`` of them per film second), then the
    continental crust consumed at convergent boundaries piled onto the crust that stays
    (``boundaries``; ``c1``, the crust before the move, None where nothing moved: nothing was
    consumed); in place on ``out``."""
    H, W = out["plate"].shape
    lifted = np.empty((H, W), np.float32)
    thick = np.empty((H, W), np.float32)
    boundaries._uplift(out["plate"], out["crust"], out["uplift"], table.ids, np.asarray(table.density, np.float64),
                       table.poles, table.omega / fps, *buf["trig"], *buf["widths"],
                       float(cfg.collision_uplift), f32(cfg.uplift_decay), lifted, thick)
    out["uplift"] = lifted
    if c1 is None:
        return
    area = buf["metrics"].area
    prod = buf.get("volume")
    if prod is None:
        prod = buf["volume"] = np.empty((H, W))
    before = boundaries.volume(c1, area, prod)
    boundaries.conserve_crust(before, out["crust"], thick, area, cfg.crust_max, prod)
