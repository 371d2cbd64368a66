"""Lithosphere step speed at 512×256 and 1024×512, as ratios to the memory-bandwidth floor.

    PYTHONPATH=. python bench/bench_lithosphere.py [--quick] [--geology] [--threads N] [--phases 30,90] [--split]
                                                   [--cpu] [--stat median|min]

For each phase (film seconds; default 30 s and 90 s, both while the plates move, before
tectonics end at 126 s) a geology-only world of each resolution is run to that time; then
lithosphere steps are timed one by one, interleaved with the floor kernel (``bench/floor.py``),
so both see the same machine load, a cycle of ``plate_interval`` steps (one plate move) of each
resolution in turn, so that the resolutions compared see the same minutes of a shared machine
(the ratio 1024 / 512 is also given as the median over those pairs of cycles). Prints
ns per cell per step, steps per second, and the ratio to the floor (medians).
``--geology`` also times the whole geology, 15 s → 126 s (6660 steps) at
512×256. The import + first-step time of a fresh process (warm Numba cache)
is measured with a subprocess. ``--split`` also prints where a step's time goes: the median
milliseconds of each part of the step (``LithosphereStage.split``) and its share of their sum.
``--interval N`` sets ``lithosphere.plate_interval`` (plates that move every ``N`` steps; the lithosphere
then steps every ``gcd(N, step_interval)`` steps, so ``--interval 1`` is a step of one); the
statistics are then taken over the means of whole cycles of ``N`` steps, each with one move.
``--cpu`` times with the process's CPU clock instead of the wall clock (on a machine shared with
other jobs, a step's wall time also counts their time slices; with one Numba thread the CPU time
is the step's own; with more it is refused, since the clock then also counts the idle threads
spinning between parallel loops, so a serial kernel reads as up to its wall time times the
threads); ``--stat min`` reports the fastest step (and floor pass, and part) instead of the median.
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import planet  # noqa: E402
from planet.processes.lithosphere.step import LithosphereStage  # noqa: E402
from planet.core.stage import Context  # noqa: E402
from planet.processes.lithosphere import clock as clock_module  # noqa: E402

from bench.floor import Floor, machine  # noqa: E402

FIRST_STEP = """
import time; t = time.perf_counter()
import planet
from planet.processes.lithosphere.step import LithosphereStage
from planet.core.stage import Context
import numpy as np
w = planet.Planet(resolution=128, seed=0)
s = w.state
ctx = Context(step=901, time=901 / 60, seed=0, grid=w.grid, config=w.config, timeline=w.timeline)
LithosphereStage().advance(s.fields, ctx)
print(time.perf_counter() - t)
"""


def first_step_seconds() -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", FIRST_STEP], env=env, check=True, capture_output=True)  # warm cache
    out = subprocess.run([sys.executable, "-c", FIRST_STEP], env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def cycles(values, n: int) -> list:
    """The means of consecutive groups of ``n`` values: with plates that move every ``n`` steps
    (``plate_interval``), each group holds exactly one move, so a statistic of the groups is a
    statistic of the step's cost over a cycle, not of the cheaper steps between moves."""
    return [float(np.mean(values[k:k + n])) for k in range(0, len(values) - n + 1, n)]


def interval_config(interval: int | None = None) -> planet.Config:
    """The default configuration, with ``lithosphere.plate_interval`` set when ``interval`` is given
    (the benchmarks' ``--interval``), and ``step_interval`` the largest divisor of it that divides the
    default's (``plate_interval`` must be a multiple of ``step_interval``: ``--interval 1`` times the
    lithosphere stepping and the plates moving every step)."""
    config = planet.Config()
    if interval is None:
        return config
    step = math.gcd(interval, config.lithosphere.step_interval)
    return config.replace(lithosphere={"plate_interval": interval, "step_interval": step})


class Run:
    """One resolution's geology-only world, run to ``until`` (the warm-up), whose lithosphere steps are
    then timed a cycle of ``plate_interval`` steps at a time (``cycle``), each step followed by the
    floor kernel (``bench/floor.py``), so both see the same machine load. ``main`` alternates the
    cycles of the resolutions it compares, so that they see the same minutes of a shared machine too."""

    def __init__(self, res: int, until: float, split: bool = False, clock=time.perf_counter,
                 interval: int | None = None):
        config = interval_config(interval)
        self.n = config.lithosphere.plate_interval
        self.res, self.split, self.clock = res, split, clock
        self.world = planet.Planet(resolution=res, seed=0, stages=("lithosphere",), config=config)
        t = time.perf_counter()
        self.world.run(until=until)
        self.warm_s = time.perf_counter() - t
        s = self.world.state
        self.stage = LithosphereStage()
        self.floor = Floor(s.rows, s.columns)
        self.fields = s.fields
        self.next_step = s.step + 1
        self.step_t, self.floor_t, self.parts = [], [], []

    def cycle(self) -> None:
        """Time ``plate_interval`` more steps (one plate move)."""
        w = self.world
        for _ in range(self.n):
            k = self.next_step
            self.next_step += 1
            ctx = Context(step=k, time=k / 60, seed=w.state.seed, grid=w.grid, config=w.config, timeline=w.timeline)
            if self.split:
                self.stage.split = {}
                self.parts.append(self.stage.split)
            t = self.clock()
            out = self.stage.advance(self.fields, ctx)
            self.step_t.append(self.clock() - t)
            self.fields.update(out)
            t = self.clock()
            self.floor.run()
            self.floor_t.append(self.clock() - t)

    def cycle_ms(self) -> list:
        """The mean ms per step of each timed cycle, in order."""
        return [1e3 * v for v in cycles(self.step_t, self.n)]

    def result(self, stat=np.median) -> dict:
        n, res = self.n, self.res
        cells = res * res // 2
        ms = float(stat(self.cycle_ms()))
        fl = 1e3 * float(stat(cycles(self.floor_t, n)))
        names = list(dict.fromkeys(name for p in self.parts for name in p))
        split_ms = {name: 1e3 * float(stat(cycles([p.get(name, 0.0) for p in self.parts], n))) for name in names}
        return dict(res=res, cells=cells, warm_s=self.warm_s, ms=ms, ns_cell=1e6 * ms / cells, steps_s=1e3 / ms,
                    floor_ms=fl, ratio=ms / fl, mean_ms=1e3 * float(np.mean(self.step_t)), split=split_ms)


