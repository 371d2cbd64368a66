"""The film (spec §8): the whole story, simulated and rendered together.

What is shown when is a storyboard (``render/storyboard.py``: a list of
shots, each a time range with a view or the globe, a camera path and
captions). Without one, the film is ``storyboard.DEFAULT``, in film seconds
(from the configuration's schedule where it names an epoch):

* 0–20 s: the protoplanet as a turning globe, unwrapping into the map from
  10 s (``Camera.unwrap``), the turn slowing to a stop at 20 s;
* 20–103 s: the map, wiping left to right into plates (35 s), rivers (43 s),
  temperature (51 s), flow (67 s), life (83 s) and back to satellite
  (101 s), each wipe taking 2 s;
* 103–113 s: the map rewraps into the globe, which starts to turn;
* from 113 s: the turning globe; day and night from day/night start (the
  night view, with city lights, across the terminator), the CO2 view blended
  over it from CO2 start to overlay end, warming in the temperatures, and a
  fade to black over the last 5 s before story end. Gamma 1/1.5 throughout.

Frame ``k`` shows film time ``t = start + k / fps``; the simulation is
stepped to ``floor(t · 60)`` (60 steps per film second) before the frame is
drawn, so at 30 fps each frame advances 2 steps. No state is stored; the
frame count is exactly ``round((end − start) · fps)`` less the frames that
fall between a storyboard's shots (none for the built-in film).
"""
from __future__ import annotations

import math
import queue
import threading
import time as _time
from pathlib import Path

import numpy as np
from numba import njit

from planet.core.timeline import Timeline
from planet.world import kernels_run_concurrently

from . import check_size
from .backend import get_backend
from .scene import PACKED, Q_FADE, pack_fields
from .storyboard import DEFAULT, Frame, at, frame, frames, resolve
from .video import PRESETS, VideoWriter, check_fps, check_output, check_quality

#: captions: (film seconds or epoch name, phrase, view), shown after the date. A phrase that names a
#: view (the built-in film shows that view from that time on) is only said while the frame shows
#: that view; a storyboard showing another view there gets the latest phrase that fits it
CAPTIONS = (("start", "a molten protoplanet", None), ("ocean_start", "oceans form", None),
            ("land_start", "continents rise", None), ("land_end", "the crust cools", None),
            (35.0, "tectonic plates", "plates"), (43.0, "river basins", "rivers"),
            (51.0, "temperature", "temperature"), (67.0, "winds and pressure", "flow"),
            (83.0, "life spreads", None), (101.0, "a living planet", None),
            ("daynight_start", "day and night", None), ("human_start", "humans appear", None),
            ("tectonics_end", "the plates come to rest", None), ("co2_start", "carbon dioxide rises", None),
            ("warming_start", "the world warms", None), ("warming_end", "a warmer world", None))

#: what one frame shows (the old name of ``storyboard.Frame``)
Shot = Frame


def shot(t: float, size, timeline: Timeline, year: float = 24.0, storyboard=None) -> Frame | None:
    """The frame at film time ``t`` of ``storyboard`` (default: the built-in film, ``storyboard.DEFAULT``);
    None where no shot covers ``t``."""
    resolved = resolve(DEFAULT if storyboard is None else storyboard, timeline)
    r = at(resolved, t)
    return None if r is None else frame(r, t, size, timeline, year)


def caption(t: float, timeline: Timeline, view: str | None = None) -> str:
    """'4.0 billion years ago - oceans form' (the default font has no em dash). ``view``: the view
    the frame's shot shows (phrases that name another view are skipped); None: every phrase."""
    phrase = ""
    for when, text, names in CAPTIONS:
        if t >= timeline.seconds(when) and (view is None or names is None or names == view):
            phrase = text
    return f"{timeline.date(t)} - {phrase}" if phrase else timeline.date(t)


