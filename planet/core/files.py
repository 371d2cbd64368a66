"""Writing files safely: one output policy for every writer of planet.

``check_output_file(path)`` and ``check_frame_folder(path)`` validate an output
path **before any work starts**: the folder it goes in exists and can be
written (a file is created and removed there to make sure: read-only and
immutable folders, full quotas and bad names show up now, not after an hour
of simulation), and the target is absent or a regular file (a file we replace
atomically). A device, pipe, socket or folder is never replaced; a frame
folder must be new or empty, and it may not be the current folder or one of
its parents.

``atomic_write(path, write)`` checks the same, calls ``write(tmp)`` on a
temporary file in the target's folder, flushes it to disk, gives it ordinary
permissions and renames it over ``path``. A crash or an error at any moment
leaves either the old file or the new one at ``path``, never a half-written
one, and no temporary behind. An ``OSError`` while writing (``ENOSPC`` a full
disk, ``EROFS``, ``EACCES``, ``ENAMETOOLONG``, ``EFBIG``...) becomes an
``OutputError`` (a ``ValueError``: the CLI prints one ``planet: error:`` line
and exits 2) after the temporary is removed.

Only files this run wrote are ever removed: temporaries, and a frame folder's
temporary copy.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

#: temporaries are named ``.<start of the target's name>.<random>.tmp``: a long target name must
#: not make its temporary's name too long
TMP_NAME_CHARS = 96


class OutputError(ValueError):
    """An output path cannot be written (checked up front, or failed while writing)."""


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def os_message(e: OSError) -> str:
    """A short reason for an ``OSError`` (``no space left on device``, ...)."""
    reason = e.strerror or (errno.errorcode.get(e.errno, "") if e.errno else "") or type(e).__name__
    return reason[:1].lower() + reason[1:]


def check_folder(path, error: type[Exception] = OutputError, option: str = "output path") -> Path:
    """The folder ``path`` will be written in; raise ``error`` if it is missing or read-only."""
    path = Path(path)
    folder = _folder(path)
    if not folder.is_dir():
        raise error(f"{option} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise error(f"{option} {path}: folder {folder} is not writable")
    return folder


def _probe(folder: Path, path, error, option: str) -> None:
    """Create and remove a file in ``folder``: the one sure test that it can be written now."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".planet-probe.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise error(f"{option} {path}: cannot write in folder {folder} ({os_message(e)})") from None
    os.close(fd)
    os.unlink(tmp)


def probe_folder(folder, error: type[Exception] = OutputError, option: str = "output folder") -> Path:
    """Raise ``error`` unless a file can be created in the existing folder ``folder`` now."""
    folder = Path(folder)
    _probe(folder, folder, error, option)
    return folder


def check_target(path, error: type[Exception] = OutputError, option: str = "output path") -> None:
    """Refuse a target that exists and is not a regular file (a folder, a device, a pipe, a socket)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise error(f"{option} {path}: {os_message(e)}") from None
    if not stat.S_ISREG(st.st_mode):
        hint = "; give a file path" if stat.S_ISDIR(st.st_mode) else "; planet only replaces regular files"
        raise error(f"{option} {path} is {_describe(st.st_mode)}{hint}")


def check_output_file(path, option: str = "output path", error: type[Exception] = OutputError,
                      probe: bool = True) -> Path:
    """Validate an output file path before any work (see the module docstring); return it as a Path."""
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        raise error(f"{option} must be a file path, got {path!r}")
    if text.endswith(("/", os.sep)):
        raise error(f"{option} {text} ends in '/', which names a folder; give a file path")
    path = Path(text)
    if path.name in ("", ".", ".."):
        raise error(f"{option} {text} names a folder; give a file path")
    folder = check_folder(path, error, option)
    if len(os.fsencode(path.name)) > _name_max(folder):
        raise error(f"{option}: the file name is too long ({len(os.fsencode(path.name))} bytes; "
                    f"at most {_name_max(folder)})")
    check_target(path, error, option)
    if probe:
        _probe(folder, path, error, option)
    return path


def check_frame_folder(path, option: str = "output folder", error: type[Exception] = OutputError) -> Path:
    """Validate a folder that will be filled with frames: new or empty, never the current folder or one
    of its parents, in a folder that exists and can be written."""
    text = os.fspath(path)
    path = Path(text)
    if path.name in ("", ".", ".."):
        raise error(f"{option} {text} is the current folder or a parent of it; name a new folder")
    try:
        resolved, here = path.resolve(), Path.cwd().resolve()
    except OSError as e:
        raise error(f"{option} {text}: {os_message(e)}") from None
    if resolved == here or resolved in here.parents:
        raise error(f"{option} {text} is the current folder or a parent of it; name a new folder")
    folder = check_folder(path, error, option)
    if len(os.fsencode(path.name)) > _name_max(folder):
        raise error(f"{option}: the folder name is too long ({len(os.fsencode(path.name))} bytes)")
    if os.path.lexists(path):
        if not path.is_dir():
            raise error(f"{option} {text} exists and is not a folder")
        try:
            entries = os.listdir(path)
        except OSError as e:
            raise error(f"{option} {text}: {os_message(e)}") from None
        if entries:
            raise error(f"{option} {text} is a folder that is not empty ({len(entries)} entries); planet writes "
                        f"frames only into a new or empty folder: name another one")
    _probe(folder, path, error, option)
    return path


def temporary_prefix(path: Path) -> str:
    """``.<name>.`` for a temporary next to ``path`` (long names shortened)."""
    return f".{path.name[:TMP_NAME_CHARS]}."


def atomic_write(path, write: Callable[[str], None], error: type[Exception] = OutputError) -> Path:
    """Call ``write(tmp)`` on a temporary path next to ``path``, then rename it to ``path``.

    ``path`` is checked first (``check_output_file``, without the probe); an ``OSError`` on the way
    (the write, the flush, the rename) removes the temporary and raises ``error`` naming the path and
    the reason. Other exceptions remove the temporary and pass through.
    """
    path = check_output_file(path, error=error, probe=False)
    folder = _folder(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp", dir=folder)
    except OSError as e:
        raise error(f"cannot write {path}: {os_message(e)}") from None
    os.close(fd)
    try:
        try:
            write(tmp)
            _fsync_file(tmp)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file ordinary permissions
            check_target(path, error)      # became a device or a folder while we wrote? leave it alone
            os.replace(tmp, path)
        except OSError as e:
            raise error(f"cannot write {path}: {os_message(e)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(folder)
    return path


def _fsync_file(path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


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
