"""Per-kernel split of the climate, atmosphere and life stages, as ms per step and ratio to the floor.

    PYTHONPATH=. python bench/bench_kernels.py [--resolutions 512 1024] [--starts 130] [--steps 40]
                                               [--threads 2] [--worlds FOLDER | --moved]

The worlds are ``bench_full.py``'s: real worlds (seed 0 run through the story to each start, kept in
``outputs/bench_worlds``) unless ``--moved`` asks for the protoplanet moved to each start.

Each kernel the three stages call from Python is wrapped in a timer (module attributes replaced for
the run, so the stages' code is not touched); what a stage spends outside them (NumPy glue, checks)
shows as ``(rest)`` (the stage less its kernels; with ``--stat min`` a rough figure). The floor
(``bench/floor.py``) is timed after every step in the same run, and every figure is the median (or
``--stat min``) over the timed steps (a kernel called twice a step counts both calls), taken over
the means of whole cycles of ``plate_interval`` steps (``bench_lithosphere.cycles``: the climate's
terrain part runs only on the steps after the lithosphere's, which runs every ``step_interval``).
"""
from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

import numba

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import planet  # noqa: E402
from bench.bench_lithosphere import cycles  # noqa: E402
from bench.bench_full import add_world_options, story_world, worlds_of  # noqa: E402
from bench.floor import Floor, machine  # noqa: E402
from planet.core.state import State  # noqa: E402

#: (module, attribute) of every kernel the three stages call from Python (with the names the kernels had
#: before issue 13's fused passes, so that an older checkout can be measured the same way)
KERNELS = {
    "climate": [("planet.processes.climate.physics", n) for n in
                ("box_average", "_pressure_sources", "blur", "_climate_now", "_sea_thermostat", "_thermal_pressure",
                 "_land_amplitude", "_wind", "_wind_into", "upsample", "upsample_each", "climate_fields")],
    "atmosphere": [("planet.processes.atmosphere", n) for n in
                   ("_divergence", "wind", "blur", "_sources", "_advect_pair", "eddy_mix", "vapour_step", "_trails",
                    "_noise_slice", "_vapour_co2")],
    "life": [("planet.processes.life.stage", n) for n in ("life_step", "_ride", "_local", "_diffuse")],
}
OUTER = {"climate_fields"}     # contains other timed kernels: reported, not subtracted twice
#: kernels more than one stage reaches through a shared helper (``BlurMemo``), and the atmosphere's noise
#: blend (a kernel of its own in checkouts before ``_sources`` blended the slices itself, 3ff345b): each call
#: is counted for the stage whose module (``STAGE_OF``) is nearest up the call stack
SHARED = [("planet.processes.climate.blur", "_blur_update"), ("planet.processes.atmosphere", "_blend")]
#: module name prefix -> stage, for ``SHARED`` (the first match up the stack)
STAGE_OF = (("planet.processes.atmosphere", "atmosphere"), ("planet.processes.inland", "atmosphere"),
            ("planet.processes.climate.physics", "climate"), ("planet.processes.life", "life"))


def _calling_stage() -> str:
    frame = sys._getframe(2)          # the caller of the timed wrapper
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        for prefix, stage in STAGE_OF:
            if name.startswith(prefix):
                return stage
        frame = frame.f_back
    raise RuntimeError("a shared kernel was called outside the three stages")


def instrument(log):
    """Wrap every kernel of ``KERNELS`` and ``SHARED`` so that its seconds add up in ``log[(stage, name)]``
    (a ``SHARED`` kernel's stage found up the call stack); returns what restores them."""
    import importlib

    undo = []
    entries = [(stage, m, a) for stage, items in KERNELS.items() for m, a in items] + [(None, m, a) for m, a in SHARED]
    for stage, mod_name, attr in entries:
        mod = importlib.import_module(mod_name)
        fn = getattr(mod, attr, None)
        if fn is None:
            continue

        def timed(*a, _fn=fn, _stage=stage, _attr=attr, **k):
            t0 = time.perf_counter()
            try:
                return _fn(*a, **k)
            finally:
                log[(_stage or _calling_stage(), _attr)] += time.perf_counter() - t0
        setattr(mod, attr, timed)
        undo.append((mod, attr, fn))
    return undo