class Captions:
    """Draws a caption in the lower-left corner; Pillow renders each distinct text once."""

    def __init__(self, size):
        from PIL import ImageFont

        w, h = size
        self.px = max(10, h // 28)
        self.font = ImageFont.load_default(size=self.px)
        self.margin = max(6, h // 30)
        self._cache: dict[str, np.ndarray] = {}

    def _patch(self, text: str) -> np.ndarray:
        patch = self._cache.get(text)
        if patch is None:
            from PIL import Image, ImageDraw

            box = self.font.getbbox(text)
            im = Image.new("L", (box[2] + 4, box[3] + 4), 0)
            ImageDraw.Draw(im).text((2, 2), text, fill=255, font=self.font)
            patch = np.asarray(im, dtype=np.float32) / 255.0
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[text] = patch
        return patch

    def draw(self, frame: np.ndarray, text: str, alpha: float = 1.0) -> None:
        """Lighten ``frame`` towards white under the text at opacity 0.9 ``alpha``, in float32:
        ``c + (255 − c) a``, truncated to uint8 (``_lighten``, only where the text has ink)."""
        a = self._patch(text) * (0.9 * alpha)
        h, w = frame.shape[:2]
        ph, pw = a.shape
        y0, x0 = h - self.margin - ph, self.margin
        if y0 < 0 or x0 + pw > w:
            return
        _lighten(frame[y0:y0 + ph, x0:x0 + pw], a)


@njit(cache=True, nogil=True)
def _lighten(region, a):
    """``region = uint8(c + (255 − c) a)`` per channel ``c`` (float32, as NumPy computes it on the
    whole region), skipping the pixels where ``a`` is 0 (there ``c`` + 0 is ``c``): a caption
    covers a few percent of its box with ink."""
    for y in range(region.shape[0]):
        for x in range(region.shape[1]):
            w = a[y, x]
            if w == np.float32(0.0):
                continue
            for c in range(3):
                v = np.float32(region[y, x, c])
                region[y, x, c] = np.uint8(v + (np.float32(255.0) - v) * w)


def frame_count(start: float, end: float, fps: int) -> int:
    return int(round((end - start) * fps))


def _prepare(out, size, fps, quality, preset, backend, resolution, seed, start, end, world, max_time, storyboard):
    """Every check of ``render_film``'s arguments, before any step: ``(size, fps, quality, backend,
    world, shots, plan)``, ``plan`` the (film time, shot) of each frame drawn."""
    import planet

    size = check_size(size)
    fps = check_fps(fps)
    quality = check_quality(quality)
    check_output(out)                    # before any simulation: a bad --out fails now, not after it
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {preset!r}")
    be = get_backend(backend)
    if world is None:
        world = planet.Planet(resolution, seed)
    timeline = world.timeline
    shots = resolve(DEFAULT if storyboard is None else storyboard, timeline)
    if start is None:
        start = max(shots[0].t0, world.time)
    if end is None:
        end = shots[-1].t1 if math.isfinite(shots[-1].t1) else timeline.schedule.story_end
        if end <= shots[-1].t0:
            raise ValueError(f"the storyboard's last shot starts at {shots[-1].t0:g} s, at or after story end "
                             f"({end:g} s), and has no end: give it one (or the film an end)")
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be film seconds >= 0, got {value!r}")
    if not start < end:
        raise ValueError(f"start must be before end (film seconds), got start={start} end={end}")
    from planet.world import check_run_length

    check_run_length(timeline, end, world.config, max_time, "end")
    if frame_count(start, end, fps) < 1:
        raise ValueError(f"the film from start={start} to end={end} at fps={fps} has no frame")
    plan = frames(shots, start, frame_count(start, end, fps), fps)   # (film time, shot) of each frame drawn
    if len(plan) < 1:
        raise ValueError(f"no shot of the storyboard is in the film from {start:g} s to {end:g} s (its shots run "
                         f"from {shots[0].t0:g} s to {shots[-1].t1:g} s)")
    first_step = int(math.floor(plan[0][0] * timeline.fps + 1e-9))
    if world.state.step > first_step:
        raise ValueError(f"start={start} is before the world's time {world.time:g} s")
    return size, fps, quality, be, world, shots, plan


#: frames the simulation may run ahead of the drawing, and the most memory their planes may hold
AHEAD_FRAMES = 8
AHEAD_BYTES = 256 * 2**20
#: steps the run-ahead simulation takes between looks at whether the film was stopped
AHEAD_CHUNK = 16


def ahead_depth(shape) -> int:
    """Frames the simulation runs ahead on a grid of ``shape``: ``AHEAD_FRAMES``, fewer where the planes a
    queued frame keeps alive (``scene.pack_fields``: up to ``len(PACKED)`` float32 planes, the state's own
    arrays and the drainage plane) would pass ``AHEAD_BYTES``."""
    planes = len(PACKED) * int(shape[0]) * int(shape[1]) * 4
    return max(1, min(AHEAD_FRAMES, AHEAD_BYTES // max(planes, 1)))


class _Failed:
    """An exception of the run-ahead thread, handed to the drawing thread in the queue."""

    def __init__(self, error: BaseException):
        self.error = error


class RunAhead:
    """The film's simulation in a second thread, up to ``depth`` frames ahead of the drawing.

    For frame ``k`` of ``plan`` it steps ``world`` to ``target_of(k)`` and puts the planes of its fields
    (``pack_fields``: the state's own arrays, not copies; a step never writes the arrays of an earlier
    state, so the simulation goes on while the frame is drawn from them) into a bounded queue;
    ``get()`` hands them over in order. Each frame is drawn from the state it would be drawn from
    without the thread, so the frames are the same. Running ahead, the simulation takes the
    cores the drawing leaves (its serial parts, the encoder's gaps) and absorbs the frames whose
    steps cost more than a drawing (a plate move), instead of the drawing waiting for them.
    ``close()`` stops it within ``AHEAD_CHUNK`` steps; the world is then at some frame's step at
    most, never beyond the film's last."""

    def __init__(self, world, plan, target_of, depth: int, river_links):
        self._world, self._plan, self._target_of = world, plan, target_of
        self._links = river_links      # (t, shot) → pack the rivers drawn whole
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, int(depth)))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="planet-film-sim", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self):
        world = self._world
        try:
            for k, (t, j) in enumerate(self._plan):
                target = self._target_of(k)
                while world.state.step < target:
                    if self._stop.is_set():
                        return
                    world.step(min(AHEAD_CHUNK, target - world.state.step))
                F, P = pack_fields(world.state, t, self._links(t, j))
                if not self._put((F, P)):
                    return
        except BaseException as e:          # handed to the drawing thread, which raises it
            self._put(_Failed(e))

    def get(self):
        """The next frame's ``(F, P)`` (``pack_fields``); raises what the simulation raised."""
        while True:
            try:
                item = self._queue.get(timeout=0.5)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    raise RuntimeError("the film's simulation thread stopped without a frame") from None
        if isinstance(item, _Failed):
            raise item.error
        return item

    def close(self):
        """Stop the thread and wait for it (never leave a thread stepping the caller's world)."""
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join()


def render_film(out, size=(1280, 720), fps: int = 30, backend: str = "auto", quality: float = 7.0,
                resolution: int = 512, seed: int = 0, start: float | None = None, end: float | None = None,
                progress: bool = True, captions: bool = True, world=None, preset: str = "veryfast",
                on_frame=None, overlap: bool = True, max_time: float | None = None, storyboard=None) -> dict:
    """Simulate and render the film into ``out`` (.mp4, .gif, .webp, or a folder for PNG frames).

    Returns timings: ``frames``, ``wall_s``, ``sim_s``, ``render_s``, ``write_s``, and ``overlap``,
    and ``shots``: the number of frames of each shot.
    ``storyboard``: the shots (``storyboard.load`` of a TOML file; default ``storyboard.DEFAULT``);
    ``start`` (default: the first shot's start, or the world's time if later) and ``end`` (default:
    the last shot's end, or story end where it runs on) clip it.
    ``world`` may be a ``planet.Planet`` at or before ``start`` (default: a new
    one from ``resolution`` and ``seed`` with every available stage).
    ``on_frame(k, frame)`` is called for each frame before it is written.
    ``overlap``: simulate in a second thread, up to ``ahead_depth`` frames ahead of the drawing
    (``RunAhead``; the frames are the same either way; off where Numba's threading layer is not
    thread-safe). ``sim_s`` is then the time spent waiting for the simulation, not the simulation's
    own time.
    ``end`` past ``max_time`` (``planet.world.time_bound``: the story's end plus a margin) is refused
    before any step.
    """
    size, fps, quality, be, world, shots, plan = _prepare(
        out, size, fps, quality, preset, backend, resolution, seed, start, end, world, max_time, storyboard)
    n = len(plan)
    steps_per_second = world.timeline.fps
    timeline = world.timeline
    first_step = int(math.floor(plan[0][0] * steps_per_second + 1e-9))
    if first_step > world.state.step:          # simulate up to the first frame, with its own progress bar
        world.run(until=first_step / steps_per_second, progress=progress)
    year = world.config.climate.year
    cap = Captions(size) if captions else None
    stats = {"frames": n, "sim_s": 0.0, "render_s": 0.0, "write_s": 0.0,
             "shots": [sum(1 for _, i in plan if i == j) for j in range(len(shots))]}
    t_wall = _time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, unit="frame", desc=Path(str(out)).name, dynamic_ncols=True)
    # both threads use all of Numba's threads: measured on 2 cores, splitting them (1 + 1) left the
    # renderer, the longer half, on one core and was slower than not overlapping at all
    concurrent = overlap and kernels_run_concurrently()

    def target_of(k: int) -> int:
        return int(math.floor(plan[k][0] * steps_per_second + 1e-9))

    def links(t: float, j: int) -> bool:               # only the frames showing rivers pay for drawing them whole
        return shots[j].shows_rivers(t)

    sim = RunAhead(world, plan, target_of, ahead_depth(world.state.shape), links) if concurrent else None
    try:
        with VideoWriter(out, size, fps=fps, quality=quality, preset=preset) as writer:
            for k, (t, j) in enumerate(plan):
                t0 = _time.perf_counter()
                if sim is not None:
                    F, P = sim.get()                 # stepped and packed in the simulation's thread
                    t1 = _time.perf_counter()
                else:
                    target = target_of(k)
                    if target > world.state.step:
                        world.step(target - world.state.step)
                    t1 = _time.perf_counter()
                    F, P = pack_fields(world.state, t, links(t, j))
                sh = frame(shots[j], t, size, timeline, year)
                image = be.frame(F, P, sh.view, sh.second, sh.overlay_view, sh.overlay, sh.Q, size)
                if cap is not None and sh.captions:
                    text = (caption(t, timeline, sh.shows) if sh.caption is None
                            else sh.caption.replace("{date}", timeline.date(t)))
                    cap.draw(image, text, alpha=float(sh.Q[Q_FADE]))
                if on_frame is not None:
                    on_frame(k, image)
                t2 = _time.perf_counter()
                writer.write(image, copy=False)     # a new array each frame: no copy needed
                t3 = _time.perf_counter()
                stats["sim_s"] += t1 - t0
                stats["render_s"] += t2 - t1
                stats["write_s"] += t3 - t2
                if bar is not None:
                    bar.update(1)
                    if k % 30 == 0:
                        bar.set_postfix_str(timeline.date(t))
    finally:
        if sim is not None:
            sim.close()                              # never leave a thread stepping the caller's world
        if bar is not None:
            bar.close()
    stats["overlap"] = sim is not None
    stats["wall_s"] = _time.perf_counter() - t_wall
    stats["path"] = str(out)
    return stats


