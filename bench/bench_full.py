"""Full-step benchmark: ms per step of every stage, and the ratio to a floor kernel.

    PYTHONPATH=. python bench/bench_full.py [--resolutions 256 512 1024] [--starts 30 90 130 200]
                                            [--steps 60] [--threads 2] [--memory] [--paired ROUNDS]
                                            [--worlds FOLDER | --moved]

The floor is ``bench/floor.py``'s 4-field 5-point float32 stencil (``njit(parallel=True)``),
about the least work a step over the grid can do; it is measured in the same
run, interleaved with the steps, so the ratio survives a noisy shared machine
better than the milliseconds do. Each phase of the story is measured: the world
starts at each of ``--starts`` film seconds (30:
tectonics, plates and rivers; 90: oceans and life; 130: humans, plates at
rest; 200: warming) and warms up for ``--warmup`` steps before timing (the
plates are seeded at the first step of an epoch, so the tectonic phase has
its plates and boundaries). Throughput is reported as cells·steps per second; ``c+a+l`` is the
climate, atmosphere and life together, and each stage is also given as its own ratio to the floor
(``bench/bench_kernels.py`` splits those three per kernel).
With plates that move every ``plate_interval`` steps, the statistics are taken over the means of
whole cycles (one move each), so they are the step's cost, not that of the cheaper steps between.
``--memory`` also runs each resolution in a child process and reports its peak
resident memory (the world, its scratch buffers and the compiled kernels).
``--paired ROUNDS`` measures the scaling instead of the table: the worlds of every resolution are
held at once and stepped one plate cycle each in turn, ROUNDS times, so that the two grids of a
ratio see the same minutes of the machine (measured one after the other, a pair of 1024 and 2048
columns read 3.97 at t = 90 s in one run and 4.70 in the next, where the floor at 2048 columns took
3.94 ms against 2.26); it prints the larger grid's step over the smaller's, pair of cycles by pair
(median and range), that of their fastest cycles, and the floor kernel's own scaling.

**Real worlds** (the default): seed 0 run through the story from its protoplanet to each start
(``story_world``), kept in ``--worlds`` (``outputs/bench_worlds``) and continued from the latest
earlier one, so each resolution is simulated once: a minute at 512 columns, a few at 1024, a quarter
of an hour at 2048 to t = 200 s. A world's file names the code that made it (``code_digest``: the
package's sources and the compiling environment), so after a change to the model the worlds are
simulated again; in the default folder the files of other code are removed, in a folder of your own
they are left and counted. ``--moved`` measures the protoplanet moved to each start instead (seconds
to set up, but it has none of that phase's rivers, basins, life or people: on 2026-12-06 a real
world's step at 1024 columns cost 18.5–18.7 ms at t = 90 s against 15.0–16.0 for the moved
protoplanet, and 12.7–12.8 against 10.7–10.9 at t = 200 s, bench/HISTORY.md).
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import planet  # noqa: E402
from bench.bench_lithosphere import cycles  # noqa: E402
from bench.floor import Floor, machine  # noqa: E402
from planet.core import diskcache  # noqa: E402
from planet.core.state import State  # noqa: E402

f32 = np.float32

#: the stages issue 13's "climate + atmosphere + life ≤ 10× the floor" sums (column ``c+a+l``)
CLIMATE_ATMOSPHERE_LIFE = ("climate", "atmosphere", "life")


#: where real worlds are kept by default (``outputs/`` holds what runs write)
DEFAULT_WORLDS = Path(__file__).resolve().parent.parent / "outputs" / "bench_worlds"
_WORLD_FILE = re.compile(r"w\d+_[0-9.e+-]+_([0-9a-f]{20})\.npz")


def code_digest() -> str:
    """A digest of the package's Python sources and of the environment that compiles them
    (``diskcache.digest``): the code a kept world was made by."""
    root = Path(planet.__file__).resolve().parent
    return diskcache.digest(*sorted(root.rglob("*.py")))


def stale_worlds(folder: Path, code: str) -> list[Path]:
    """The worlds in ``folder`` (``story_world``'s names) made by other code than ``code``."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if (m := _WORLD_FILE.fullmatch(p.name)) is not None and m.group(1) != code and p.is_file())


def story_world(resolution: int, start: float, folder: Path, code: str | None = None):
    """Seed 0 with every stage at film second ``start``, run through the story from its protoplanet:
    ``folder/w{resolution}_{start}_{code}.npz`` if it is there, else continued from the latest earlier
    world of that resolution and code in ``folder`` (or from the protoplanet) and saved there.
    ``code``: ``code_digest()`` unless given, so a world of other code is never read."""
    code = code_digest() if code is None else code

    def when(p: Path) -> float:
        return float(p.stem.split("_")[1])

    path = folder / f"w{resolution}_{start:g}_{code}.npz"
    if path.exists():
        return planet.load(path)
    earlier = sorted((p for p in folder.glob(f"w{resolution}_*_{code}.npz") if when(p) < start), key=when)
    world = planet.load(earlier[-1]) if earlier else planet.Planet(resolution=resolution, seed=0)
    world.run(until=start, progress=False)
    folder.mkdir(parents=True, exist_ok=True)
    world.save(path)
    return world


def prepare_worlds(folder: Path, default: bool) -> str:
    """The code digest for the run's worlds in ``folder``; where ``default`` (``DEFAULT_WORLDS``), the
    worlds of other code there are removed (only files of ``story_world``'s names), else counted."""
    code = code_digest()
    stale = stale_worlds(folder, code)
    if stale and default:
        for p in stale:
            p.unlink()
    elif stale:
        mib = sum(p.stat().st_size for p in stale) / 2**20
        print(f"{folder}: {len(stale)} worlds of other code ({mib:.0f} MiB) left as they are")
    return code


def add_world_options(ap: argparse.ArgumentParser) -> None:
    """``--worlds FOLDER`` and ``--moved``: where the measured worlds come from (``worlds_of``)."""
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--worlds", default=None,
                       help=f"folder of the real worlds (simulated through the story once, then kept; default "
                            f"{DEFAULT_WORLDS.relative_to(DEFAULT_WORLDS.parent.parent)})")
    where.add_argument("--moved", action="store_true",
                       help="the protoplanet moved to each start instead of real worlds (quick, but no rivers, "
                            "life or people)")


