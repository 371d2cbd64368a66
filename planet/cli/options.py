"""Parsing and checking the command line's options: times, stages, output paths, the run-length
bound, the NaN escape hatch, and an argument parser whose errors are one line."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path



class CLIError(ValueError):
    """A bad command-line value (reported in one line, exit status 2)."""


def parse_until(text: str):
    """``--until``: film seconds (a number) or an epoch name."""
    try:
        return float(text)
    except ValueError:
        return text


EXIT_CODES = """exit status:
  0    success
  1    statistics drifted from the baseline (stats --baseline), or a world of a sweep failed
  2    bad input, an unreadable or damaged file, or an output that cannot be written
       (one line on stderr: "planet: error: ..."; no output file is left half-written)
  3    the numerical guard stopped a run (run --guard-every)
  130  interrupted (Ctrl-C); 128+N: stopped by signal N (SIGTERM: 143)
  141  the reader of the output went away (a closed pipe)"""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the CLI's error style: one line, ``planet: error: ...``, exit status 2 (no usage block)."""

    def error(self, message):
        self.exit(2, f"planet: error: {message}\n")


def check_output_path(path: str | os.PathLike, option: str = "--out") -> Path:
    """Fail early if ``path`` cannot be written (before any long computation): ``planet.files``' policy."""
    from planet.core.files import check_output_file

    return check_output_file(path, option, error=CLIError)