def summary(stats: dict) -> str:
    """One line on a film's timings (``render_film``'s result)."""
    fps = stats["frames"] / max(stats["wall_s"], 1e-9)
    sim = "waiting for the simulation" if stats.get("overlap") else "simulation"
    return (f"wrote {stats['path']}: {stats['frames']} frames in {stats['wall_s']:.1f} s ({fps:.1f} frames/s; "
            f"{sim} {stats['sim_s']:.1f} s, rendering {stats['render_s']:.1f} s, writing {stats['write_s']:.1f} s)")


def demo(out_dir="outputs", size=(1280, 720), fps: int = 30, backend: str = "auto", resolution: int = 512,
         seed: int = 0, quality: float = 7.0, progress: bool = True, end: float | None = None) -> dict:
    """``make demo``: the film to ``out_dir/earth.mp4``, then a poster PNG of every view (and the
    globe) of the final state in ``out_dir/posters/``. Returns the film's timings."""
    import planet

    from . import posters

    out = Path(out_dir)
    world = planet.Planet(resolution, seed)      # bad values fail before the folder is made
    out.mkdir(parents=True, exist_ok=True)
    stats = render_film(out / "earth.mp4", size=size, fps=fps, backend=backend, quality=quality, world=world,
                        progress=progress, end=end)
    posters(world.state, out / "posters", size=(2 * size[1], size[1]), backend=backend)
    return stats
