"""The state of a world: named float32 arrays plus step, seed and configuration.

A ``State`` is a value: stepping a planet makes a new ``State`` and leaves the
old one as it was. Fields are ``(rows, columns)`` float32 arrays, read as
attributes (``state.elevation``) or by name (``state["elevation"]``).

Files are NumPy ``.npz`` archives holding every field plus a ``meta`` JSON
record (format version, package version, resolution, seed, step,
configuration, and a SHA-256 checksum of the arrays). ``save`` writes to a
temporary file in the target folder and renames it into place, so a crash
never leaves a half-written state at the target path; ``load`` refuses a
damaged, truncated or incompatible file with a one-line message.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np

from .config import Config, ConfigError
from .files import atomic_write
from .grid import Grid

FORMAT = "planet-state"
FORMAT_VERSION = 1


class StateFileError(ValueError):
    """A state file is missing, damaged or incompatible."""


class NonFiniteError(ValueError):
    """A state holds NaN or infinite values (``check_finite``)."""


def first_nonfinite(fields: Mapping[str, np.ndarray]):
    """``(field, row, column, value, count)`` of the first NaN/inf cell (fields in order, cells
    row-major: northernmost, then westernmost), or None if every value is finite."""
    for name, a in fields.items():
        a = np.asarray(a)
        if a.size == 0 or np.isfinite(a.min()) and np.isfinite(a.max()):   # min/max propagate NaN
            continue
        bad = ~np.isfinite(a)
        flat = int(np.argmax(bad))
        row, col = divmod(flat, a.shape[-1])
        return name, row, col, float(a.flat[flat]), int(bad.sum())
    return None


def check_finite(state: "State", what: str = "state", hint: str = "") -> "State":
    """Raise ``NonFiniteError`` naming the field and the first bad cell if ``state`` holds NaN or inf."""
    found = first_nonfinite(state._fields)
    if found is not None:
        name, row, col, value, count = found
        raise NonFiniteError(f"{what} has {value} in field {name!r} at cell (row {row}, col {col}) "
                             f"({count} cell{'s' if count != 1 else ''} not finite){hint}")
    return state


def fields_checksum(fields: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the names, shapes, dtypes and bytes of the fields, in name order."""
    h = hashlib.sha256()
    for name in sorted(fields):
        arr = np.ascontiguousarray(fields[name])
        h.update(f"{name}:{arr.dtype.str}:{arr.shape};".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


class State:
    """One moment of a world."""

    def __init__(self, fields: Mapping[str, np.ndarray], *, step: int, seed: int,
                 config: Config | None = None, stages: tuple[str, ...] = ()):
        self._fields = dict(fields)
        self.step = int(step)
        self.seed = int(seed)
        self.config = config if config is not None else Config()
        self.stages = tuple(stages)
        shapes = {a.shape for a in self._fields.values()}
        if len(shapes) != 1:
            raise ValueError(f"all fields must share one (rows, columns) shape, got {sorted(shapes)}")
        (self.rows, self.columns), = shapes

    # -- access --------------------------------------------------------------
    @property
    def resolution(self) -> int:
        """Columns of the grid (rows are half)."""
        return self.columns

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.columns)

    @property
    def grid(self) -> Grid:
        return Grid(self.rows, self.columns)

    @property
    def time(self) -> float:
        """Film seconds: ``step / fps``."""
        return self.step / self.config.schedule.fps

    @property
    def fields(self) -> dict[str, np.ndarray]:
        """A new dict of the field arrays (the arrays themselves are shared, not copied)."""
        return dict(self._fields)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._fields)

    def __contains__(self, name: str) -> bool:
        return name in self._fields

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self._fields[name]
        except KeyError:
            raise KeyError(f"no field {name!r}; this state has {', '.join(self._fields)}") from None

    def __getattr__(self, name: str) -> np.ndarray:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.__dict__["_fields"][name]
        except KeyError:
            raise AttributeError(f"State has no field {name!r}; it has {', '.join(self._fields)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __repr__(self) -> str:
        return (f"State(resolution={self.columns}, seed={self.seed}, step={self.step}, "
                f"time={self.time:.2f} s, fields=[{', '.join(self._fields)}])")

    def replace(self, **fields: np.ndarray) -> "State":
        """A new state with some fields replaced (for experiments and tests)."""
        new = dict(self._fields)
        for name, arr in fields.items():
            if name not in new:
                raise KeyError(f"no field {name!r}; this state has {', '.join(self._fields)}")
            arr = np.ascontiguousarray(arr, dtype=np.float32)
            if arr.shape != self.shape:
                raise ValueError(f"field {name!r} must have shape {self.shape}, got {arr.shape}")
            new[name] = arr
        return State(new, step=self.step, seed=self.seed, config=self.config, stages=self.stages)

    def copy(self) -> "State":
        return State({k: v.copy() for k, v in self._fields.items()}, step=self.step, seed=self.seed,
                     config=self.config, stages=self.stages)

    def equals(self, other: "State") -> bool:
        """Bit-identical fields, step and seed."""
        return (self.step == other.step and self.seed == other.seed and self.names == other.names
                and all(np.array_equal(self[n], other[n], equal_nan=True) for n in self.names))

    def to_xarray(self):
        """The state as an ``xarray.Dataset`` with lat/lon coordinates (see ``planet.export``)."""
        from .export import to_xarray

        return to_xarray(self)

    # -- files ---------------------------------------------------------------
    def meta(self) -> dict:
        from . import __version__

        return {"format": FORMAT, "format_version": FORMAT_VERSION, "planet_version": __version__,
                "resolution": self.columns, "rows": self.rows, "seed": self.seed, "step": self.step,
                "time": self.time, "stages": list(self.stages), "config": self.config.to_dict(),
                "fields": list(self._fields), "checksum": fields_checksum(self._fields)}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the state to ``path`` (``.npz``) atomically: temporary file, fsync, rename."""
        def write(tmp):
            arrays = {f"field/{k}": v for k, v in self._fields.items()}
            with open(tmp, "wb") as f:
                np.savez(f, meta=np.frombuffer(json.dumps(self.meta()).encode(), dtype=np.uint8), **arrays)

        return atomic_write(path, write, error=StateFileError)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "State":
        """Read a state written by ``save``; raise ``StateFileError`` if it is missing, damaged or incompatible."""
        path = Path(path)
        if not path.is_file():
            raise StateFileError(f"state file {path} does not exist")
        try:
            with np.load(path, allow_pickle=False) as data:
                if "meta" not in data.files:
                    raise StateFileError(f"state file {path} is not a planet state (no metadata)")
                meta = json.loads(bytes(data["meta"]).decode())
                fields = {k.split("/", 1)[1]: data[k] for k in data.files if k.startswith("field/")}
        except StateFileError:
            raise
        except Exception as e:  # a flipped byte can surface as almost any parse error (even SyntaxError)
            raise StateFileError(f"state file {path} is damaged or not a planet state ({type(e).__name__}: {e})") from None
        if meta.get("format") != FORMAT:
            raise StateFileError(f"state file {path} is not a planet state")
        if meta.get("format_version") != FORMAT_VERSION:
            raise StateFileError(f"state file {path} has format version {meta.get('format_version')}, "
                                 f"this planet reads version {FORMAT_VERSION}")
        if sorted(fields) != sorted(meta.get("fields", [])) or fields_checksum(fields) != meta.get("checksum"):
            raise StateFileError(f"state file {path} is damaged (checksum mismatch)")
        try:
            config = Config.from_dict(meta["config"])
        except (ConfigError, TypeError) as e:
            raise StateFileError(f"state file {path} has an invalid configuration: {e}") from None
        fields = {k: fields[k] for k in meta["fields"]}
        for name, arr in fields.items():
            if arr.dtype != np.float32 or arr.shape != (meta["rows"], meta["resolution"]):
                raise StateFileError(f"state file {path}: field {name!r} has the wrong shape or type")
        return cls(fields, step=meta["step"], seed=meta["seed"], config=config, stages=tuple(meta.get("stages", ())))