def profile(resolution: int, start: float, steps: int, warmup: int = 5, stat=statistics.median, worlds=None,
            code=None):
    """Ms per step of each kernel (``stat`` of the plate cycles' means) in the real world at ``start``
    (``bench_full.story_world`` of ``worlds``, code ``code``), or the protoplanet moved there."""
    if worlds is not None:
        world = story_world(resolution, start, worlds, code)
        state = world.state
    else:
        world = planet.Planet(resolution=resolution, seed=0)
        state = State(world.state.fields, step=int(start * world.config.schedule.fps), seed=0, config=world.config,
                      stages=world.state.stages)
        world = planet.Planet.from_state(state, stages=planet.model.DEFAULT_STAGES)
    world.step(warmup)
    # whole cycles of plate_interval steps (which hold whole lithosphere steps too): the climate redoes
    # its terrain part only after the lithosphere ran, so single steps would show the cheap ones
    n = world.config.lithosphere.plate_interval
    steps = -(-steps // n) * n
    fl = Floor(*state.shape)
    log = collections.defaultdict(float)
    per_step = collections.defaultdict(list)
    done = [0]

    def record(key, value):             # a kernel that did not run in a step counts 0 there
        values = per_step[key]
        values.extend([0.0] * (done[0] - len(values)))
        values.append(value)
    undo = instrument(log)
    stage_t = collections.defaultdict(float)
    try:
        def on_step(_s):
            t0 = time.perf_counter()
            fl.run()
            record(("floor", ""), time.perf_counter() - t0)
            for k, v in log.items():
                record(k, v)
            for k, v in stage_t.items():
                record((k, "(stage)"), v)
            log.clear()
            stage_t.clear()
            done[0] += 1

        def on_stage(name, sec):
            stage_t[name] += sec
        world.step(steps, on_step=on_step, on_stage=on_stage)
    finally:
        for mod, attr, fn in undo:
            setattr(mod, attr, fn)
    return {k: stat(cycles(v + [0.0] * (steps - len(v)), n)) * 1e3 for k, v in per_step.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolutions", type=int, nargs="+", default=[512, 1024])
    ap.add_argument("--starts", type=float, nargs="+", default=[130.0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--stat", choices=("median", "min"), default="median",
                    help="statistic over the timed steps (min: best case on a busy machine)")
    add_world_options(ap)
    args = ap.parse_args(argv)
    if min(args.resolutions) < 16 or args.steps < 1:
        ap.error("--resolutions must be >= 16 and --steps >= 1")
    if args.threads:
        planet.set_threads(args.threads)
    worlds, code = worlds_of(args)
    print(machine())
    print(f"threads={numba.get_num_threads()} steps={args.steps} ({args.stat} ms per step; x floor); "
          + ("the protoplanet moved to each start" if worlds is None else f"real worlds in {worlds}"))
    for res in args.resolutions:
        for start in args.starts:
            med = profile(res, start, args.steps, stat=statistics.median if args.stat == "median" else min,
                          worlds=worlds, code=code)
            floor = med.pop(("floor", ""))
            print(f"{res}x{res // 2} t={start:g}s floor {floor:.3f} ms")
            together = 0.0
            for stage in KERNELS:
                total = med.get((stage, "(stage)"), 0.0)
                together += total
                inner = sum(v for (s, k), v in med.items() if s == stage and k not in OUTER and k != "(stage)")
                print(f"  {stage:<11} {total:7.2f} ms {total / floor:6.1f}x")
                for (s, k), v in sorted(med.items(), key=lambda kv: -kv[1]):
                    if s == stage and k != "(stage)" and v > 0:
                        print(f"    {k:<18} {v:7.3f} ms {v / floor:6.1f}x")
                print(f"    {'(rest)':<18} {total - inner:7.3f} ms {(total - inner) / floor:6.1f}x")
            print(f"  {'together':<11} {together:7.2f} ms {together / floor:6.1f}x", flush=True)


if __name__ == "__main__":
    main()
