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

from planet._version import __version__
from planet.core.config import Config, ConfigError
from planet.core.fields import FIELDS, drainage_area_from_cells, fill_added
from planet.core.memory import available_memory
from planet.core.files import atomic_write
from planet.core.grid import Grid

FORMAT = "planet-state"
FORMAT_VERSION = 3
#: versions 1 (the checksum covers only the fields) and 2 (``drainage_area`` a cell count, read as km²) are read
READABLE_VERSIONS = (1, 2, 3)


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


def check_finite(state: "State", what: str = "state", hint: str = "",
                 error: type[Exception] | None = None) -> "State":
    """Raise ``error`` (default ``NonFiniteError``) naming the field and the first bad cell if ``state``
    holds NaN or inf."""
    found = first_nonfinite(state._fields)
    if found is not None:
        name, row, col, value, count = found
        raise (error or NonFiniteError)(f"{what} has {value} in field {name!r} at cell (row {row}, col {col}) "
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
        if not shapes:
            raise ValueError("a state needs at least one field")
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
        """The state as an ``xarray.Dataset`` with lat/lon coordinates (see ``planet.core.dataset``)."""
        from planet.core.dataset import to_xarray

        return to_xarray(self)

    # -- files ---------------------------------------------------------------
    def meta(self) -> dict:
        """The metadata record saved with the fields; its ``checksum`` covers every other key of the
        record (format, step, seed, resolution, time, stages, configuration, field list) and the
        fields' names, shapes, dtypes and bytes (``state_checksum``)."""
        meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "planet_version": __version__,
                "resolution": self.columns, "rows": self.rows, "seed": self.seed, "step": self.step,
                "time": self.time, "stages": list(self.stages), "config": self.config.to_dict(),
                "fields": list(self._fields)}
        meta["checksum"] = state_checksum(meta, self._fields)
        return meta

    def save(self, path: str | os.PathLike) -> Path:
        """Write the state to ``path`` (``.npz``) atomically: temporary file, fsync, rename."""
        def write(tmp):
            arrays = {f"field/{k}": v for k, v in self._fields.items()}
            with open(tmp, "wb") as f:
                np.savez(f, meta=np.frombuffer(json.dumps(self.meta()).encode(), dtype=np.uint8), **arrays)

        return atomic_write(path, write, error=StateFileError)

    @classmethod
    def load(cls, path: str | os.PathLike, *, allow_nonfinite: bool = False) -> "State":
        """Read a state written by ``save``; raise ``StateFileError`` if it is missing, damaged or incompatible.

        The file defends itself (``read_npz``): its metadata is read and checked first, then every
        field's declared shape and type (the ``.npy`` headers) against the metadata, before any array
        data is read; a small file declaring a huge field is refused without allocating it. A state
        holding NaN or infinite values is refused (the field and the first bad cell are named) unless
        ``allow_nonfinite``.
        """
        return read_npz(path, allow_nonfinite=allow_nonfinite)


# -- reading state files: the metadata and declared shapes first, then the arrays --------------------
#: the metadata record of a state file is a small JSON document (the configuration is the bulk of it)
MAX_META_BYTES = 1 << 20
MAX_COLUMNS = 16384
ZIP_MAGIC = b"PK\x03\x04"
NETCDF_MAGICS = (b"\x89HDF\r\n\x1a\n", b"CDF\x01", b"CDF\x02", b"CDF\x05")


def state_checksum(meta: Mapping, fields: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over the metadata record (every key but ``checksum``, as canonical JSON) and the fields
    (``fields_checksum``): an edited step, seed, configuration or field list fails it."""
    body = {k: v for k, v in meta.items() if k != "checksum"}
    h = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=True).encode())
    h.update(b"\0")
    h.update(fields_checksum(fields).encode())
    return h.hexdigest()


def file_kind(path) -> str:
    """``"npz"``, ``"netcdf"`` or ``"other"`` from the first bytes of the file."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(ZIP_MAGIC):
        return "npz"
    if any(head.startswith(m) for m in NETCDF_MAGICS):
        return "netcdf"
    return "other"


def _npy_header(zf, info):
    """(shape, fortran order, dtype, header bytes) of a ``.npy`` member, reading only its header."""
    from numpy.lib import format as npf

    with zf.open(info) as f:
        version = npf.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = npf.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = npf.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
        return shape, fortran, dtype, f.tell()


def _expected_fields(stages) -> set[str] | None:
    """The fields a state of these stages holds: every field ``planet.core.fields.FIELDS`` gives to
    one of them (a frozen field they read is checked when a ``Planet`` is made of the state), or None
    where a stage is not one of the model's."""
    owners = {f.owner for f in FIELDS.values()}
    if not stages or any(s not in owners for s in stages):
        return None
    return {name for name, f in FIELDS.items() if f.owner in stages}


def check_grid(resolution: int, rows: int) -> None:
    """A state file's grid: ``rows`` = ``resolution`` / 2, an even number of columns up to 16384 (small
    grids are allowed in files: tests and tools make them; ``Planet`` itself needs at least 128)."""
    if not (2 <= resolution <= MAX_COLUMNS and resolution % 2 == 0):
        raise ValueError(f"resolution {resolution} is not an even number of columns in [2, {MAX_COLUMNS}]")
    if rows != resolution // 2:
        raise ValueError(f"rows {rows} is not half the resolution {resolution}")


def _check_meta(meta, path) -> None:
    def bad(what):
        raise StateFileError(f"state file {path} is damaged ({what})")

    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise StateFileError(f"{path} is not a planet state file")
    if meta.get("format_version") not in READABLE_VERSIONS:
        raise StateFileError(f"state file {path} has format version {meta.get('format_version')!r}, "
                             f"this planet reads versions {', '.join(map(str, READABLE_VERSIONS))}")
    for key in ("resolution", "rows", "seed", "step"):
        if isinstance(meta.get(key), bool) or not isinstance(meta.get(key), int):
            bad(f"metadata {key} is not an integer")
    try:
        check_grid(meta["resolution"], meta["rows"])
    except ValueError as e:
        bad(f"metadata {e}")
    if not 0 <= meta["seed"] <= 2**32 - 1:
        bad(f"metadata seed {meta['seed']} is outside [0, 2**32 - 1]")
    if meta["step"] < 0:
        bad(f"metadata step {meta['step']} is negative")
    names = meta.get("fields")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names) \
            or len(set(names)) != len(names):
        bad("metadata field list")
    stages = meta.get("stages", [])
    if not isinstance(stages, list) or not all(isinstance(n, str) for n in stages):
        bad("metadata stage list")
    if not isinstance(meta.get("config"), dict) or not isinstance(meta.get("checksum"), str):
        bad("metadata configuration or checksum missing")


