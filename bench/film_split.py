"""Where a film frame's time goes: ``render_film`` on a real world with every stage, each part timed.

    PYTHONPATH=. python bench/film_split.py [--at 40,150] [--seconds 6] [--worlds /tmp/film]

For each start time ``t0`` a world of 512 columns (seed 0, every stage) is simulated to
``t0 − 2`` s, or loaded from ``WORLDS/w{t0-2}.npz`` where that exists (it is saved there
otherwise), run to ``t0`` and filmed for ``--seconds`` at 1280×720 into an MP4, exactly as
``planet demo`` does. The parts are timed by wrapping the functions the film calls (the film's
code is not changed): per frame, milliseconds of

* wait: the drawing waiting for the simulation (its time in ``RunAhead.get``); sim: the
  simulation's own wall time in its thread (it overlaps the drawing); render: the drawing thread's
  time neither waiting nor handing frames to the encoder;
* shot (storyboard frame + projection parameters), pack (``pack_fields``: the planes of the fields, the drainage plane and the rivers drawn whole),
  cells A / cells B (``cpu.cell_colours`` of the view and of the second view), geometry
  (``projection.geometry``, only when the camera's latitude or morph changes), atm table
  (``atmosphere.atmosphere_table``), project (``projection.project``: lights, sampling,
  lighting, atmosphere, gamma into uint8), caption, write (handing the frame to the encoder);
* the encoder's CPU (ffmpeg, its own process: its user + system time) and this process's CPU.

The floor kernel (``bench/floor.py`` at 1024×512) is timed in the same run, before and after, and
every figure is also given in floor kernels; the frames per second and the cost of the 7500-frame
film in floor kernels at that rate close each line.

The figures are those of the film's steady window (``film_split``): its first second and its end
are left out. A short film's averages over all its frames overstate the demo film's: at t = 150 s
two seconds of film read 43.6 ms wall and 15.2 ms of encoder CPU a frame, eight seconds 33.7 and
8.8 (2026-12-06, averaged over all frames); the start of ffmpeg and x264's lookahead and the flush
at the end weigh on 60 frames, not on 7 500.
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


#: frames drawn before the steady window opens (``film_split``): the encoder's start and its lookahead's
#: filling, the run-ahead queue's filling and the first frames' allocations are over by then
WARM_FRAMES = 30


def _cpu_of(pid: int) -> float:
    """Seconds of CPU (user + system, all threads) process ``pid`` has used; NaN where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def film_split(t0: float, seconds: float, folder, size=(1280, 720), preset="veryfast"):
    """Each part's milliseconds per frame (``ORDER``) over the film's steady window: from frame
    ``WARM_FRAMES`` (a third of the frames in shorter films) to the last frame drawn, so that the
    encoder's start and the film's end (x264 then encodes the frames its lookahead holds while the
    drawing waits) do not count, as they hardly do over the 7 500 frames of the demo film. The whole
    film's wall time and encoder CPU a frame are given too ("wall, whole film", "encoder, whole film")."""
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
    timers.wrap(film.RunAhead, "get", "wait")
    timers.wrap(world, "step", "sim")
    from planet.render import video

    writers = []        # the film's writer, whose ffmpeg process the steady window's encoder CPU is read from

    def writing(args):
        if not writers:
            writers.append(args[0])
        return "write"

    timers.wrap(video.VideoWriter, "write", "", pick=writing)
    n = film.frame_count(t0, t0 + seconds, 30)
    first = min(WARM_FRAMES, n // 3)
    last = n - 1
    marks = {}

    def mark(k, image):          # (called before frame k is written)
        if k in (first, last):
            pid = writers[0]._proc.pid if writers and writers[0]._proc is not None else None
            marks[k] = (time.perf_counter(), time.process_time(), dict(timers.ms),
                        _cpu_of(pid) if pid is not None else float("nan"))

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        with tempfile.TemporaryDirectory() as d:
            stats = film.render_film(os.path.join(d, "f.mp4"), size=size, fps=30, backend="cpu", start=t0,
                                     end=t0 + seconds, world=world, progress=False, preset=preset, on_frame=mark)
    finally:
        timers.undo()
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    if stats["frames"] != n or first >= last:
        raise ValueError(f"--seconds {seconds:g} draws {stats['frames']} frames: too few for a steady window")
    (w0, c0, ms0, e0), (w1, c1, ms1, e1) = marks[first], marks[last]
    m = last - first
    split = {k: (v - ms0.get(k, 0.0)) / m for k, v in ms1.items()}
    split["wall"] = (w1 - w0) * 1e3 / m
    split["wait"] = split.get("wait", 0.0)
    split["render"] = split["wall"] - split["wait"] - split.get("write", 0.0)
    split["encoder cpu"] = (e1 - e0) * 1e3 / m
    split["python cpu"] = (c1 - c0) * 1e3 / m
    split["wall, whole film"] = stats["wall_s"] * 1e3 / n
    split["encoder, whole film"] = ((ch.ru_utime - children.ru_utime) + (ch.ru_stime - children.ru_stime)) * 1e3 / n
    return split


ORDER = ("wall", "wait", "render", "shot", "pack", "cells A", "cells B", "geometry", "atm table", "project",
         "caption", "write", "sim", "encoder cpu", "python cpu", "wall, whole film", "encoder, whole film")


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
    add_film_options(ap, seconds=6.0, repeat=1)
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
        print(f"  {'part':<20}{'ms/frame':>10}{'floors':>9}")
        for k in ORDER:
            print(f"  {k:<20}{med[k]:>10.2f}{med[k] / f:>9.1f}")
        fps = 1e3 / med["wall"]
        print(f"  {fps:.1f} frames/s; the 7500-frame film at this rate: {FILM_FRAMES / fps:.0f} s = "
              f"{FILM_FRAMES * med['wall'] / f:,.0f} floor kernels (target 400,000)")

if __name__ == "__main__":
    main()
