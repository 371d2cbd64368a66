"""Where a film frame's time goes: ``render_film`` on a real world with every stage, each part timed.

    PYTHONPATH=. python bench/film_split.py [--at 40,150] [--seconds 2] [--worlds /tmp/film]

For each start time ``t0`` a world of 512 columns (seed 0, every stage) is simulated to
``t0 − 2`` s, or loaded from ``WORLDS/w{t0-2}.npz`` where that exists (it is saved there
otherwise), run to ``t0`` and filmed for ``--seconds`` at 1280×720 into an MP4, exactly as
``planet demo`` does. The parts are timed by wrapping the functions the film calls (the film's
code is not changed): per frame, milliseconds of

* wait: the film waiting for the simulation (``render_film``'s ``sim_s``); sim: the simulation's
  own wall time in its thread (it overlaps the drawing);
* shot (storyboard frame + projection parameters), pack (``pack_fields``: the copy of the fields),
  cells A / cells B (``cpu.cell_colours`` of the view and of the second view), geometry
  (``projection.geometry``, only when the camera's latitude or morph changes), atm table
  (``atmosphere.atmosphere_table``), project (``projection.project``: lights, sampling,
  lighting, atmosphere, gamma into uint8), caption, write (handing the frame to the encoder);
* the encoder's CPU (ffmpeg, its own process: its user + system time) and this process's CPU.

The floor kernel (``bench/floor.py`` at 1024×512) is timed in the same run, before and after, and
every figure is also given in floor kernels; the frames per second and the cost of the 7500-frame
film in floor kernels at that rate close each line.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import planet  # noqa: E402
from bench.floor import Floor, machine  # noqa: E402
from planet.render import atmosphere, backend, cpu, film, projection  # noqa: E402

FILM_FRAMES = 7500


def world_at(t0: float, folder: Path | None):
    """A 512-column world with every stage, 2 s before ``t0`` (cached in ``folder``)."""
    t_load = t0 - 2.0
    path = None if folder is None else folder / f"w{int(t_load)}.npz"
    if path is not None and path.exists():
        world = planet.load(path)
    else:
        world = planet.Planet(512, 0)
        world.run(until=t_load, progress=False)
        if path is not None:
            folder.mkdir(parents=True, exist_ok=True)
            world.save(path)
    world.run(until=t0, progress=False)
    return world


class Timers:
    """Wraps module functions with wall-clock accumulators (restored by ``undo``)."""

    def __init__(self):
        self.ms = defaultdict(float)
        self._undo = []

    def wrap(self, module, name: str, label: str, pick=None):
        fn = getattr(module, name, None)
        if fn is None:              # an older renderer (the benchmark also measures the code before a change)
            return

        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self.ms[pick(a) if pick else label] += (time.perf_counter() - t) * 1e3

        setattr(module, name, timed)
        self._undo.append((module, name, fn))

    def undo(self):
        for module, name, fn in reversed(self._undo):
            setattr(module, name, fn)
        self._undo.clear()


def film_split(t0: float, seconds: float, folder, size=(1280, 720), preset="veryfast"):
    world = world_at(t0, folder)
    timers = Timers()
    timers.wrap(film, "frame", "shot")
    timers.wrap(film, "pack_fields", "pack")
    # the first cell pass of a frame is the view (A), a second one with night_side the second view (B)
    be = backend.get_backend("cpu")
    timers.wrap(cpu, "cell_colours", "", pick=lambda a: "cells B" if a[6] is be._buffers.get("B") else "cells A")
    timers.wrap(projection, "geometry", "geometry")
    timers.wrap(atmosphere, "atmosphere_table", "atm table")
    timers.wrap(projection, "project_spans", "project")
    timers.wrap(projection, "project", "project")
    timers.wrap(projection, "spans", "geometry")
    timers.wrap(film.Captions, "draw", "caption")
    timers.wrap(world, "step", "sim")
    from planet.render import video

    timers.wrap(video.VideoWriter, "write", "write")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0 = time.process_time()
    try:
        with tempfile.TemporaryDirectory() as d:
            stats = film.render_film(os.path.join(d, "f.mp4"), size=size, fps=30, backend="cpu", start=t0,
                                     end=t0 + seconds, world=world, progress=False, preset=preset)
    finally:
        timers.undo()
    cpu_s = time.process_time() - c0
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = stats["frames"]
    split = {k: v / n for k, v in timers.ms.items()}
    split["wait"] = stats["sim_s"] * 1e3 / n
    split["render"] = stats["render_s"] * 1e3 / n
    split["wall"] = stats["wall_s"] * 1e3 / n
    split["encoder cpu"] = ((ch.ru_utime - children.ru_utime) + (ch.ru_stime - children.ru_stime)) * 1e3 / n
    split["python cpu"] = cpu_s * 1e3 / n
    return split


ORDER = ("wall", "wait", "render", "shot", "pack", "cells A", "cells B", "geometry", "atm table", "project",
         "caption", "write", "sim", "encoder cpu", "python cpu")


def film_starts(ap: argparse.ArgumentParser, text: str) -> list[float]:
    """``--at``: film seconds separated by commas, each in [5, 245] (else ``ap.error``, one line)."""
    try:
        starts = [float(v) for v in text.split(",")]
    except ValueError:
        ap.error(f"--at must be film seconds separated by commas, got {text!r}")
    if not all(5.0 <= t <= 245.0 for t in starts):
        ap.error(f"--at must be film seconds in [5, 245], got {text!r}")
    return starts


def add_film_options(ap: argparse.ArgumentParser, seconds: float, repeat: int) -> None:
    """The film benchmarks' shared options: ``--at``, ``--seconds`` (default ``seconds``), ``--worlds``
    and ``--repeat`` (default ``repeat``); ``film_options`` checks them."""
    ap.add_argument("--at", default="40,150", help="film seconds to start at, comma separated")
    ap.add_argument("--seconds", type=float, default=seconds, help="film seconds drawn at each start")
    ap.add_argument("--worlds", default=os.path.join(tempfile.gettempdir(), "planet-film-worlds"),
                    help="folder caching the worlds ('' for none)")
    ap.add_argument("--repeat", type=int, default=repeat)


def film_options(ap: argparse.ArgumentParser, a, seconds_range: tuple[float, float]) -> list[float]:
    """The start times of ``add_film_options``' parsed ``a`` (``film_starts``), after checking that
    ``--seconds`` lies in ``seconds_range`` and ``--repeat`` is at least 1 (else ``ap.error``, one line)."""
    starts = film_starts(ap, a.at)
    lo, hi = seconds_range
    if not lo <= a.seconds <= hi:
        ap.error(f"--seconds must be in [{lo:g}, {hi:g}], got {a.seconds}")
    if a.repeat < 1:
        ap.error(f"--repeat must be >= 1, got {a.repeat}")
    return starts


def main():
    ap = argparse.ArgumentParser()
    add_film_options(ap, seconds=2.0, repeat=1)
    ap.add_argument("--preset", default="veryfast")
    a = ap.parse_args()
    starts = film_options(ap, a, (0.1, 60))
    print(machine())
    report(starts, a.seconds, Path(a.worlds) if a.worlds else None, a.repeat, a.preset)


def report(starts, seconds, folder, repeat=1, preset="veryfast"):
    """Print the split of each start time (medians over ``repeat`` films; floor before and after each)."""
    folder = Path(folder) if folder else None
    floor = Floor(512, 1024)
    for t0 in starts:
        runs, floors = [], [floor.time_ms()]
        for _ in range(repeat):
            runs.append(film_split(t0, seconds, folder, preset=preset))
            floors.append(floor.time_ms())
        f = float(np.median(floors))
        med = {k: float(np.median([r.get(k, 0.0) for r in runs])) for k in ORDER}
        print(f"film at t = {t0:g} s, {seconds:g} s of film x {repeat}, floor (1024x512) {f:.3f} ms "
              f"(runs {', '.join(f'{v:.3f}' for v in floors)})")
        print(f"  {'part':<14}{'ms/frame':>10}{'floors':>9}")
        for k in ORDER:
            print(f"  {k:<14}{med[k]:>10.2f}{med[k] / f:>9.1f}")
        fps = 1e3 / med["wall"]
        print(f"  {fps:.1f} frames/s; the 7500-frame film at this rate: {FILM_FRAMES / fps:.0f} s = "
              f"{FILM_FRAMES * med['wall'] / f:,.0f} floor kernels (target 400,000)")

if __name__ == "__main__":
    main()
