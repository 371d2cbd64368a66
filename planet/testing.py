"""Regression testing of worlds against saved statistics ("baselines").

A baseline is a JSON file holding the statistics of one state (``planet.analysis.stats``)
with the run's identity: resolution, seed, step, package version and
configuration, and a SHA-256 checksum of the statistics so that a damaged or
hand-edited file is refused::

    from planet.testing import assert_stats_close, write_baseline
    write_baseline("tests/baselines/seed0.json", state)          # once, or `planet stats --update`
    assert_stats_close(state, "tests/baselines/seed0.json",       # in a test
                       per_stat={"rivers": 1e-2, "plates.count": (0, 1)})

A statistic drifts when ``|now − baseline| > atol + rtol · |baseline|``, or
when it was computable on one side only. Default tolerances come from the
registry (``planet.analysis.stats.REGISTRY``); ``rtol``/``atol`` override them for
all statistics and ``per_stat`` for single statistics or whole groups
(``{"terrain": 1e-3}`` is an rtol; ``(rtol, atol)`` or ``{"rtol": …, "atol": …}``
give both). Unknown statistic names are refused. A baseline of another
resolution, seed or step is refused with a clear error; one written by another
package version is refused too (regenerate it), unless ``check_version=False``.

The project's own baselines are the :data:`CANONICAL` runs; regenerate them with
``python -m planet.testing tests/baselines`` (or ``pytest --planet-update-baselines``).
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from planet.analysis import stats as S
from planet.core.config import Config
from planet.core.files import atomic_write

FORMAT = "planet-stats-baseline"
FORMAT_VERSION = 2
#: version 1 (the checksum covers only the statistics) is still read
READABLE_VERSIONS = (1, 2)

#: the project's canonical regression runs: (seed, resolution, step). Step 3000 is t = 50 s, the
#: spec's first reference point (land, plates and rivers all exist there with the real lithosphere).
CANONICAL: tuple[tuple[int, int, int], ...] = ((0, 128, 3000), (1, 128, 3000))


class BaselineError(ValueError):
    """A baseline file is missing, damaged, or does not match the state it is compared with."""


def canonical_name(seed: int, resolution: int, step: int) -> str:
    return f"seed{seed}_r{resolution}_step{step}.json"


def run_world(seed: int, resolution: int, step: int, config: Config | None = None):
    """The state of a fresh ``Planet(resolution, seed, config=config)`` after ``step`` steps."""
    from .world import Planet

    return Planet(resolution=resolution, seed=seed, config=config).step(step)


# ---------------------------------------------------------------------------
# Baseline files.

@dataclass(frozen=True)
class Baseline:
    """A loaded baseline: the run's identity (``meta``) and its statistics."""

    meta: dict
    values: dict[str, S.Value]
    path: str = "<memory>"


def _checksum(statistics: dict, meta: dict | None = None) -> str:
    """SHA-256 of the statistics (format version 1) or of the statistics and the metadata (version 2:
    an edited seed, step, resolution or configuration fails it too)."""
    doc = statistics if meta is None else {"meta": meta, "statistics": statistics}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def _as_statistics(source, sea_level=None) -> S.Statistics:
    if isinstance(source, S.Statistics):
        return source
    return S.compute(source, sea_level=sea_level)


def baseline_document(source) -> dict:
    """The JSON document of a baseline for a ``State`` or ``Statistics``."""
    stats = _as_statistics(source)
    body = stats.to_dict()["statistics"]
    meta = json.loads(json.dumps(stats.meta))      # as it will read back
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "meta": meta,
            "statistics": body, "checksum": _checksum(body, meta)}


def write_baseline(path, source) -> Path:
    """Write the baseline of a ``State`` (its statistics are computed) or ``Statistics``, atomically."""
    text = json.dumps(baseline_document(source), indent=1, ensure_ascii=False) + "\n"

    def write(tmp):
        Path(tmp).write_text(text, encoding="utf-8")
    return atomic_write(path, write)


