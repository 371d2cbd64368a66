"""The film clock, its epochs and the geological calendar (spec §1).

The canonical clock is **film seconds**: the state after ``step`` steps is at
``t = step / fps`` (60 steps per second; 250 s is the whole story). The
update that produces step ``k`` uses ``t = k / fps``.

For display, ``Timeline.years_ago`` maps film time onto Earth history: 4.5
billion years ago at ``t = 0``, linear up to the present day at the end of
tectonics (spec §1); from then on the film is "present day" (humans, CO2 and
warming play out on a human time scale the geological calendar cannot show).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from planet.core.config import Schedule

_F0, _F1, _F2, _F3 = (np.float32(v) for v in (0.0, 1.0, 2.0, 3.0))

EPOCHS = ("start", "ocean_start", "land_start", "ocean_end", "land_end", "slowing_start",
          "daynight_start", "human_start", "tectonics_end", "co2_start", "warming_start",
          "warming_end", "overlay_end", "story_end")

AGE_OF_EARTH = 4.5e9  # years before present at t = 0


@njit(cache=True, nogil=True, inline="always")
def smoothstep(a, b, x):
    """``t = clamp((x-a)/(b-a), 0, 1); t²(3-2t)`` (also for a > b: a falling edge).

    The one smoothstep of the package, for Python scalars and kernels alike: its constants are
    float32 (and exact), so float32 arguments compute in float32 inside a kernel, and Python
    floats in float64 exactly as plain Python would."""
    t = min(max((x - a) / (b - a), _F0), _F1)
    return t * t * (_F3 - _F2 * t)


def season(t: float, year: float = 24.0) -> float:
    """``1 − 2 smoothstep(1.5, 4.5, m) + 2 smoothstep(7.5, 10.5, m)`` with month ``m = (t·12/year) mod 12``:
    +1 in (northern) winter, −1 in summer."""
    m = (t * 12.0 / year) % 12.0
    return 1.0 - 2.0 * smoothstep(1.5, 4.5, m) + 2.0 * smoothstep(7.5, 10.5, m)


@dataclass(frozen=True)
class Timeline:
    """The schedule of the story, with helpers that turn film time into model quantities."""

    schedule: Schedule = Schedule()

    @property
    def fps(self) -> int:
        return self.schedule.fps

    @property
    def epochs(self) -> dict[str, float]:
        """Every epoch name and its film time in seconds, in story order."""
        out = {"start": 0.0}
        out.update({name: getattr(self.schedule, name) for name in EPOCHS[1:]})
        return out

    def seconds(self, when: float | str) -> float:
        """Film seconds of ``when``: a number of seconds or an epoch name."""
        if isinstance(when, str):
            epochs = self.epochs
            if when not in epochs:
                raise ValueError(f"unknown epoch {when!r}; known epochs: {', '.join(epochs)}")
            return epochs[when]
        if isinstance(when, bool) or not isinstance(when, (int, float)) or not math.isfinite(when):
            raise ValueError(f"time must be film seconds (a finite number) or an epoch name, got {when!r}")
        if when < 0:
            raise ValueError(f"time must be >= 0 film seconds, got {when}")
        return float(when)

    def step_of(self, when: float | str) -> int:
        """The first step whose time is at or after ``when``."""
        return int(math.ceil(self.seconds(when) * self.fps - 1e-9))

    def time_of(self, step: int) -> float:
        return step / self.fps

    # -- model quantities --------------------------------------------------
    def tectonic(self, t: float) -> bool:
        """Plates move and uplift diffuses: before tectonics end, or after story end."""
        s = self.schedule
        return t < s.tectonics_end or t > s.story_end

    def ocean_fill(self, t: float) -> float:
        """``s0 = smoothstep(ocean_start, ocean_end, t)``: how far the oceans have condensed."""
        s = self.schedule
        return smoothstep(s.ocean_start, s.ocean_end, t)

    def sea_level(self, t: float) -> float:
        """Ocean depth ``D(t) = (7.25 + 0.25 sin(t/5)) · s0(t)``, frozen at tectonics end until story end."""
        s = self.schedule
        if s.tectonics_end <= t <= s.story_end:
            t = s.tectonics_end
        return (7.25 + 0.25 * math.sin(t / 5.0)) * self.ocean_fill(t)

    def season(self, t: float, year: float = 24.0) -> float:
        """The season at film time ``t`` (module function ``season``)."""
        return season(t, year)

    # -- calendar ------------------------------------------------------------
    def years_ago(self, t: float) -> float:
        """Years before present: 4.5e9 at t = 0, 0 from tectonics end on."""
        end = self.schedule.tectonics_end
        return AGE_OF_EARTH * max(0.0, 1.0 - t / end)

    def epoch_at(self, t: float) -> str:
        """The last epoch reached at time ``t``."""
        name = "start"
        for key, value in self.epochs.items():
            if value <= t:
                name = key
        return name

    def date(self, t: float) -> str:
        """A human-readable date: '4.0 billion years ago', '65 million years ago', 'present day'."""
        if t < self.schedule.tectonics_end:
            ago = self.years_ago(t)
            if ago >= 1e9:
                return f"{ago / 1e9:.1f} billion years ago"
            if ago >= 1e6:
                return f"{ago / 1e6:.0f} million years ago"
            return f"{ago / 1e3:.0f} thousand years ago"
        return "present day"
