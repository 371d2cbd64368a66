"""The contract between the time loop and the processes.

A *stage* is one process of the model (lithosphere, climate, atmosphere,
life). It declares the state fields it reads and writes, creates its fields
for the initial state, and advances them by one step:

    class Stage(Protocol):
        name: str                      # "lithosphere", "climate", …
        reads: tuple[str, ...]         # state fields it needs (any stage's)
        writes: tuple[str, ...]        # the fields it owns and returns
        def initial(self, grid, config, seed, fields) -> dict[str, ndarray]
        def advance(self, fields, ctx) -> dict[str, ndarray]

``initial`` receives the initial fields the stages before it created (the
climate is computed from the protoplanet's elevation). ``advance`` receives the fields as they stand (earlier stages of the same
step already applied) and returns **new** ``(rows, columns)`` float32 arrays
for every name in ``writes``; it never modifies its inputs. The pipeline
checks the declarations before the first step and each result after it, so
run order and ownership are checked, not described.

``Context.scratch`` carries transient per-step arrays from one stage to a
later one in the same step and is not saved. The one defined now:

* ``"source"``: int64 ``(rows, columns)``, the flat index ``j * W + i`` of the
  cell whose content (plate, rock, and what rides on it) this cell holds
  after this step's plate motion; the identity where nothing moved. Written
  by the lithosphere; life fields ride on the plates with it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from planet.core.config import Config
from planet.core.grid import Grid
from planet.core.timeline import Timeline


@dataclass
class Context:
    """What a stage knows about the step it computes."""

    step: int            # the step being produced: the new state's step
    time: float          # film seconds of the new state, step / fps
    seed: int
    grid: Grid
    config: Config
    timeline: Timeline
    scratch: dict = field(default_factory=dict)

    @property
    def sea_level(self) -> float:
        return self.timeline.sea_level(self.time)

    def source(self) -> np.ndarray:
        """The plate-motion source map (identity if no stage wrote one this step)."""
        src = self.scratch.get("source")
        if src is None:
            src = np.arange(self.grid.cells, dtype=np.int64).reshape(self.grid.shape)
            self.scratch["source"] = src
        return src


class Stage(Protocol):
    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]

    def initial(self, grid: Grid, config: Config, seed: int,
                fields: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...

    def advance(self, fields: dict[str, np.ndarray], ctx: Context) -> dict[str, np.ndarray]: ...


class PipelineError(RuntimeError):
    """A stage broke the contract (missing input, unexpected output, wrong shape or dtype)."""


def check_order(stages: Sequence[Stage], provided: Sequence[str] = ()) -> None:
    """Every field a stage reads must be written by some stage (or be a frozen field of the
    initial state, ``provided``); no two stages own a field."""
    owner: dict[str, str] = {name: "initial state" for name in provided}
    frozen = set(provided)
    for st in stages:
        for name in st.writes:
            if name in owner and name not in frozen:
                raise PipelineError(f"field {name!r} is written by both {owner[name]!r} and {st.name!r}")
            owner[name] = st.name
            frozen.discard(name)
    for st in stages:
        missing = [n for n in st.reads if n not in owner]
        if missing:
            raise PipelineError(f"stage {st.name!r} reads {missing[0]!r}, which no enabled stage provides "
                                f"(enabled: {', '.join(s.name for s in stages)})")


def check_output(stage: Stage, out: dict[str, np.ndarray], shape: tuple[int, int]) -> None:
    if set(out) != set(stage.writes):
        raise PipelineError(f"stage {stage.name!r} returned {sorted(out)}, declared {sorted(stage.writes)}")
    for name, arr in out.items():
        if not isinstance(arr, np.ndarray) or arr.dtype != np.float32 or arr.shape != shape:
            raise PipelineError(f"stage {stage.name!r} field {name!r} must be a float32 array of shape {shape}, "
                                f"got {getattr(arr, 'dtype', type(arr))} {getattr(arr, 'shape', '')}")
