"""Checkpoints: long runs that survive being killed.

    from planet.io.checkpoint import run_with_checkpoints, resume
    world = Planet(resolution=512, seed=7)
    run_with_checkpoints(world, until="story_end", every=600, directory="ckpt", keep=3)
    # ... killed at any moment; later:
    world = resume("ckpt")                     # newest valid checkpoint
    run_with_checkpoints(world, until="story_end", every=600, directory="ckpt", keep=3)

A checkpoint is a state file (``State.save``: ``.npz`` with a SHA-256
checksum of the fields, zip CRC-32 on every member) named
``checkpoint-<step, 9 digits>.npz``, so names sort by step. It is written
to a temporary file in the same folder, flushed and fsynced, renamed into
place, and then the folder itself is fsynced so the rename survives a power
cut. A kill (even SIGKILL) can therefore leave at most a stray
``.checkpoint-*.tmp`` file (removed by the next run), never a file under a
checkpoint name that loads but holds the wrong state; after the rename the
file is read back and compared with the state in memory.

Resuming takes the newest checkpoint that loads, checks and names the step
it claims (``latest_valid``); a damaged one is skipped with a
``CheckpointWarning`` and moved aside as ``*.damaged``. Every random decision
of the model is a pure function of (seed, stream, step, cell), and a state
holds everything a step reads, so the resumed run is bit-identical to one
that was never interrupted.

A checkpoint folder belongs to one world: a run refuses a folder that holds
checkpoints of another seed, resolution, configuration or stage list, and
holds an exclusive lock (``.lock``, released by the kernel even on SIGKILL)
so that two runs cannot write into it at once.
"""
from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path

import numpy as np

from planet.core.files import fsync_directory
from planet.core.state import State, StateFileError, fields_checksum

PREFIX = "checkpoint-"
SUFFIX = ".npz"
DIGITS = 9
_NAME = re.compile(rf"^{PREFIX}(\d+){re.escape(SUFFIX)}$")


class CheckpointError(ValueError):
    """A checkpoint folder cannot be used (another world's checkpoints, locked, nothing to resume)."""


class CheckpointWarning(UserWarning):
    """A damaged checkpoint was skipped."""


# -- names and listing --------------------------------------------------------------
def checkpoint_path(directory, step: int) -> Path:
    """``directory/checkpoint-000012345.npz``."""
    return Path(directory) / f"{PREFIX}{int(step):0{DIGITS}d}{SUFFIX}"


