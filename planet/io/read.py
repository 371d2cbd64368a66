"""Reading any state file: a ``State.save`` archive (``.npz``) or a NetCDF export (``.nc``), told
apart by their first bytes, and ``planet.load``, which continues one as a ``Planet``."""
from __future__ import annotations

from pathlib import Path

from planet.core.state import State, StateFileError, file_kind, read_npz
from planet.io.export import read_netcdf
from planet.world import Planet


def read_state(path, *, allow_nonfinite: bool = False) -> State:
    """A state from a state file (``.npz``, ``State.save``) or a NetCDF export (``.nc``), told apart by
    their first bytes; anything else is "not a planet state file"."""
    path = Path(path)
    if path.is_file():
        try:
            kind = file_kind(path)
        except OSError as e:
            raise StateFileError(f"state file {path} cannot be read ({e.strerror})") from None
        if kind == "netcdf":
            return read_netcdf(path, allow_nonfinite=allow_nonfinite)
    return read_npz(path, allow_nonfinite=allow_nonfinite)


def load(path, *, allow_nonfinite: bool = False) -> Planet:
    """Load a saved state (``.npz``, or a NetCDF export ``.nc``) into a ``Planet`` that continues it
    bit-identically. A state with NaN or infinite values is refused unless ``allow_nonfinite``."""
    return Planet.from_state(read_state(path, allow_nonfinite=allow_nonfinite))