def print_split(split: dict, floor_ms: float) -> None:
    """Each part's median ms, its share of the parts' sum, and its ratio to the floor kernel."""
    total = sum(split.values())
    for name, ms in split.items():
        print(f"    {name:<22} {ms:8.3f} ms {100 * ms / total:5.1f} % {ms / floor_ms:6.1f}x floor")
    print(f"    {'sum':<22} {total:8.3f} ms")


def bench_geology() -> float:
    w = planet.Planet(resolution=512, seed=0)
    w.run(until="ocean_start")
    t = time.perf_counter()
    w.run(until="tectonics_end")
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer timed steps (8 plate moves per resolution and phase, not 20)")
    ap.add_argument("--geology", action="store_true", help="also time 15 s -> 126 s at 512x256")
    ap.add_argument("--threads", type=int, default=None, help="Numba threads (default: all)")
    ap.add_argument("--phases", default="30,90", help="film seconds to time the step at (comma-separated)")
    ap.add_argument("--split", action="store_true", help="print each part of the step's median time")
    ap.add_argument("--sizes", default="512,1024", help="grid columns to time (comma-separated)")
    ap.add_argument("--no-first", action="store_true", help="skip the fresh-process first-step timing")
    ap.add_argument("--cpu", action="store_true", help="time with the process's CPU clock, not the wall clock "
                    "(needs --threads 1)")
    ap.add_argument("--stat", choices=("median", "min"), default="median", help="statistic of the timed steps "
                    "(of the means over each cycle of plate_interval steps)")
    ap.add_argument("--interval", type=int, default=None,
                    help="lithosphere.plate_interval: plates move every N steps (default: the configuration's)")
    args = ap.parse_args(argv)
    if args.interval is not None and not 1 <= args.interval <= 60:
        ap.error(f"--interval must be in [1, 60], got {args.interval}")
    if args.threads:
        planet.set_threads(args.threads)
    import numba
    threads = numba.get_num_threads()
    if args.cpu:
        if threads > 1:
            # with more threads the CPU clock also counts the idle workers spinning between parallel loops
            # (OpenMP's wait policy): a serial part then reads as dear as its wall time on every core
            ap.error(f"--cpu needs one Numba thread (--threads 1): the process's CPU clock sums every thread's "
                     f"time, idle spinning included; got {threads} threads")
        # the stage's lap timer (``--split``) reads ``time.perf_counter`` through its module's ``time``
        clock_module.time = SimpleNamespace(perf_counter=time.process_time)
    print(machine())
    print(f"threads: {threads}, cpus: {os.cpu_count()}")
    if not args.no_first:
        print(f"import + first step, fresh process, warm cache: {first_step_seconds():.2f} s")
    sizes = [int(x) for x in args.sizes.split(",")]
    steps = 128 if args.quick else 320       # steps per resolution and phase (whole cycles)
    print(f"{'grid':>10} {'t':>5} {'ms/step':>8} {'ns/cell':>8} {'steps/s':>8} {'floor ms':>9} {'ratio':>6}")
    for until in (float(x) for x in args.phases.split(",")):
        runs = [Run(res, until, args.split, time.process_time if args.cpu else time.perf_counter, args.interval)
                for res in sizes]
        for _ in range(-(-steps // runs[0].n)):        # the resolutions' cycles alternate
            for run in runs:
                run.cycle()
        ms = {}
        for run in runs:
            res = run.res
            r = run.result(np.median if args.stat == "median" else np.min)
            ms[res] = r["ms"]
            print(f"{res}x{res // 2:<5} {until:5.0f} {r['ms']:8.2f} {r['ns_cell']:8.1f} {r['steps_s']:8.0f} "
                  f"{r['floor_ms']:9.3f} {r['ratio']:6.1f}   (mean {r['mean_ms']:.2f} ms; warm-up took "
                  f"{r['warm_s']:.0f} s)")
            if args.split:
                print_split(r["split"], r["floor_ms"])
        if 512 in ms and 1024 in ms:
            by = {run.res: run.cycle_ms() for run in runs}
            paired = np.median(np.array(by[1024]) / np.array(by[512]))
            print(f"  1024x512 / 512x256 at t={until:g} s: {ms[1024] / ms[512]:.2f} (target <= 4.5); "
                  f"median over the {len(by[512])} pairs of cycles timed one after the other: {paired:.2f}")
    if args.geology:
        sec = bench_geology()
        print(f"geology 15 s -> 126 s at 512x256 (6660 steps): {sec:.1f} s ({1e3 * sec / 6660:.2f} ms/step)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
