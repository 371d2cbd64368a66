"""Parsing and checking the command line's options: times, stages, output paths, the run-length
bound, the NaN escape hatch, and an argument parser whose errors are one line."""
from __future__ import annotations

import argparse
import os
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
