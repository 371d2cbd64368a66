"""Where a step's time goes: a lap timer the lithosphere stage charges its parts to (``bench_lithosphere --split``)."""
from __future__ import annotations

import time


class Clock:
    """Seconds spent in each part of the step, summed into ``sink`` (a dict) when one is given;
    ``lap(name)`` charges the time since the previous lap to ``name`` (``bench_lithosphere --split``)."""

    def __init__(self, sink=None):
        self.sink = sink
        self.t = time.perf_counter() if sink is not None else 0.0

    def lap(self, name):
        if self.sink is not None:
            now = time.perf_counter()
            self.sink[name] = self.sink.get(name, 0.0) + now - self.t
            self.t = now
