"""``Planet``: the notebook-facing API that owns a state and steps it.

    world = planet.Planet(resolution=512, seed=0)
    world.run(until="tectonics_end", progress=True)
    world.state.elevation          # (256, 512) float32
    world.save("outputs/world.npz")
    again = planet.load("outputs/world.npz")
"""
from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterable

import numba
import numpy as np

from planet.core.config import Config
from planet.core.memory import available_memory, keep_heap
from planet.core.grid import Grid, validate_resolution
from .model import DEFAULT_STAGES, REGISTRY, make_stages
from planet.core.stage import Context, check_order, check_output, check_scratch_products
from planet.core.state import State
from planet.core.timeline import Timeline

#: serialises kernel calls where Numba's threading layer must not be entered from two threads at once
_SERIAL_KERNELS = threading.RLock()
_CONCURRENT: bool | None = None


def kernels_run_concurrently() -> bool:
    """Whether Numba's threading layer runs parallel kernels called from two threads at once: omp and
    tbb do; workqueue aborts the process instead. False until a parallel kernel has chosen the layer.

    The simulation kernels release the GIL, so worlds stepped in several threads (a threaded sweep,
    the film's overlapped simulation) run in parallel where this holds and one at a time elsewhere."""
    global _CONCURRENT
    if _CONCURRENT is None:
        try:
            _CONCURRENT = numba.threading_layer() in ("omp", "tbb")
        except ValueError:         # no parallel kernel has run yet
            return False
    return _CONCURRENT


def serial_kernels():
    """Context for calling parallel kernels from any thread: nothing where ``kernels_run_concurrently``,
    else one process-wide (re-entrant) lock, so that threads take turns."""
    return contextlib.nullcontext() if kernels_run_concurrently() else _SERIAL_KERNELS


MAX_SEED = 2**32 - 1
BYTES_PER_CELL = 256  # all fields, double-buffered, with kernel scratch: a generous estimate