def load_baseline(path, *, check_version: bool = True) -> Baseline:
    """Read and check a baseline file; ``BaselineError`` with a one-line reason if it is unusable."""
    from planet._version import __version__

    path = Path(path)
    if path.exists() and not path.is_file():
        raise BaselineError(f"baseline {path} is not a file")
    if not path.is_file():
        raise BaselineError(f"baseline {path} does not exist (write it with `planet stats STATE --baseline {path} --update`)")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BaselineError(f"baseline {path} cannot be read ({e.strerror})") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise BaselineError(f"baseline {path} is corrupt (not valid JSON: {e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BaselineError(f"baseline {path} is not a planet statistics baseline")
    version = doc.get("format_version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise BaselineError(f"baseline {path} has format version {version!r}, "
                            f"this planet reads versions {', '.join(map(str, READABLE_VERSIONS))}")
    body, meta = doc.get("statistics"), doc.get("meta")
    if isinstance(meta, dict) and check_version and meta.get("planet_version") != __version__ \
            and isinstance(meta.get("planet_version"), str):
        raise BaselineError(f"baseline {path} was written by planet {meta['planet_version']}, this is planet "
                            f"{__version__}; regenerate it with --update")
    # version 2 checksums the metadata with the statistics; a checksum of the statistics alone (version
    # 1's) is still read: no damage turns one into the other, only a deliberate re-checksumming does
    if not isinstance(body, dict) or not isinstance(meta, dict) \
            or doc.get("checksum") not in (_checksum(body, meta), _checksum(body)):
        raise BaselineError(f"baseline {path} is corrupt (checksum mismatch: it was damaged or edited by hand; "
                            f"regenerate it with --update)")
    version = meta.get("planet_version")
    if check_version and version != __version__:
        raise BaselineError(f"baseline {path} was written by planet {version}, this is planet {__version__}; "
                            f"regenerate it with --update")
    for key in ("resolution", "rows", "seed", "step"):
        if isinstance(meta.get(key), bool) or not isinstance(meta.get(key), int) or meta[key] < 0:
            raise BaselineError(f"baseline {path} is corrupt (meta.{key} missing or negative)")
    values = {}
    for name, entry in body.items():
        if name not in S.REGISTRY:
            raise BaselineError(f"baseline {path} has statistic {name!r}, unknown to planet {__version__}; "
                                f"regenerate it with --update")
        try:
            value, status = entry["value"], entry["status"]
            values[name] = S.Value(None if value is None else float(value), str(status))
        except (TypeError, KeyError, ValueError):
            raise BaselineError(f"baseline {path} is corrupt (entry {name!r})") from None
    return Baseline(meta, values, str(path))


def _as_baseline(baseline, check_version: bool) -> Baseline:
    if isinstance(baseline, Baseline):
        return baseline
    if isinstance(baseline, S.Statistics):
        return Baseline(baseline.meta, dict(baseline), "<statistics>")
    return load_baseline(baseline, check_version=check_version)


def check_compatible(meta: Mapping, baseline: Baseline) -> None:
    """Refuse a baseline of another resolution, seed or step than ``meta`` (a ``Statistics.meta``)."""
    b = baseline.meta
    if (b["resolution"], b["rows"]) != (meta["resolution"], meta["rows"]):
        raise BaselineError(f"baseline {baseline.path} is for resolution {b['resolution']} "
                            f"({b['rows']} rows), the state has resolution {meta['resolution']}")
    for key in ("seed", "step"):
        if b[key] != meta[key]:
            raise BaselineError(f"baseline {baseline.path} is for {key} {b[key]}, the state has {key} {meta[key]}")


def config_differences(a: Mapping, b: Mapping) -> list[str]:
    """Dotted keys whose values differ between two ``Config.to_dict()``s."""
    out = []
    for section in sorted(set(a) | set(b)):
        sa, sb = a.get(section, {}), b.get(section, {})
        out += [f"{section}.{k}" for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k)]
    return out


# ---------------------------------------------------------------------------
# Tolerances and comparison.

def _parse_pair(name: str, value) -> tuple[float | None, float | None]:
    if isinstance(value, Mapping):
        bad = set(value) - {"rtol", "atol"}
        if bad:
            raise ValueError(f"tolerance for {name!r}: unknown key {sorted(bad)[0]!r}; use rtol and atol")
        pair = (value.get("rtol"), value.get("atol"))
    elif isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"tolerance for {name!r} must be rtol or (rtol, atol), got {value!r}")
        pair = tuple(value)
    else:
        pair = (value, None)
    for kind, v in zip(("rtol", "atol"), pair):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0
                              or not math.isfinite(v)):
            raise ValueError(f"{kind} for {name!r} must be a finite number >= 0, got {v!r}")
    return pair