def read_npz(path, *, allow_nonfinite: bool = False) -> "State":
    """``State.load``: see its docstring."""
    import zipfile

    path = Path(path)
    if not path.exists():
        raise StateFileError(f"state file {path} does not exist")
    if not path.is_file():
        raise StateFileError(f"state file {path} is not a file")
    try:
        kind = file_kind(path)
    except OSError as e:
        raise StateFileError(f"state file {path} cannot be read ({e.strerror})") from None
    if kind != "npz":
        hint = " (a NetCDF file: give a .nc name, or use planet.export.read_netcdf)" if kind == "netcdf" else ""
        raise StateFileError(f"{path} is not a planet state file{hint}")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            if "meta.npy" not in infos:
                raise StateFileError(f"{path} is not a planet state file (no metadata)")
            shape, fortran, dtype, _ = _npy_header(zf, infos["meta.npy"])
            if dtype != np.uint8 or len(shape) != 1 or not 0 < shape[0] <= MAX_META_BYTES:
                raise StateFileError(f"state file {path} is damaged (metadata of {shape} {dtype})")
            if infos["meta.npy"].file_size > shape[0] + 4096:
                raise StateFileError(f"state file {path} is damaged (metadata member larger than it declares)")
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
            _check_meta(meta, path)
            rows, columns = meta["rows"], meta["resolution"]
            members = {f"field/{n}.npy" for n in meta["fields"]}
            extra = sorted(n for n in infos if n.startswith("field/") and n not in members)
            missing = sorted(members - set(infos))
            if extra or missing:
                raise StateFileError(f"state file {path} is damaged (its fields do not match the metadata: "
                                     f"{', '.join(m[6:-4] for m in (missing or extra)[:3])})")
            nbytes = rows * columns * 4
            for name in meta["fields"]:
                info = infos[f"field/{name}.npy"]
                shape, fortran, dtype, header = _npy_header(zf, info)
                if dtype != np.float32 or tuple(shape) != (rows, columns) or fortran:
                    raise StateFileError(f"state file {path}: field {name!r} declares {dtype} {tuple(shape)}, "
                                         f"not float32 ({rows}, {columns})")
                if info.file_size != header + nbytes:
                    raise StateFileError(f"state file {path} is damaged (field {name!r} holds {info.file_size} "
                                         f"bytes, not the {header + nbytes} it declares)")
            _check_room(path, len(meta["fields"]) * nbytes)
            with np.load(path, allow_pickle=False) as data:
                fields = {n: data[f"field/{n}"] for n in meta["fields"]}
    except StateFileError:
        raise
    except MemoryError:
        raise StateFileError(f"state file {path} is too large to read into memory") from None
    except Exception as e:  # a flipped byte can surface as almost any parse error (even SyntaxError)
        raise StateFileError(f"state file {path} is damaged or not a planet state ({type(e).__name__}: {e})") from None
    checksum = fields_checksum(fields) if meta["format_version"] == 1 else state_checksum(meta, fields)
    if checksum != meta["checksum"]:
        raise StateFileError(f"state file {path} is damaged (checksum mismatch)")
    try:
        config = Config.from_dict(meta["config"])
    except (ConfigError, TypeError, ValueError) as e:
        raise StateFileError(f"state file {path} has an invalid configuration: {e}") from None
    stages = tuple(meta.get("stages", ()))
    if meta["format_version"] < 3:
        drainage_area_from_cells(fields)
    fill_added(fields, _expected_fields(stages) or ())
    state = State(fields, step=meta["step"], seed=meta["seed"], config=config, stages=stages)
    check_complete(state, f"state file {path}")
    if not allow_nonfinite:
        check_finite(state, f"state file {path}", NONFINITE_HINT, StateFileError)
    return state


NONFINITE_HINT = "; give --allow-nonfinite (API: allow_nonfinite=True) to read it anyway"


def _check_room(path, nbytes: int) -> None:
    have = available_memory()
    if have is not None and nbytes > have:
        raise StateFileError(f"state file {path} declares {nbytes / 2**30:.1f} GiB of fields, more than the "
                             f"{have / 2**30:.1f} GiB of memory available")


def check_complete(state: "State", what: str = "state") -> None:
    """Raise ``StateFileError`` if ``state`` lacks a field its stages need."""
    expected = _expected_fields(state.stages)
    if expected is None:
        return
    missing = [n for n in sorted(expected) if n not in state]
    if missing:
        raise StateFileError(f"{what} is missing field {missing[0]!r}"
                             + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                             + f", which its stages ({', '.join(state.stages)}) need")


#END
