"""The whole story's cost, and the demo film's, counted in floor kernels (issue 13's two budgets).

    PYTHONPATH=. python bench/bench_story.py [--resolution 1024] [--end 250] [--every 60] [--threads N]
    PYTHONPATH=. python bench/bench_story.py --film [--resolution 512] [--end 250]

**Story** (default): a world of ``--resolution`` columns, seed 0, stepped from the protoplanet to
``--end`` film seconds (the story's end: 15 000 steps). Every ``--every`` steps the floor kernel
(``bench/floor.py``) of the unit grid, 1024×512, runs three times and the fastest is kept, so the
floor is sampled all along the run, under the same load as the steps. Each phase of the story
(the timeline's epochs) is charged its step time divided by the median floor sampled during it;
the total is the sum of the phases. Issue 13's budget: 450 000 floor kernels at 1024 columns.

**Film** (``--film``): the built-in film at 1280×720, 30 frames per second, simulated at
``--resolution`` columns (512, as ``make demo``), rendered to a temporary MP4 with the default
backend and threads, as ``planet demo`` renders it (the posters apart). The floor cannot run
during the film without disturbing it: it is timed 30 times before and 30 times after, and the
film's wall time is given in the fastest pass of each (as ``bench_full.py --stat min`` times it; the
budget's count) and in their medians. Issue 13's budget: 400 000 floor kernels of
1024×512 for the 7500 frames.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numba

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import planet  # noqa: E402
from bench.bench_lithosphere import interval_config  # noqa: E402
from bench.floor import Floor, machine  # noqa: E402

UNIT = (512, 1024)          # issue 13 counts both budgets in floor kernels of 1024×512


def floor_sample(fl: Floor, n: int = 3) -> float:
    """The fastest of ``n`` floor passes, seconds."""
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fl.run()
        best = min(best, time.perf_counter() - t)
    return best


def story(resolution: int, end: float, every: int, interval: int | None = None) -> None:
    config = interval_config(interval)
    world = planet.Planet(resolution=resolution, seed=0, config=config)
    tl = world.timeline
    target = tl.step_of(end)
    epochs = sorted(tl.epochs.items(), key=lambda kv: kv[1])
    fl = Floor(*UNIT)
    phase_of = []                                          # (name, start s, end s) of each phase
    for k, (name, t0) in enumerate(epochs):
        t1 = epochs[k + 1][1] if k + 1 < len(epochs) else float("inf")
        if t1 > t0:
            phase_of.append((name, t0, t1))

    def phase(t: float) -> str:
        for name, t0, t1 in phase_of:
            if t0 <= t < t1:
                return name
        return phase_of[-1][0]

    spent = {}        # phase -> [seconds of steps, steps]
    floors = {}       # phase -> floor samples (s)

    print(f"story at {resolution}x{resolution // 2}, seed 0, plate_interval "
          f"{config.lithosphere.plate_interval}, to t = {end:g} s ({target} steps), "
          f"threads={numba.get_num_threads()}, floor of {UNIT[1]}x{UNIT[0]} every {every} steps", flush=True)
    t_start = time.perf_counter()

    # step in chunks of ``every``, timing each chunk and sampling the floor between them
    while world.state.step < target:
        name = phase(world.state.time + 0.5 / tl.fps)
        bound = next(t1 for nm, _, t1 in phase_of if nm == name)
        to_bound = tl.step_of(bound) - world.state.step if bound < float("inf") else target
        n = max(1, min(every, target - world.state.step, to_bound))   # a chunk stays within its phase
        t0 = time.perf_counter()
        world.step(n)
        dt = time.perf_counter() - t0
        rec = spent.setdefault(name, [0.0, 0])
        rec[0] += dt
        rec[1] += n
        floors.setdefault(name, []).append(floor_sample(fl))
    wall = time.perf_counter() - t_start
    total_kernels = 0.0
    total_s = 0.0
    print(f"{'phase':>16} {'from s':>7} {'steps':>6} {'seconds':>8} {'ms/step':>8} {'floor ms':>9} "
          f"{'x floor/step':>13} {'floor kernels':>14}")
    for name, t0, _ in phase_of:
        if name not in spent:
            continue
        sec, n = spent[name]
        fm = statistics.median(floors[name])
        kernels = sec / fm
        total_kernels += kernels
        total_s += sec
        print(f"{name:>16} {t0:>7.1f} {n:>6} {sec:>8.1f} {1e3 * sec / n:>8.2f} {1e3 * fm:>9.3f} "
              f"{kernels / n:>13.1f} {kernels:>14.0f}")
    print(f"{'story':>16} {'':>7} {target:>6} {total_s:>8.1f} {1e3 * total_s / max(target, 1):>8.2f} "
          f"{'':>9} {total_kernels / max(target, 1):>13.1f} {total_kernels:>14.0f}   (wall with the floor "
          f"samples {wall:.0f} s)")


def film(resolution: int, end: float, interval: int | None = None) -> None:
    from planet.render.film import render_film, summary

    config = interval_config(interval)
    fl = Floor(*UNIT)
    before = [floor_sample(fl, 1) for _ in range(30)]
    with tempfile.TemporaryDirectory() as tmp:
        world = planet.Planet(resolution=resolution, seed=0, config=config)
        stats = render_film(Path(tmp) / "earth.mp4", world=world, end=end, progress=False)
        print(summary(stats))
    after = [floor_sample(fl, 1) for _ in range(30)]
    wall = stats["wall_s"]
    frames = max(stats["frames"], 1)
    print(f"film: {stats['frames']} frames, {wall:.1f} s wall, threads={numba.get_num_threads()}; floor "
          f"{UNIT[1]}x{UNIT[0]}, 30 passes before and 30 after:")
    # the budget is counted with the fastest pass (``bench_full.py --stat min``): the floor's own noise
    # only ever slows it, and a slowed floor would flatter the film; the medians are shown beside it
    for label, pick in (("fastest", min), ("median", statistics.median)):
        fb, fa = pick(before), pick(after)
        print(f"  {label:>7}: {1e3 * fb:.3f} ms before, {1e3 * fa:.3f} ms after: {wall / fb:.0f} / "
              f"{wall / fa:.0f} floor kernels ({wall / fb / frames:.1f} / {wall / fa / frames:.1f} per frame)"
              + ("   <- the budget's count" if pick is min else ""))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=int, default=None, help="columns (default 1024; 512 with --film)")
    ap.add_argument("--end", type=float, default=250.0, help="film seconds to run to (default 250, the story's end)")
    ap.add_argument("--every", type=int, default=60, help="steps between floor samples (default 60)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--film", action="store_true", help="time the demo film instead of the bare story")
    ap.add_argument("--interval", type=int, default=None,
                    help="lithosphere.plate_interval: plates move every N steps (default: the configuration's)")
    args = ap.parse_args(argv)
    res = args.resolution or (512 if args.film else 1024)
    if res < 128 or res % 2:
        ap.error(f"--resolution must be an even number >= 128, got {res}")
    if not 0 < args.end <= 250:
        ap.error(f"--end must be film seconds in (0, 250], got {args.end}")
    if args.every < 1:
        ap.error(f"--every must be >= 1, got {args.every}")
    if args.interval is not None and not 1 <= args.interval <= 60:
        ap.error(f"--interval must be in [1, 60], got {args.interval}")
    if args.threads:
        planet.set_threads(args.threads)
    print(machine(), flush=True)
    if args.film:
        film(res, args.end, args.interval)
    else:
        story(res, args.end, args.every, args.interval)


if __name__ == "__main__":
    main()