def validate_seed(seed, name: str = "seed") -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        if isinstance(seed, float) and seed.is_integer():
            seed = int(seed)
        else:
            raise ValueError(f"{name} must be an integer in [0, {MAX_SEED}], got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"{name} must be an integer in [0, {MAX_SEED}], got {seed}")
    return int(seed)


def check_memory(resolution: int) -> None:
    need = resolution * (resolution // 2) * BYTES_PER_CELL
    have = available_memory()
    if have is not None and need > have:
        raise ValueError(f"resolution {resolution} needs about {need / 2**30:.1f} GiB but only "
                         f"{have / 2**30:.1f} GiB is available; choose a smaller resolution")


#: film seconds past the story's end that one run may reach unless told otherwise: a run, a film
#: or a sweep may go to ``story_end + RUN_MARGIN`` (500 s, 30 000 steps, with the default
#: schedule); ``max_time`` (CLI ``--max-time``) moves the bound, ``math.inf`` removes it
RUN_MARGIN = 250.0


def time_bound(config: Config | None = None, max_time: float | None = None) -> float:
    """The latest film time a run may reach: ``max_time``, or the story's end plus ``RUN_MARGIN``."""
    if max_time is not None:
        if isinstance(max_time, bool) or not isinstance(max_time, (int, float, np.integer, np.floating)) \
                or max_time != max_time or max_time < 0:
            raise ValueError(f"max_time must be film seconds >= 0 (math.inf: no bound), got {max_time!r}")
        return float(max_time)
    return (config or Config()).schedule.story_end + RUN_MARGIN


def check_run_length(timeline: Timeline, until, config: Config | None = None, max_time: float | None = None,
                     name: str = "until") -> int:
    """The step of ``until`` (film seconds or an epoch name), refused up front if it lies past
    ``time_bound(config, max_time)``."""
    bound = time_bound(config, max_time)
    seconds = timeline.seconds(until)
    if seconds > bound:
        how = "max_time" if max_time is not None else (
            f"the story's end {timeline.schedule.story_end:g} s + a margin of {RUN_MARGIN:g} s")
        raise ValueError(f"{name}={until!r} is {seconds:g} film seconds, past the bound of {bound:g} s ({how}); "
                         f"pass a larger max_time (CLI: --max-time SECONDS) to run longer")
    return timeline.step_of(until)


def set_threads(n: int) -> None:
    """Set the number of threads the kernels use (results do not depend on it)."""
    top = numba.config.NUMBA_NUM_THREADS
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= top:
        raise ValueError(f"threads must be an integer in [1, {top}], got {n!r}")
    numba.set_num_threads(n)


class Planet:
    """A world you can step.

    Parameters
    ----------
    resolution : columns of the grid (rows are half), a multiple of 32 in [128, 16384].
    seed : integer in [0, 2**32 - 1]; seed 0 is the reference protoplanet.
    config : model constants and schedule (``planet.Config``); defaults are the spec's.
    stages : which processes run, by name (see ``planet.model``); the rest stay frozen.
    guard : optional ``planet.core.guard.Guard``: checks the fields after each stage of every N-th
        step and stops with a ``GuardError`` naming the stage, field, step and cell.
    """

    def __init__(self, resolution: int = 512, seed: int = 0, *, config: Config | None = None,
                 stages: Iterable[str] | None = None, state: State | None = None, guard=None):
        if config is not None and not isinstance(config, Config):
            raise TypeError(f"config must be a planet.Config, got {type(config).__name__}")
        names = tuple(DEFAULT_STAGES if stages is None else ((stages,) if isinstance(stages, str) else stages))
        self._stages = make_stages(names)
        if state is not None:
            self.config = state.config
            self.grid = state.grid
            self._state = state
        else:
            resolution = validate_resolution(resolution)
            seed = validate_seed(seed)
            check_memory(resolution)
            self.config = config or Config()
            self.grid = Grid.from_resolution(resolution)
            fields: dict[str, np.ndarray] = {}
            with serial_kernels():
                for st in make_stages(_initial_stage_names(self._stages)):
                    fields.update(st.initial(self.grid, self.config, seed, dict(fields)))
            self._state = State(fields, step=0, seed=seed, config=self.config,
                                stages=tuple(s.name for s in self._stages))
        self.timeline = Timeline(self.config.schedule)
        check_order(self._stages, provided=self._state.names)
        self.guard = guard
        self._history = None  # planet.analysis.history.Buffer, made by the first recording run

    # -- properties ----------------------------------------------------------
    @property
    def state(self) -> State:
        return self._state

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(s.name for s in self._stages)

    @property
    def time(self) -> float:
        return self._state.time

    def __repr__(self) -> str:
        return (f"Planet(resolution={self._state.columns}, seed={self._state.seed}, step={self._state.step}, "
                f"time={self.time:.2f} s ({self.timeline.date(self.time)}), stages={self.stages})")

    # -- stepping --------------------------------------------------------------
    def step(self, n: int = 1, **loop) -> State:
        """Advance ``n`` steps; return the new state (the keywords of ``run``: every, on_step, ...)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative integer number of steps, got {n!r}")
        return self._loop(self._state.step + int(n), **loop)

    def run(self, until: float | str, *, every: int | None = None, on_step=None, on_stage=None,
            progress: bool = False, max_time: float | None = None, record_every: int | None = None,
            record=None) -> State:
        """Step until film time ``until`` (seconds or an epoch name such as ``"tectonics_end"``).

        This is the time loop every caller goes through (``step``, checkpoints, the film, the
        benchmarks). ``on_step(state)`` is called after every step whose number is a multiple of
        ``every`` (default 1) and after the last one; ``on_stage(name, seconds)`` after each stage
        of each step, with its wall time; ``progress`` shows a bar. ``until`` past ``max_time``
        (default: the story's end plus ``RUN_MARGIN``, 500 film seconds with the default schedule;
        ``math.inf``: no bound) is refused before any step. ``record_every=N`` (steps) and
        ``record`` (extra statistics or fields by name) append snapshots to ``history``
        (``planet.analysis.history``)."""
        target = check_run_length(self.timeline, until, self.config, max_time)
        if target < self._state.step:
            raise ValueError(f"until={until!r} (t={self.timeline.seconds(until):g} s) is before the current "
                             f"time t={self.time:g} s; until must be >= {self.time:g} s")
        return self._loop(target, every=every, on_step=on_step, on_stage=on_stage, progress=progress,
                          desc=f"until {until}", record_every=record_every, record=record)

    @property
    def history(self):
        """What ``run``/``step`` recorded (``record_every=N``): an ``xarray.Dataset`` over ``time``."""
        from planet.analysis import history

        return history.empty(self) if self._history is None else self._history.dataset()

    def _loop(self, target: int, every: int | None = None, on_step=None, on_stage=None,
              progress: bool = False, desc: str = "steps", record_every: int | None = None,
              record=None) -> State:
        if every is not None and (isinstance(every, bool) or not isinstance(every, (int, np.integer))
                                  or every < 1):
            raise ValueError(f"every must be a positive integer number of steps, got {every!r}")
        every = int(every or 1)
        recorder = None
        if record_every is not None or record is not None:
            from planet.analysis.history import Recorder

            recorder = Recorder(self, record_every, record)
        keep_heap()      # each step's fresh fields reuse the pages the last step freed (once per process)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=target - self._state.step, unit="step", desc=desc)
        try:
            while self._state.step < target:
                with serial_kernels():   # the one place kernels are entered from the loop
                    self._state = self._advance(self._state, on_stage)
                step = self._state.step
                if bar is not None:
                    bar.update(1)
                    if step % 60 == 0:
                        bar.set_postfix_str(self.timeline.date(self.time))
                if recorder is not None:
                    recorder.after_step(self._state, target)
                if on_step is not None and (step % every == 0 or step == target):
                    on_step(self._state)
        finally:
            if bar is not None:
                bar.close()
        return self._state

    def _advance(self, state: State, on_stage=None) -> State:
        step = state.step + 1
        ctx = Context(step=step, time=self.timeline.time_of(step), seed=state.seed, grid=self.grid,
                      config=self.config, timeline=self.timeline)
        guard = self.guard
        if guard is not None:
            guard.before_step(state)
        fields = state.fields
        for st in self._stages:
            t0 = time.perf_counter() if on_stage is not None else 0.0
            before = set(ctx.scratch)
            out = st.advance(fields, ctx)
            if on_stage is not None:
                on_stage(st.name, time.perf_counter() - t0)
            check_output(st, out, state.shape)
            check_scratch_products(st, ctx.scratch, before, state.shape)
            if guard is not None:
                guard.after_stage(st.name, out, ctx)
            fields.update(out)
        new = State(fields, step=step, seed=state.seed, config=self.config, stages=state.stages)
        if guard is not None:
            guard.after_step(new)
        return new

    # -- files -------------------------------------------------------------------
    def save(self, path) -> None:
        """Save the state atomically (see ``State.save``)."""
        self._state.save(path)

    @classmethod
    def from_state(cls, state: State, stages: Iterable[str] | None = None, guard=None) -> "Planet":
        return cls(stages=state.stages if stages is None else stages, state=state, guard=guard)

    @classmethod
    def from_heightmap(cls, source, **options) -> "Planet":
        """A world on your own terrain: an array, DataArray, PNG, GeoTIFF, NetCDF or .npy heightmap in
        metres (``resolution``, ``sea_level``/``land_fraction``, ``start``, ``stages``, ``config``, ...;
        see ``planet.io.heightmap``)."""
        from planet.io.heightmap import from_heightmap

        return from_heightmap(source, **options)

    # -- notebooks ---------------------------------------------------------------
    def _repr_png_(self) -> bytes:
        from planet.render import png_bytes

        return png_bytes(self._state, "satellite", size=(1024, 512))


def _initial_stage_names(enabled) -> tuple[str, ...]:
    """The stages whose initial fields a world needs: the enabled ones, plus (frozen) every stage
    that provides a field one of those reads, transitively. A geology-only world holds only the
    lithosphere's fields; a climate-only one also holds the frozen protoplanet it reads."""
    every = {st.name: st for st in make_stages(REGISTRY)}
    needed = {st.name for st in enabled}
    grew = True
    while grew:
        reads = {field for name in needed for field in every[name].reads}
        more = {name for name, st in every.items() if name not in needed and reads & set(st.writes)}
        needed |= more
        grew = bool(more)
    return tuple(name for name in every if name in needed)


#END