def list_checkpoints(directory) -> list[tuple[int, Path]]:
    """``(step, path)`` of every file named like a checkpoint, oldest first (valid or not)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for entry in directory.iterdir():
        m = _NAME.match(entry.name)
        if m and entry.is_file():
            found.append((int(m.group(1)), entry))
    return sorted(found)


def read_meta(path) -> dict:
    """The metadata record of a state file, without reading its fields."""
    from planet.core.state import file_kind

    try:
        if file_kind(path) != "npz":
            raise StateFileError(f"{path} is not a planet state file")
        with np.load(path, allow_pickle=False) as data:
            return json.loads(bytes(data["meta"]).decode())
    except StateFileError:
        raise
    except Exception as e:  # zipfile, npy header (SyntaxError, TokenError), JSON, I/O: all mean damaged
        raise StateFileError(f"state file {path} is damaged ({type(e).__name__}: {e})") from None


# -- writing -----------------------------------------------------------------------
def write_checkpoint(state: State, directory, verify: bool = True) -> Path:
    """Write ``state`` as the checkpoint of its step, atomically and durably; return its path.

    With ``verify`` the file is read back and its fields compared (by checksum) with ``state``;
    a mismatch removes the file and raises ``StateFileError``.
    """
    directory = Path(directory)
    path = state.save(checkpoint_path(directory, state.step))
    fsync_directory(directory)
    if verify:
        try:
            back = load_checkpoint(path)
            good = back.step == state.step and fields_checksum(back.fields) == fields_checksum(state.fields)
        except StateFileError:
            good = False
        if not good:
            path.unlink(missing_ok=True)
            raise StateFileError(f"checkpoint {path} did not read back as written (disk or file system fault)")
    return path


def prune(directory, keep: int | None, newest: int) -> list[Path]:
    """Remove checkpoints older than ``newest`` beyond the ``keep - 1`` most recent (``keep`` None: none).

    Checkpoints after ``newest`` are left alone (they are never counted): a run that
    resumed from an older checkpoint overwrites them as it reaches their steps.
    """
    if keep is None:
        return []
    older = [p for s, p in list_checkpoints(directory) if s < newest]
    doomed = older[:max(0, len(older) - (keep - 1))]
    for p in doomed:
        p.unlink(missing_ok=True)
    if doomed:
        fsync_directory(directory)
    return doomed


def remove_temporaries(directory) -> list[Path]:
    """Remove ``.checkpoint-*.tmp`` files left by a writer that was killed."""
    gone = []
    for entry in Path(directory).glob(f".{PREFIX}*.tmp"):
        entry.unlink(missing_ok=True)
        gone.append(entry)
    return gone


# -- reading -----------------------------------------------------------------------
def load_checkpoint(path) -> State:
    """Load a checkpoint; ``StateFileError`` if damaged or if it holds another step than its name says."""
    path = Path(path)
    try:
        state = State.load(path, allow_nonfinite=True)   # a checkpoint is read as written (the guard checks values)
    except StateFileError:
        raise
    except Exception as e:  # a damaged npy header can raise SyntaxError, tokenize.TokenError, ...
        raise StateFileError(f"state file {path} is damaged ({type(e).__name__}: {e})") from None
    m = _NAME.match(path.name)
    if m and int(m.group(1)) != state.step:
        raise StateFileError(f"checkpoint {path} holds step {state.step}, not the step its name says")
    return state


def latest_valid(directory, *, warn: bool = True) -> State | None:
    """The newest checkpoint in ``directory`` that loads and checks, or None.

    Damaged checkpoints (truncated, flipped bytes, wrong step) are skipped, each with a
    ``CheckpointWarning`` naming the file and the reason.
    """
    found = _latest(directory, warn=warn)
    return None if found is None else found[1]


def _latest(directory, warn: bool = True, move_damaged: bool = False) -> tuple[Path, State] | None:
    for step, path in reversed(list_checkpoints(directory)):
        try:
            return path, load_checkpoint(path)
        except StateFileError as e:
            aside = ""
            if move_damaged:
                target = path.with_name(path.name + ".damaged")
                os.replace(path, target)
                aside = f" (moved to {target.name})"
            if warn:
                warnings.warn(f"skipping damaged checkpoint {path}{aside}: {e}", CheckpointWarning, stacklevel=3)
    return None


def resume(directory, guard=None):
    """A ``Planet`` continuing the newest valid checkpoint in ``directory``.

    Damaged checkpoints newer than it are moved aside (``*.damaged``) with a warning.
    Raises ``CheckpointError`` if the folder holds no valid checkpoint.
    """
    from planet.world import Planet

    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"resume: checkpoint folder {directory} does not exist")
    n = len(list_checkpoints(directory))
    found = _latest(directory, move_damaged=True)
    if found is None:
        raise CheckpointError(f"resume: no valid checkpoint in {directory}"
                              + (f" ({n} damaged)" if n else " (it holds no checkpoint-*.npz files)"))
    return Planet.from_state(found[1], guard=guard)


# -- one world per folder, one writer at a time ---------------------------------------
def _identity(meta: dict) -> dict:
    return {k: meta.get(k) for k in ("seed", "resolution", "rows", "config", "stages")}


def check_same_world(directory, state: State) -> None:
    """Refuse a folder whose checkpoints belong to another world than ``state``'s."""
    mine = _identity(json.loads(json.dumps(state.meta())))
    for step, path in reversed(list_checkpoints(directory)):
        try:
            theirs = _identity(read_meta(path))
        except StateFileError:
            continue
        if theirs != mine:
            diff = [k for k in mine if mine[k] != theirs[k]]
            raise CheckpointError(
                f"checkpoint folder {directory} holds checkpoints of another world ({path.name} differs in "
                f"{', '.join(diff)}); choose another checkpoint folder or remove them")
        return


class _Lock:
    """An exclusive ``flock`` on ``directory/.lock`` (released by the kernel when the process dies)."""

    def __init__(self, directory: Path):
        self.path = directory / ".lock"
        self.fd = None

    def __enter__(self):
        import fcntl

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise CheckpointError(f"checkpoint folder {self.path.parent} is in use by another run") from None
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # closing releases the lock


# -- the run loop -----------------------------------------------------------------
def validate_every(every, name: str = "checkpoint every") -> int:
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"{name} must be an integer number of steps >= 1, got {every!r}")
    return int(every)


def validate_keep(keep, name: str = "keep") -> int | None:
    if keep is None:
        return None
    if isinstance(keep, bool) or not isinstance(keep, (int, np.integer)) or keep < 1:
        raise ValueError(f"{name} must be an integer >= 1 (checkpoints to keep), got {keep!r}")
    return int(keep)


def run_with_checkpoints(planet, until, every: int, directory, keep: int | None = None,
                         progress: bool = False, verify: bool = True, max_time: float | None = None,
                         **record) -> State:
    """Run ``planet`` to ``until`` (film seconds or epoch name), checkpointing into ``directory``.

    A checkpoint is written at every step that is a multiple of ``every`` and at the final
    step; after each, only the newest ``keep`` are kept (None: all). Returns the final state.
    ``until`` past ``max_time`` (``planet.world.time_bound``) is refused before any step.
    ``record`` (``record_every``, ``record``) goes to ``Planet.run``: the history is recorded too.
    """
    from planet.world import check_run_length

    every = validate_every(every)
    keep = validate_keep(keep)
    directory = Path(directory)
    if not directory.is_dir():
        if directory.exists():
            raise ValueError(f"checkpoint dir {directory} is not a folder")
        directory.mkdir(parents=True)
    target = check_run_length(planet.timeline, until, planet.config, max_time)
    if target < planet.state.step:
        raise ValueError(f"until={until!r} (step {target}) is before the current step {planet.state.step}")
    with _Lock(directory):
        remove_temporaries(directory)
        check_same_world(directory, planet.state)

        def save(state):
            write_checkpoint(state, directory, verify=verify)
            prune(directory, keep, state.step)

        planet.run(until, every=every, on_step=save, progress=progress, max_time=max_time, **record)
    return planet.state
