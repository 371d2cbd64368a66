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

The fields themselves (units, range, owner) are declared once, in
``planet.core.fields.FIELDS``; a stage's ``writes`` are the fields it owns there
(``owned_by(name)``), and its ``reads`` must be fields of that table. A stage from
outside the built-in model may bring fields of its own as ``fields``, a tuple of
``planet.core.fields.Field`` with itself as owner.

``Context.scratch`` carries transient per-step products from one stage to a
later one in the same step and is not saved. Each is declared in
``planet.core.fields.SCRATCH`` with its producer (the lithosphere's plate-motion
``source`` map, the climate's coarse ``climate`` map); the time loop checks
after each stage that what it put there is declared, its own, and well-formed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from planet.core.config import Config
from planet.core.fields import FIELDS, SCRATCH, check_scratch
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


class Stage(Protocol):
    name: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]

    def initial(self, grid: Grid, config: Config, seed: int,
                fields: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...

    def advance(self, fields: dict[str, np.ndarray], ctx: Context) -> dict[str, np.ndarray]: ...


class PipelineError(RuntimeError):
    """A stage broke the contract (missing input, unexpected output, wrong shape or dtype)."""


def declared_fields(stages: Sequence[Stage]) -> dict:
    """``FIELDS`` plus the fields stages outside the built-in model declare as their own
    (a stage's optional ``fields``: a tuple of ``planet.core.fields.Field``)."""
    table = dict(FIELDS)
    for st in stages:
        for f in getattr(st, "fields", ()):
            if f.name in FIELDS or f.owner != st.name:
                raise PipelineError(f"stage {st.name!r} declares field {f.name!r}, which "
                                    + ("FIELDS already declares" if f.name in FIELDS else f"it says {f.owner!r} owns"))
            table[f.name] = f
    return table


def check_order(stages: Sequence[Stage], provided: Sequence[str] = ()) -> None:
    """Every field a stage reads must be written by some stage (or be a frozen field of the
    initial state, ``provided``); no two stages own a field."""
    table = declared_fields(stages)
    for st in stages:
        unknown = [n for n in (*st.reads, *st.writes) if n not in table]
        if unknown:
            raise PipelineError(f"stage {st.name!r} declares {unknown[0]!r}, which is not a field of "
                                f"planet.core.fields.FIELDS nor of any stage's own ``fields``")
        foreign = [n for n in st.writes if table[n].owner != st.name]
        if foreign:
            raise PipelineError(f"stage {st.name!r} writes {foreign[0]!r}, which FIELDS gives to "
                                f"{table[foreign[0]].owner!r}")
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


def check_scratch_products(stage: Stage, scratch: dict, before: set, shape: tuple[int, int]) -> None:
    """What ``stage`` added to ``Context.scratch`` is declared in ``SCRATCH``, produced by it, and well-formed."""
    for name in scratch.keys() - before:
        decl = SCRATCH.get(name)
        if decl is None or decl.producer != stage.name:
            who = "undeclared" if decl is None else f"declared for {decl.producer!r}"
            raise PipelineError(f"stage {stage.name!r} left scratch product {name!r} ({who} in "
                                f"planet.core.fields.SCRATCH)")
        try:
            check_scratch(name, scratch[name], shape)
        except (KeyError, TypeError) as e:
            raise PipelineError(f"stage {stage.name!r}: {e}") from None


def check_output(stage: Stage, out: dict[str, np.ndarray], shape: tuple[int, int]) -> None:
    if set(out) != set(stage.writes):
        raise PipelineError(f"stage {stage.name!r} returned {sorted(out)}, declared {sorted(stage.writes)}")
    for name, arr in out.items():
        if not isinstance(arr, np.ndarray) or arr.dtype != np.float32 or arr.shape != shape:
            raise PipelineError(f"stage {stage.name!r} field {name!r} must be a float32 array of shape {shape}, "
                                f"got {getattr(arr, 'dtype', type(arr))} {getattr(arr, 'shape', '')}")