def check_output_dir(path: str | os.PathLike, option: str = "--out") -> Path:
    """A folder that files will be written into (created if missing); fail early if it cannot be written
    (a file is created and removed there: read-only and immutable folders fail now)."""
    from planet.core.files import probe_folder

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CLIError(f"{option} {path} exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"{option} {path}: cannot create folder ({e.strerror})") from None
    probe_folder(path, CLIError, option)
    return path


def parse_stages(text: str | None, option: str = "--stages") -> list[str] | None:
    """``"lithosphere,climate"`` → the stage names, checked (None: the default set)."""
    from planet.model import REGISTRY

    if text is None:
        return None
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise CLIError(f"{option} must name at least one stage of {', '.join(REGISTRY)}; got {text!r}")
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise CLIError(f"{option}: unknown stage {unknown[0]!r}; known stages: {', '.join(REGISTRY)}")
    return names


def parse_max_time(args, config=None) -> float | None:
    """``--max-time SECONDS`` (``inf``: no bound), checked; None when not given."""
    from planet.world import time_bound

    value = getattr(args, "max_time", None)
    if value is None:
        return None
    try:
        return time_bound(config, value)
    except ValueError:
        raise CLIError(f"--max-time must be film seconds >= 0 (or inf), got {value}") from None


def add_max_time(p: argparse.ArgumentParser) -> None:
    from planet.world import RUN_MARGIN

    p.add_argument("--max-time", type=float, default=None, metavar="SECONDS",
                   help=f"refuse to run past this film time (default: the story's end + {RUN_MARGIN:g} s, "
                        f"i.e. 500 s; 'inf' for no bound)")


def add_allow_nonfinite(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-nonfinite", action="store_true",
                   help="read a state that holds NaN or infinite values (refused otherwise, naming the "
                        "field and the first bad cell)")


# -- one grammar: the options several subcommands share, each defined once --------------------
#: the grid columns of a new world when --resolution is not given (every subcommand)
DEFAULT_RESOLUTION = 512


class OldSpelling(argparse.Action):
    """Store the value; an old spelling among ``option_strings`` (``old=``) prints a one-line note on stderr.

    The grammar test skips old spellings: they are kept for scripts written before the grammar was one."""

    def __init__(self, option_strings, dest, old=(), **kwargs):
        self.old = tuple(old)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        if option_string in self.old:
            new = next(o for o in self.option_strings if o not in self.old)
            print(f"planet: note: {option_string} is the old spelling of {new} here; it still works, "
                  f"but write {new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_resolution(p: argparse.ArgumentParser) -> None:
    p.add_argument("--resolution", type=int, default=None, metavar="COLUMNS",
                   help=f"grid columns of a new world (rows are half); a multiple of 32 from 128 to 16384 "
                        f"(default {DEFAULT_RESOLUTION}; from a --heightmap: the finest it fills, at most 1024)")


def resolution_of(args) -> int:
    """``--resolution``, or the default of every subcommand when it is not given."""
    value = getattr(args, "resolution", None)
    return DEFAULT_RESOLUTION if value is None else value


def add_seed(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=None,
                   help="world seed, an integer in [0, 2**32-1]; 0 is the reference protoplanet (default 0)")


def add_stages(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stages", default=None, metavar="LIST",
                   help="comma-separated processes to run, in step order: lithosphere,climate,atmosphere,life "
                        "(default: all available)")


def add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, default=None,
                   help="kernel threads (default: all cores); results do not depend on it")


def add_config(p, help_extra: str = "") -> None:
    p.add_argument("--config", metavar="FILE.toml",
                   help="model constants and schedule (TOML; see `planet config --default`)" + help_extra)


def add_from(p: argparse.ArgumentParser, old: tuple[str, ...] = (), help: str = "") -> None:
    """``--from STATE``: a saved state (.npz) or NetCDF export to start from (``old``: old spellings)."""
    p.add_argument("--from", *old, dest="from_state", metavar="STATE", action=OldSpelling, old=old,
                   help="start from this saved state (.npz from `planet run --out`, or a NetCDF export)" + help
                        + "".join(f" ({o}: the old spelling)" for o in old))


def add_until(p: argparse.ArgumentParser, default: str, old: tuple[str, ...] = ()) -> None:
    p.add_argument("--until", *old, dest="until", type=parse_until, default=None, metavar="WHEN",
                   action=OldSpelling, old=old,
                   help="stop at this film time: seconds (e.g. 126) or an epoch name (start, ocean_start, "
                        f"ocean_end, land_end, human_start, tectonics_end, story_end, ...); default {default}"
                        + "".join(f" ({o}: the old spelling)" for o in old))


def add_start_time(p: argparse.ArgumentParser, default: str, old: tuple[str, ...] = ()) -> None:
    p.add_argument("--start-time", *old, dest="start_time", type=parse_until, default=None, metavar="WHEN",
                   action=OldSpelling, old=old,
                   help=f"start filming at this film time: seconds or an epoch name; default {default}"
                        + "".join(f" ({o}: the old spelling)" for o in old))


def add_progress(p: argparse.ArgumentParser) -> None:
    """``--progress`` / ``--quiet``: a progress bar on stderr, by default when stderr is a terminal."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", action="store_true",
                   help="show progress bars on stderr even when it is not a terminal (default: on a terminal)")
    g.add_argument("--quiet", action="store_true",
                   help="no progress bars and no messages; only errors (and the command's results on stdout)")


def show_progress(args) -> bool:
    """Whether to draw progress bars: ``--progress`` forces them, ``--quiet`` hides them, else on a terminal."""
    if getattr(args, "progress", False):
        return True
    if getattr(args, "quiet", False):
        return False
    return sys.stderr.isatty()


def when_of(value, timeline, option: str) -> float:
    """Film seconds of a ``--until``/``--start-time`` value (seconds or an epoch name) on ``timeline``."""
    try:
        return timeline.seconds(value)
    except ValueError as e:
        raise CLIError(f"{option}: {e}") from None


def state_world(args, config, stages, option: str = "--from"):
    """The ``Planet`` continuing the saved state ``args.from_state``: the options that make a new world
    (``--seed``, ``--resolution``, ``--heightmap``, ``--earth``) are refused with it, and so is a
    ``--config`` that differs from the state's own."""
    import planet
    from planet.io.read import read_state

    given = [o for o, v in (("--seed", getattr(args, "seed", None)), ("--resolution", getattr(args, "resolution", None)),
                            ("--heightmap", getattr(args, "heightmap", None)), ("--earth", getattr(args, "earth", None)))
             if v is not None and v is not False]
    if given:
        raise CLIError(f"{' and '.join(given)} make{'s' if len(given) == 1 else ''} a new world; {option} STATE "
                       f"continues a saved one with its own; drop {' and '.join(given)}")
    state = read_state(args.from_state, allow_nonfinite=getattr(args, "allow_nonfinite", False))
    if config is not None and config != state.config:
        mine, theirs = config.to_dict(), state.config.to_dict()
        diff = [f"{s}.{k}" for s in mine for k in mine[s] if mine[s][k] != theirs[s][k]]
        raise CLIError(f"--config differs from the configuration saved in {args.from_state} ({', '.join(diff[:3])}); "
                       f"a saved state continues with its own: omit --config (see `planet config --state`)")
    return planet.Planet.from_state(state, stages=stages)
