"""An on-disk cache of arrays that are pure functions of their key and of the package's code.

The protoplanet's crater field (``planet.processes.lithosphere.protoplanet``) costs 0.55 s at 512
columns and 2 s at 1024 on two cores, the same every time a process makes the same world, as
Numba's kernels would cost every time without their own disk cache. Kept here, a fresh process
makes a 512-column world in about a third of the time.

An entry's name carries a digest of everything its value depends on besides the key: the source
files that compute it (passed by the caller), the NumPy and Numba versions, the C library and the
CPU Numba compiles for. A change to any of them gives a new name, so a stale entry is never read.
An entry is read only if it is a ``.npy`` file of the expected shape and dtype; anything else (a
damaged, truncated or foreign file) is ignored and written again. Entries are written atomically
(``files.atomic_write``) and only files of the cache's own names are ever read or replaced; where
the folder cannot be written the value is simply not kept.

Where: ``$PLANET_CACHE_DIR`` (``off`` keeps nothing), else ``$XDG_CACHE_HOME/planet``, else
``~/.cache/planet`` (``user_folder``).
"""
from __future__ import annotations

import functools
import hashlib
import os
import platform
from pathlib import Path

import numpy as np

ENV = "PLANET_CACHE_DIR"


def user_folder() -> Path | None:
    """The user's cache folder for ``planet``: ``$XDG_CACHE_HOME/planet``, else ``~/.cache/planet``
    (also where ``planet.io.earth`` keeps its reduced land mask); None where the user has no home
    (nothing is then kept: not a shared folder, where another user could leave a file of our name)."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "planet"
    try:
        return Path.home() / ".cache" / "planet"
    except (RuntimeError, KeyError, OSError):
        return None


def folder() -> Path | None:
    """This cache's folder (``$PLANET_CACHE_DIR``, else ``user_folder()``), or None when it is off
    (``PLANET_CACHE_DIR=off``)."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off", "none") else Path(env).expanduser()
    return user_folder()


@functools.lru_cache(maxsize=None)
def _environment() -> bytes:
    import numba
    from llvmlite import binding

    return repr((np.__version__, numba.__version__, platform.libc_ver(), platform.machine(),
                 binding.get_host_cpu_name())).encode()


def digest(*sources: str | os.PathLike) -> str:
    """A digest of the ``sources`` files' bytes and the environment that compiles and runs them."""
    h = hashlib.sha256(_environment())
    for path in sources:
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:20]


def _path(name: str, code: str) -> Path | None:
    base = folder()
    return None if base is None else base / f"{name}-{code}.npy"


def load(name: str, code: str, shape: tuple, dtype) -> np.ndarray | None:
    """The kept array of ``name`` (a key without path separators) and code digest ``code``, or None
    when there is none of that shape and dtype (or it cannot be read)."""
    path = _path(name, code)
    if path is None:
        return None
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if a.shape != tuple(shape) or a.dtype != np.dtype(dtype):
        return None
    return a


def save(name: str, code: str, array: np.ndarray) -> None:
    """Keep ``array`` under ``name`` and ``code``; silently nothing where the folder cannot be written."""
    path = _path(name, code)
    if path is not None:
        keep(path, lambda tmp: _write(tmp, array))


def keep(path: Path, write) -> None:
    """``write(tmp)`` and rename it to ``path`` (``files.atomic_write``), making the folder; silently
    nothing where that cannot be done (a cache is computed again next time)."""
    from planet.core.files import OutputError, atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, write)
    except (OSError, OutputError):
        pass


def _write(tmp: str, array: np.ndarray) -> None:
    with open(tmp, "wb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)
