"""Numerical guard: stop a run at the first NaN, Inf or out-of-range value.

A long run that goes wrong usually goes wrong quietly: one NaN appears in
one cell, spreads through diffusion and advection, and the film a few
thousand steps later is black. The guard checks the fields **after each
stage** of every N-th step, so the error names the stage that produced the
value, the field, the step and the cell::

    world = Planet(resolution=256, seed=1, guard=Guard(every=10, directory="debug"))
    world.run(until="story_end")
    # GuardError: guard: stage 'life' wrote nan to field 'vegetation' at step 1230 (t = 20.50 s),
    #   cell (row 12, col 40; lat 55.55°, lon 56.95°), 3 cells bad; allowed [0, 5];
    #   last good state (step 1220) saved to debug/guard-last-good-000001220.npz

The allowed ranges are those of ``planet.core.fields.FIELDS`` (``field_ranges(config)``; bounds
that are configuration constants are read from the configuration). A field that
is not in the table must only be finite.

The check is two reductions per field (min and max, which propagate NaN);
only when they fail does the guard look for the first bad cell (row-major:
the northernmost, then westernmost). The state that last passed a check is
kept (states are values, so that costs nothing) and, when the guard trips,
saved to ``directory`` (if given) and attached to the error as
``last_good``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from planet.core.config import Config
from planet.core.fields import FIELDS, valid_range
from planet.core.grid import Grid
from planet.core.state import State


@dataclass(frozen=True)
class FieldRange:
    """Allowed values of a field: ``lo <= x <= hi`` (``x < hi`` if ``hi_open``), or ``x == special``."""

    lo: float = -math.inf
    hi: float = math.inf
    hi_open: bool = False
    special: float | None = None

    def text(self) -> str:
        if self.lo == -math.inf and self.hi == math.inf:
            return "finite"
        right = ")" if self.hi_open else "]"
        core = f"[{self.lo:g}, {self.hi:g}{right}"
        return core if self.special is None else f"{self.special:g} or {core}"

    def ok(self, lo: float, hi: float) -> bool:
        """Whether every value in ``[lo, hi]`` (the field's min and max) is allowed (the fast path)."""
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return False
        if self.special is not None and lo == self.special:
            return True if hi == self.special else None  # mixed: decide per cell
        return lo >= self.lo and (hi < self.hi if self.hi_open else hi <= self.hi)

    def bad(self, a: np.ndarray) -> np.ndarray:
        """Boolean mask of cells that break the range (NaN and ±Inf always do)."""
        with np.errstate(invalid="ignore"):
            inside = (a >= self.lo) & ((a < self.hi) if self.hi_open else (a <= self.hi))
            if self.special is not None:
                inside |= a == self.special
        return ~(inside & np.isfinite(a))


#: float32 units in the last place by which a closed bound is widened (see ``field_ranges``)
ULPS = 4


def _widen(bound: float, side: float) -> float:
    if not math.isfinite(bound) or bound == 0:      # a clamp at 0 (max(x, 0)) is exact
        return bound
    return float(np.float32(bound)) + side * ULPS * float(np.spacing(np.float32(abs(bound))))


def field_ranges(config: Config | None = None) -> dict[str, FieldRange]:
    """The allowed values of every state field: the ranges of ``planet.core.fields.FIELDS``, with
    upper bounds that are configuration constants widened (never narrowed) by ``config``, so a
    configuration that shrinks a cap does not flag values the model produces before it applies.
    A closed bound is widened by ``ULPS`` float32 units in the last place: a float32 kernel that
    clamps a field to a limit (a wind's length scaled down to ``wind_max``, then interpolated)
    lands within a few units of it, on either side (a wind capped at 6.768213335 was stored as
    6.7682137, one unit above ``float32(6.768213335)``)."""
    config = config or Config()
    out = {}
    for name, f in FIELDS.items():
        lo, hi = valid_range(f, config)
        lo = _widen(lo, -1.0)
        if not f.hi_open:
            hi = _widen(hi, 1.0)
        out[name] = FieldRange(lo, hi, hi_open=f.hi_open, special=f.special)
    return out


@dataclass(frozen=True)
class Violation:
    """The first bad cell of a field."""

    field: str
    row: int
    col: int
    value: float
    count: int
    allowed: str


def find_violation(fields: Mapping[str, np.ndarray], ranges: Mapping[str, FieldRange]) -> Violation | None:
    """The first field (in the given order) with a value outside its range, and its first bad cell."""
    for name, a in fields.items():
        rng = ranges.get(name, FieldRange())
        if a.size == 0:
            continue
        with np.errstate(invalid="ignore"):
            verdict = rng.ok(float(np.min(a)), float(np.max(a)))
        if verdict:
            continue
        mask = rng.bad(a)
        if not mask.any():
            continue
        flat = int(np.argmax(mask))
        row, col = divmod(flat, a.shape[1])
        return Violation(name, row, col, float(a[row, col]), int(mask.sum()), rng.text())
    return None


class GuardError(RuntimeError):
    """A stage produced a NaN, an Inf or an out-of-range value.

    Attributes: ``stage``, ``field``, ``step``, ``time``, ``row``, ``col``, ``lat``, ``lon``,
    ``value``, ``count`` (bad cells in that field), ``allowed``, ``last_good`` (the last state
    that passed a check, or None) and ``saved`` (its path, or None).
    """

    def __init__(self, message: str, *, stage: str, violation: Violation, step: int, time: float,
                 lat: float, lon: float, last_good: State | None, saved: Path | None):
        super().__init__(message)
        self.stage = stage
        self.field = violation.field
        self.row, self.col = violation.row, violation.col
        self.value = violation.value
        self.count = violation.count
        self.allowed = violation.allowed
        self.step, self.time = step, time
        self.lat, self.lon = lat, lon
        self.last_good = last_good
        self.saved = saved


class Guard:
    """Check the fields after each stage of every ``every``-th step (see the module docstring).

    Parameters
    ----------
    every : check steps whose number is a multiple of this (an integer >= 1).
    directory : where to save the last good state when the guard trips (None: keep it only on the
        error, as ``GuardError.last_good``).
    ranges : override the table (default ``field_ranges(config)`` of the planet being checked).
    """

    def __init__(self, every: int = 1, directory=None, ranges: Mapping[str, FieldRange] | None = None):
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"guard every must be an integer number of steps >= 1, got {every!r}")
        self.every = int(every)
        self.directory = None if directory is None else Path(directory)
        if self.directory is not None and not self.directory.is_dir():
            raise ValueError(f"guard directory {self.directory} does not exist")
        self._ranges = dict(ranges) if ranges is not None else None
        self.last_good: State | None = None
        self.checks = 0

    def ranges(self, config: Config) -> Mapping[str, FieldRange]:
        return self._ranges if self._ranges is not None else field_ranges(config)

    def due(self, step: int) -> bool:
        return step % self.every == 0

    # -- the hooks Planet._advance calls ------------------------------------------
    def before_step(self, state: State) -> None:
        """Called with the state a step starts from; the first one is checked in full."""
        if self.last_good is None:
            self._check(state.fields, "initial state", state.step, state.time, state.grid, state.config)
            self.last_good = state

    def after_stage(self, stage: str, out: Mapping[str, np.ndarray], ctx) -> None:
        """Called with the fields a stage wrote for step ``ctx.step``."""
        if self.due(ctx.step):
            self._check(out, stage, ctx.step, ctx.time, ctx.grid, ctx.config)

    def after_step(self, state: State) -> None:
        """Called with the finished step; a checked step becomes the last good state."""
        if self.due(state.step):
            self.last_good = state
            self.checks += 1

    # -- checking -------------------------------------------------------------
    def check_state(self, state: State, stage: str = "state") -> None:
        """Check every field of a state now (raises ``GuardError``)."""
        self._check(state.fields, stage, state.step, state.time, state.grid, state.config)

    def _check(self, fields, stage, step, time, grid: Grid, config: Config) -> None:
        bad = find_violation(fields, self.ranges(config))
        if bad is None:
            return
        saved = None
        if self.directory is not None and self.last_good is not None:
            saved = self.last_good.save(self.directory / f"guard-last-good-{self.last_good.step:09d}.npz")
        lat, lon = float(grid.lat[bad.row]), float(grid.lon[bad.col])
        where = (f"cell (row {bad.row}, col {bad.col}; lat {lat:.2f}°, lon {lon:.2f}°)")
        if self.last_good is None:
            keep = "no earlier state passed a check"
        elif saved is None:
            keep = f"last good state (step {self.last_good.step}) is on the error as .last_good"
        else:
            keep = f"last good state (step {self.last_good.step}) saved to {saved}"
        verb = "has" if stage in ("initial state", "state") else "wrote"
        who = stage if verb == "has" else f"stage {stage!r}"
        msg = (f"guard: {who} {verb} {bad.value!r} in field {bad.field!r} at step {step} (t = {time:.2f} s), "
               f"{where}, {bad.count} cell{'s' if bad.count != 1 else ''} bad; allowed {bad.allowed}; {keep}")
        raise GuardError(msg, stage=stage, violation=bad, step=step, time=time, lat=lat, lon=lon,
                         last_good=self.last_good, saved=saved)


def check_state(state: State) -> None:
    """Raise ``GuardError`` if any field of ``state`` is NaN, Inf or out of its range."""
    Guard().check_state(state)
