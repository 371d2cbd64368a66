"""How fast the notebook explorer answers at 512 columns on the CPU backend (ms per interaction).

    PYTHONPATH=. python bench/bench_explore.py [--resolution 512] [--repeat 7] [--threads N]

Records a short history with fields at 512 columns (stored on a 128-column grid, the default), then
times each kind of interaction as a user makes it: the widget's value changes (or, for a drag, the
message the front end sends) up to the new PNG in the picture widget, i.e. state lookup, render and
PNG encoding. Issue 14 asks every interaction to answer "in well under a second"; the last lines
give the slowest interaction (its median and its worst time) against that second, and the floor
kernel (``bench/floor.py``) measured in the same run, because the machine is shared.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numba

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import planet  # noqa: E402
from bench.floor import Floor, machine  # noqa: E402
from planet.render.explore import DragImage, explore  # noqa: E402

LIMIT_MS = 1000.0


def drag(ex, lon, lat):
    """What a drag sends from the front end: one comm 'update' message with both traits."""
    ex.image._handle_msg({"content": {"data": {"method": "update", "state": {"lon": lon, "lat": lat},
                                               "buffer_paths": []}}, "buffers": []})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--resolution", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None, help="Numba threads (default: all)")
    args = ap.parse_args()
    print(machine())
    if args.threads:
        planet.set_threads(args.threads)
    floor = Floor(args.resolution // 2, args.resolution)
    floor_before = floor.time_ms()
    t0 = time.perf_counter()
    world = planet.Planet(args.resolution, seed=0)
    world.run(2.0, record_every=30, record="fields")
    print(f"world: {args.resolution} columns, {len(world.history['step'])} recorded snapshots + the present state "
          f"({time.perf_counter() - t0:.0f} s to make); {os.cpu_count()} cores, {numba.get_num_threads()} Numba "
          f"threads; backend cpu; map {768}x{384}, globe {480}x{480}")
    ex = explore(world, backend="cpu")
    ex.redraw()  # compile and warm up
    last = len(ex.snapshots) - 1
    results = []

    def timed(label, change):
        change(-1)          # a first change of this kind (fills caches), not timed
        times = []
        for k in range(args.repeat):
            t = time.perf_counter()
            change(k)
            times.append(1000 * (time.perf_counter() - t))
        results.append((label, statistics.median(times), max(times)))
        print(f"{label:<40} median {results[-1][1]:7.1f} ms   max {results[-1][2]:7.1f} ms")

    timed("snapshot (time slider, 128-col fields)", lambda k: setattr(ex.time, "value", (k + 1) % last))
    timed("present state (512 cols), view change", lambda k: (setattr(ex.time, "value", last),
                                                             setattr(ex.view, "value", ("satellite", "plates")[k % 2])))
    timed("view change (map, 512 cols)", lambda k: setattr(ex.view, "value", ("rivers", "temperature", "life")[k % 3]))
    timed("map lon slider", lambda k: setattr(ex.lon, "value", 10.0 * (k + 2)))
    timed("map <-> globe", lambda k: setattr(ex.projection, "value", ("globe", "map")[k % 2]))
    ex.projection.value = "globe"
    timed("globe lon slider", lambda k: setattr(ex.lon, "value", 10.0 * (k + 2)))
    timed("globe lat slider", lambda k: setattr(ex.lat, "value", -40.0 + 15 * (k + 1)))
    if DragImage is not None and isinstance(ex.image, DragImage):
        timed("globe drag (one front-end message)", lambda k: drag(ex, 200.0 + 7.5 * k, 10.0 - 3.5 * k))
    else:
        print("globe drag: anywidget is not installed (pip install 'planet[notebook]'); not measured")
    floor_after = floor.time_ms()
    floor_ms = min(floor_before, floor_after)
    label, median, _ = max(results, key=lambda r: r[1])
    worst_label, _, worst = max(results, key=lambda r: r[2])
    verdict = "OK" if worst < LIMIT_MS else "TOO SLOW"
    print(f"floor kernel at {args.resolution}x{args.resolution // 2}: {floor_before:.3f} ms before, "
          f"{floor_after:.3f} ms after the interactions")
    print(f"slowest interaction by median: {label}, {median:.0f} ms ({median / floor_ms:.0f}x floor)")
    print(f"worst single interaction: {worst_label}, {worst:.0f} ms; limit {LIMIT_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
