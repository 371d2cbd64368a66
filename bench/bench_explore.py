"""How fast the notebook explorer answers at 512 columns on the CPU backend (ms per interaction).

    python bench/bench_explore.py

Records a short history with fields at 512 columns (on a 128-column grid, the default), then
times each kind of interaction: a new snapshot, a new view, the globe, turning it.
"""
import statistics
import time

import planet
from planet.render.explore import explore

world = planet.Planet(512, seed=0)
world.run(2.0, record_every=30, record="fields")
ex = explore(world, backend="cpu")
ex.redraw()  # compile and warm up


def timed(label, change, repeat=5):
    times = []
    for k in range(repeat):
        t0 = time.perf_counter()
        change(k)
        times.append(time.perf_counter() - t0)
    print(f"{label:<28} median {1000 * statistics.median(times):7.1f} ms  max {1000 * max(times):7.1f} ms")


timed("snapshot (128-col history)", lambda k: setattr(ex.time, "value", k % (len(ex.snapshots) - 1)))
timed("present state (512 cols)", lambda k: (setattr(ex.time, "value", len(ex.snapshots) - 1),
                                             setattr(ex.view, "value", ("satellite", "plates")[k % 2])))
timed("view change (512 cols)", lambda k: setattr(ex.view, "value", ("rivers", "temperature", "life")[k % 3]))
ex.projection.value = "globe"
timed("globe lon (512 cols)", lambda k: setattr(ex.lon, "value", 10.0 * k))
timed("globe lat (512 cols)", lambda k: setattr(ex.lat, "value", -40.0 + 15 * k))
