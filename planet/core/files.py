"""Writing files safely: every output of planet is written atomically.

``atomic_write(path, write)`` calls ``write(tmp)`` on a temporary file in the
target's folder, flushes it to disk, gives it ordinary permissions and renames
it over ``path``. A crash or an error at any moment leaves either the old file
or the new one at ``path``, never a half-written one, and no temporary behind.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def check_folder(path, error: type[Exception] = ValueError) -> Path:
    """The folder ``path`` will be written in; raise ``error`` if it is missing or read-only."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise error(f"output path {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise error(f"output path {path}: folder {folder} is not writable")
    return folder


def atomic_write(path, write: Callable[[str], None], error: type[Exception] = ValueError) -> Path:
    """Call ``write(tmp)`` on a temporary path next to ``path``, then rename it to ``path``."""
    path = Path(path)
    folder = check_folder(path, error)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(folder)
    return path


def fsync_directory(directory) -> None:
    """Make a rename or unlink in ``directory`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
