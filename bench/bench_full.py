"""Full-step benchmark: ms per step of every stage, and the ratio to a floor kernel.

    PYTHONPATH=. python bench/bench_full.py [--resolutions 512 1024] [--steps 60] [--threads 2]

The floor is ``bench/floor.py``'s 4-field 5-point float32 stencil (``njit(parallel=True)``),
about the least work a step over the grid can do; it is measured in the same
run, interleaved with the steps, so the ratio survives a noisy shared machine
better than the milliseconds do. The world starts from the protoplanet moved
to ``--start`` film seconds (default 130: oceans, life and humans all
active) and warms up for ``--warmup`` steps before timing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import planet  # noqa: E402
from bench.floor import Floor  # noqa: E402
from planet.core.state import State  # noqa: E402

f32 = np.float32


def bench(resolution: int, steps: int, start: float, warmup: int, robust: str = "median") -> dict:
    world = planet.Planet(resolution=resolution, seed=0)
    fps = world.config.schedule.fps
    state = State(world.state.fields, step=int(start * fps), seed=0, config=world.config, stages=world.state.stages)
    world = planet.Planet.from_state(state, stages=planet.model.DEFAULT_STAGES)
    world.step(warmup)
    times = {name: [] for name in world.stages}
    floor = []
    fl = Floor(*state.shape)

    def timed_floor(_state):          # interleaved with the steps, so both see the same machine
        t0 = time.perf_counter()
        fl.run()
        floor.append(time.perf_counter() - t0)

    world.step(steps, on_step=timed_floor, on_stage=lambda name, sec: times[name].append(sec))
    stat = statistics.median if robust == "median" else min
    per = {k: stat(v) * 1e3 for k, v in times.items()}
    return {"floor": stat(floor) * 1e3, **per}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolutions", type=int, nargs="+", default=[512, 1024])
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--start", type=float, default=130.0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--stat", choices=("median", "min"), default="median",
                    help="per-stage statistic over the timed steps (min: best case on a busy machine)")
    args = ap.parse_args(argv)
    if args.threads:
        planet.set_threads(args.threads)
    print(f"threads={numba.get_num_threads()} steps={args.steps} start={args.start}s ({args.stat}, ms per step)")
    for res in args.resolutions:
        r = bench(res, args.steps, args.start, args.warmup, args.stat)
        stages = {k: v for k, v in r.items() if k != "floor"}
        total = sum(stages.values())
        parts = "  ".join(f"{k} {v:.2f}" for k, v in stages.items())
        mine = sum(v for k, v in stages.items() if k != "lithosphere")
        print(f"{res}x{res // 2}: floor {r['floor']:.3f}  |  {parts}  |  total {total:.2f} "
              f"({total / r['floor']:.1f}x floor; climate+atmosphere+life {mine:.2f} = {mine / r['floor']:.1f}x)  "
              f"|  story of 15000 steps ≈ {total * 15:.0f} s")


if __name__ == "__main__":
    main()