def tolerances(names, rtol: float | None = None, atol: float | None = None,
               per_stat: Mapping | None = None) -> dict[str, tuple[float, float]]:
    """``name → (rtol, atol)`` for ``names``: registry defaults, then ``rtol``/``atol`` for all,
    then ``per_stat`` (keys: statistic or group names; groups first, single statistics win)."""
    rg, ag = _parse_pair("all statistics", (rtol, atol))
    out = {n: (S.REGISTRY[n].rtol if rg is None else rg, S.REGISTRY[n].atol if ag is None else ag) for n in names}
    per_stat = dict(per_stat or {})
    for key in per_stat:
        if key not in S.GROUPS and key not in S.REGISTRY:
            raise ValueError(f"unknown statistic {key!r} in tolerances; use a statistic name such as "
                             f"'terrain.land_fraction' or a group ({', '.join(S.GROUPS)})")
    ordered = sorted(per_stat, key=lambda k: k not in S.GROUPS)
    for key in ordered:
        r, a = _parse_pair(key, per_stat[key])
        targets = [n for n in out if S.REGISTRY[n].group == key] if key in S.GROUPS else [key] if key in out else []
        for n in targets:
            out[n] = (out[n][0] if r is None else float(r), out[n][1] if a is None else float(a))
    return out


@dataclass(frozen=True)
class Comparison:
    """One statistic compared with its baseline."""

    name: str
    baseline: S.Value
    now: S.Value
    rtol: float
    atol: float

    @property
    def tolerance(self) -> float:
        return self.atol + self.rtol * abs(self.baseline.value or 0.0)

    @property
    def ok(self) -> bool:
        if self.baseline.value is None or self.now.value is None:
            return (self.baseline.value is None) == (self.now.value is None)
        return abs(self.now.value - self.baseline.value) <= self.tolerance

    def row(self) -> tuple[str, str, str, str, str]:
        if self.baseline.value is not None and self.now.value is not None:
            diff = S.format_value(self.now.value - self.baseline.value)
        else:
            diff = "computable on one side only" if not self.ok else ""
        return (self.name, self.baseline.short(), self.now.short(), diff,
                f"{S.format_value(self.atol)} + {S.format_value(self.rtol)}·|b| = {self.tolerance:.3g}")


def compare(stats: S.Statistics, baseline: Baseline, rtol=None, atol=None, per_stat=None) -> list[Comparison]:
    """Compare every statistic of ``baseline`` with ``stats`` (missing ones count as not computable)."""
    tol = tolerances(list(baseline.values), rtol, atol, per_stat)
    missing = S.Value(None, "not computed")
    return [Comparison(n, b, stats.get(n, missing), *tol[n]) for n, b in baseline.values.items()]


def drift_table(comparisons: list[Comparison], only_drifted: bool = True) -> str:
    rows = [c.row() for c in comparisons if not (only_drifted and c.ok)]
    return S.format_table(("statistic", "baseline", "now", "now − baseline", "tolerance"), rows)


def drift_report(comparisons: list[Comparison], stats: S.Statistics, baseline: Baseline) -> str:
    """Header naming the moved statistics and any configuration difference, then the drift table."""
    drifted = [c for c in comparisons if not c.ok]
    lines = [f"{len(drifted)} of {len(comparisons)} statistics drifted from baseline {baseline.path} "
             f"(seed {stats.meta['seed']}, resolution {stats.meta['resolution']}, step {stats.meta['step']}): "
             + ", ".join(c.name for c in drifted)]
    diff = config_differences(baseline.meta.get("config", {}), stats.meta.get("config", {}))
    if diff:
        lines.append("configuration differs from the baseline's in: " + ", ".join(diff))
    lines.append(drift_table(comparisons))
    return "\n".join(lines)


def assert_stats_close(state, baseline, rtol: float | None = None, atol: float | None = None,
                       per_stat: Mapping | None = None, *, check_version: bool = True,
                       sea_level: float | None = None) -> list[Comparison]:
    """Raise ``AssertionError`` listing every statistic of ``state`` that drifted from ``baseline``.

    ``state`` is a ``State`` or precomputed ``Statistics``; ``baseline`` a path, a
    :class:`Baseline` or ``Statistics``. The message is a table: name, baseline, now,
    difference, tolerance. Returns the comparisons when nothing drifted.
    """
    base = _as_baseline(baseline, check_version)
    tolerances(list(base.values), rtol, atol, per_stat)  # refuse bad tolerances before computing
    if isinstance(state, S.Statistics):
        stats = state
    else:
        stats = S.compute(state, list(base.values), sea_level=sea_level)
    check_compatible(stats.meta, base)
    comparisons = compare(stats, base, rtol, atol, per_stat)
    if not all(c.ok for c in comparisons):
        raise AssertionError(drift_report(comparisons, stats, base))
    return comparisons


def write_canonical(folder) -> list[Path]:
    """Run every :data:`CANONICAL` world and write its baseline into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_baseline(folder / canonical_name(*key), run_world(*key)) for key in CANONICAL]


if __name__ == "__main__":  # python -m planet.testing tests/baselines
    target = sys.argv[1] if len(sys.argv) > 1 else "tests/baselines"
    for p in write_canonical(target):
        print(f"wrote {p}")