def worlds_of(args) -> tuple[Path | None, str | None]:
    """``(folder, code digest)`` of the real worlds ``add_world_options``' arguments ask for, ``(None, None)``
    for ``--moved`` (``prepare_worlds`` run on the folder)."""
    if args.moved:
        return None, None
    folder = Path(args.worlds) if args.worlds is not None else DEFAULT_WORLDS
    return folder, prepare_worlds(folder, args.worlds is None)


def _world(resolution: int, start: float, worlds=None, code=None):
    """The real world at ``start`` (``story_world`` of ``worlds``, code ``code``) when ``worlds`` names a
    folder, else the protoplanet moved there."""
    if worlds is not None:
        return story_world(resolution, start, Path(worlds), code)
    world = planet.Planet(resolution=resolution, seed=0)
    fps = world.config.schedule.fps
    state = State(world.state.fields, step=int(start * fps), seed=0, config=world.config,
                  stages=world.state.stages)
    return planet.Planet.from_state(state, stages=planet.model.DEFAULT_STAGES)


def _floor_after_each_step(fl: Floor, into: list):
    """An ``on_step`` callback that times one pass of the floor kernel ``fl`` after each step into ``into``
    (seconds): interleaved with the steps, so that both see the same machine."""
    def timed_floor(_state):
        t0 = time.perf_counter()
        fl.run()
        into.append(time.perf_counter() - t0)
    return timed_floor


def bench(resolution: int, steps: int, start: float, warmup: int, robust: str = "median", worlds=None,
          code=None) -> dict:
    """Ms per step of each stage and of the floor (``robust`` of the plate cycles' means) over ``steps``
    steps after ``warmup``, from the real world at ``start`` (``story_world``, code ``code``) when
    ``worlds`` names a folder, else from the protoplanet moved there."""
    world = _world(resolution, start, worlds, code)
    state = world.state
    world.step(warmup)
    times = {name: [] for name in world.stages}
    floor = []
    fl = Floor(*state.shape)
    n = world.config.lithosphere.plate_interval
    steps = -(-steps // n) * n                  # whole cycles of plate_interval steps, one move each
    world.step(steps, on_step=_floor_after_each_step(fl, floor),
               on_stage=lambda name, sec: times[name].append(sec))
    stat = statistics.median if robust == "median" else min
    # a statistic of the means over each cycle, not of single steps (the steps between moves are cheaper)
    per = {k: stat(cycles(v, n)) * 1e3 for k, v in times.items()}
    return {"floor": stat(cycles(floor, n)) * 1e3, **per}


def paired(resolutions, start: float, rounds: int, warmup: int, worlds=None, code=None) -> dict:
    """The step's cost at each of ``resolutions`` (``_world`` at ``start``, after ``warmup`` steps), one plate
    cycle of each in turn, ``rounds`` times: the resolutions compared see the same minutes of a shared
    machine, where one measured after the other may see another load (``bench_lithosphere`` pairs its
    cycles so too). Returns ``{resolution: (steps, floors)}``: per cycle, the mean seconds of a step (its
    stages) and of the floor kernel timed after each of its steps."""
    runs = {}
    for res in resolutions:
        world = _world(res, start, worlds, code)
        world.step(warmup)
        runs[res] = (world, Floor(*world.state.shape))
    out = {res: ([], []) for res in resolutions}
    for _ in range(rounds):
        for res, (world, fl) in runs.items():
            n = world.config.lithosphere.plate_interval          # one move a cycle
            spent, floor = [0.0], []

            def add(_name, sec, spent=spent):
                spent[0] += sec

            world.step(n, on_step=_floor_after_each_step(fl, floor), on_stage=add)
            out[res][0].append(spent[0] / n)
            out[res][1].append(float(np.mean(floor)))
    return out


def scaling_lines(result: dict, start: float) -> list[str]:
    """``paired``'s result as one line per pair of consecutive resolutions: the larger grid's step over the
    smaller's, cycle by cycle (median and range over the rounds) and of the fastest cycles, and the floor
    kernel's own scaling (its fastest passes), which the machine's caches set."""
    lines = []
    res = sorted(result)
    for a, b in zip(res, res[1:]):
        (sa, fa), (sb, fb) = result[a], result[b]
        ratios = [y / x for x, y in zip(sa, sb)]
        lines.append(f"{b:>5}x{b // 2:<4} / {a}x{a // 2} t={start:g}s: {statistics.median(ratios):.2f} "
                     f"(median of {len(ratios)} paired cycles, {min(ratios):.2f}-{max(ratios):.2f}); fastest "
                     f"cycles {min(sb) / min(sa):.2f}; steps {min(sa) * 1e3:.2f} / {min(sb) * 1e3:.2f} ms, "
                     f"{min(sa) / min(fa):.1f} / {min(sb) / min(fb):.1f}x floor; the floor itself "
                     f"{min(fb) / min(fa):.2f}")
    return lines


def peak_memory_mib(resolution: int, start: float, steps: int, threads: int | None) -> float:
    """Peak resident memory (MiB) of a fresh process that builds a world of ``resolution`` columns at
    ``start`` and steps it ``steps`` times: measured apart, so one resolution's peak is not another's."""
    code = (f"import resource, sys; sys.argv = ['x']; import bench.bench_full as b; import planet; "
            f"{'planet.set_threads(%d); ' % threads if threads else ''}"
            f"b.bench({resolution}, {steps}, {start}, 1); "
            f"print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024.0     # ru_maxrss is KiB on Linux


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolutions", type=int, nargs="+", default=[256, 512, 1024])
    ap.add_argument("--starts", type=float, nargs="+", default=[30.0, 90.0, 130.0, 200.0],
                    help="film seconds of the phases to measure")
    ap.add_argument("--start", type=float, default=None, help="one phase only (the old option)")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--memory", action="store_true", help="peak resident memory per resolution (child processes)")
    ap.add_argument("--paired", type=int, default=0, metavar="ROUNDS",
                    help="instead of the table: the scaling between consecutive resolutions, from ROUNDS plate "
                         "cycles of each in turn (the same minutes of the machine for both)")
    ap.add_argument("--stat", choices=("median", "min"), default="median",
                    help="per-stage statistic over the timed steps (min: best case on a busy machine)")
    add_world_options(ap)
    args = ap.parse_args(argv)
    for name, values, low in (("--resolutions", args.resolutions, 16), ("--steps", [args.steps], 1),
                              ("--warmup", [args.warmup], 0), ("--paired", [args.paired], 0)):
        if min(values) < low:
            ap.error(f"{name} must be >= {low}, got {min(values)}")
    if args.paired and len(set(args.resolutions)) < 2:
        ap.error(f"--paired compares resolutions: give at least two --resolutions, got {args.resolutions}")
    starts = [args.start] if args.start is not None else args.starts
    if min(starts) < 0 or max(starts) > 250:
        ap.error(f"--starts must be film seconds in [0, 250], got {starts}")
    if args.threads:
        planet.set_threads(args.threads)
    worlds, code = worlds_of(args)
    print(machine())
    print(f"threads={numba.get_num_threads()} steps={args.steps} ({args.stat}, ms per step); "
          + ("the protoplanet moved to each start" if worlds is None else f"real worlds in {worlds}"))
    if args.paired:
        print(f"scaling: {args.paired} rounds of one plate cycle of each resolution in turn (--steps unused)")
        for start in starts:
            for line in scaling_lines(paired(args.resolutions, start, args.paired, args.warmup, worlds, code), start):
                print(line, flush=True)
        return
    print(f"{'grid':>10} {'t (s)':>6} {'floor':>7} | {'stages (ms)':<58} | {'total':>7} {'x floor':>8} "
          f"{'Mcell-steps/s':>14} | {'c+a+l':>6} {'x floor':>8} | x floor per stage")
    for res in args.resolutions:
        for start in starts:
            r = bench(res, args.steps, start, args.warmup, args.stat, worlds, code)
            stages = {k: v for k, v in r.items() if k != "floor"}
            total = sum(stages.values())
            parts = "  ".join(f"{k[:5]} {v:.2f}" for k, v in stages.items())
            cells = res * (res // 2)
            cal = sum(v for k, v in stages.items() if k in CLIMATE_ATMOSPHERE_LIFE)
            ratios = " ".join(f"{k[:5]} {v / r['floor']:.1f}" for k, v in stages.items())
            print(f"{res:>5}x{res // 2:<4} {start:>6.0f} {r['floor']:>7.3f} | {parts:<58} | {total:>7.2f} "
                  f"{total / r['floor']:>8.1f} {cells / total / 1e3:>14.1f} | {cal:>6.2f} {cal / r['floor']:>8.1f} | "
                  f"{ratios}", flush=True)
        if args.memory:
            print(f"{res:>5}x{res // 2:<4} peak memory {peak_memory_mib(res, starts[0], 3, args.threads):.0f} MiB",
                  flush=True)


if __name__ == "__main__":
    main()
