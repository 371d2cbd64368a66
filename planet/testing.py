"""Regression testing of worlds against saved statistics ("baselines"), the pytest way.

A baseline is a JSON file holding the statistics of one state (``planet.analysis.stats``)
with the run's identity (resolution, seed, step, package version, configuration).
The plain output of ``planet stats STATE --json FILE`` is a valid baseline; so is
what ``write_baseline`` writes (the same document plus a format tag and an
optional checksum, below). In a test::

    from planet.testing import assert_stats_close
    def test_my_world(planet_world):
        state = planet_world(seed=0, resolution=128, step=3000)
        assert_stats_close(state, "tests/baselines/seed0.json", per_stat={"rivers": 1e-2})

It works as pytest-regressions does:

* a **missing** baseline is written from the state and the test fails once,
  saying so (check the file in; from the next run on it is compared);
* ``pytest --planet-update-baselines`` rewrites every baseline that
  ``assert_stats_close`` compares against (the test fails, naming what moved,
  when the rewrite changed anything beyond tolerance, and passes otherwise);
* a failure starts with one short line (how many statistics drifted and the
  worst three, by distance in tolerances), then the table of every drifted
  statistic; the library's own frames are hidden from pytest's traceback
  (``__tracebackhide__``);
* a baseline of another **seed, resolution or step** is an assertion failure
  (:class:`BaselineMismatch`) saying which, never a silent pass;
* one written by another **planet version** still compares; a
  :class:`BaselineVersionWarning` says so (``check_version=False`` silences it).

A statistic drifts when ``|now − baseline| > atol + rtol · |baseline|``, or
when it was computable on one side only. Default tolerances come from the
registry (``planet.analysis.stats.REGISTRY``); ``rtol``/``atol`` override them for
all statistics and ``per_stat`` for single statistics or whole groups
(``{"terrain": 1e-3}`` is an rtol; ``(rtol, atol)`` or ``{"rtol": …, "atol": …}``
give both). Unknown statistic names in tolerances are refused.

**The checksum** (optional). ``write_baseline`` adds ``"checksum"``, the SHA-256
of the ``meta`` and ``statistics`` objects (JSON with sorted keys), so that a file
changed after writing (a flipped bit, an accidental edit, a bad merge) is refused
with :class:`BaselineError` instead of giving a misleading comparison. After a
deliberate hand edit, delete the ``checksum`` key (a baseline without one is
checked for nothing but its content). A file that is not valid
JSON, or not statistics, is refused with :class:`BaselineError`.

The project's own baselines are the :data:`CANONICAL` runs; regenerate them with
``python -m planet.testing tests/baselines`` (or ``pytest --planet-update-baselines``).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Mapping

from planet.analysis import stats as S
from planet.analysis.drift import (Baseline, Comparison, config_differences, compare, drift_report, drift_summary, drift_table,  # noqa: F401 (re-exported)
                                   tolerances)
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


class BaselineMismatch(AssertionError, BaselineError):
    """The baseline is of another seed, resolution or step than the state: a failed assertion
    (and a ``BaselineError``, so that ``planet stats --baseline`` reports it in one line)."""


class BaselineWritten(AssertionError):
    """``assert_stats_close`` wrote the baseline (it was missing, or baselines are being updated)."""


class BaselineVersionWarning(UserWarning):
    """The baseline was written by another planet version (the comparison still runs)."""


#: set by the pytest plugin under ``--planet-update-baselines`` (or the environment variable
#: ``PLANET_UPDATE_BASELINES=1``): ``assert_stats_close`` then rewrites its baselines
UPDATE_BASELINES = False


def updating() -> bool:
    """Whether baselines are being rewritten (``--planet-update-baselines`` or ``PLANET_UPDATE_BASELINES=1``)."""
    return UPDATE_BASELINES or os.environ.get("PLANET_UPDATE_BASELINES", "") not in ("", "0")


def canonical_name(seed: int, resolution: int, step: int) -> str:
    return f"seed{seed}_r{resolution}_step{step}.json"


def run_world(seed: int, resolution: int, step: int, config: Config | None = None):
    """The state of a fresh ``Planet(resolution, seed, config=config)`` after ``step`` steps."""
    from .world import Planet

    return Planet(resolution=resolution, seed=seed, config=config).step(step)


# ---------------------------------------------------------------------------
# Baseline files.

def _checksum(statistics: dict, meta: dict | None = None) -> str:
    """SHA-256 of the statistics (format version 1) or of the statistics and the metadata (version 2:
    an edited seed, step, resolution or configuration fails it too)."""
    doc = statistics if meta is None else {"meta": meta, "statistics": statistics}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def _as_statistics(source, sea_level=None) -> S.Statistics:
    if isinstance(source, S.Statistics):
        return source
    return S.compute(source, sea_level=sea_level)


CHECKSUM_NOTE = ("checksum: SHA-256 of the meta and statistics objects (JSON, sorted keys). Optional: planet "
                 "refuses a file that no longer matches it (damage); after a deliberate hand edit, delete the "
                 "checksum key.")


def baseline_document(source, checksum: bool = True) -> dict:
    """The JSON document of a baseline for a ``State`` or ``Statistics``: the ``planet stats --json``
    document plus a format tag and (unless ``checksum=False``) the optional checksum."""
    stats = _as_statistics(source)
    body = stats.to_dict()["statistics"]
    meta = json.loads(json.dumps(stats.meta))      # as it will read back
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "meta": meta, "statistics": body}
    if checksum:
        doc.update(checksum=_checksum(body, meta), checksum_note=CHECKSUM_NOTE)
    return doc


def write_baseline(path, source, checksum: bool = True) -> Path:
    """Write the baseline of a ``State`` (its statistics are computed) or ``Statistics``, atomically."""
    text = json.dumps(baseline_document(source, checksum), indent=1, ensure_ascii=False) + "\n"

    def write(tmp):
        Path(tmp).write_text(text, encoding="utf-8")
    return atomic_write(path, write)


def load_baseline(path, *, check_version: bool = True) -> Baseline:
    """Read a baseline file: what ``write_baseline`` writes or the plain ``planet stats --json``
    output. ``BaselineError`` with a one-line reason if it is unusable (a checksum that no longer
    matches included); a warning (and the comparison goes on) for another planet version or a
    statistic this version does not know (it is left out)."""
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
    if not isinstance(doc, dict) or doc.get("format", FORMAT) != FORMAT \
            or not isinstance(doc.get("statistics"), dict) or not isinstance(doc.get("meta"), dict):
        raise BaselineError(f"baseline {path} is not a planet statistics baseline "
                            f"(expected the JSON of `planet stats --json`: meta and statistics)")
    version = doc.get("format_version", FORMAT_VERSION)
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise BaselineError(f"baseline {path} has format version {version!r}, "
                            f"this planet reads versions {', '.join(map(str, READABLE_VERSIONS))}")
    body, meta = doc["statistics"], doc["meta"]
    # the checksum is optional; where present it covers the statistics and the metadata (version 1's
    # covered the statistics alone and is still read): a damaged file is refused, never half-believed
    if "checksum" in doc and doc["checksum"] not in (_checksum(body, meta), _checksum(body)):
        raise BaselineError(f"baseline {path} is corrupt (checksum mismatch: damaged, or edited by hand; after a "
                            f"deliberate edit delete the optional checksum key, or regenerate it with --update)")
    version = meta.get("planet_version")
    if check_version and version != __version__:
        warnings.warn(BaselineVersionWarning(
            f"baseline {path} was written by planet {version}, this is planet {__version__}; comparing anyway "
            f"(rewrite it with pytest --planet-update-baselines or `planet stats --update` to silence this)"),
            stacklevel=2)
    for key in ("resolution", "rows", "seed", "step"):
        if isinstance(meta.get(key), bool) or not isinstance(meta.get(key), int) or meta[key] < 0:
            raise BaselineError(f"baseline {path} is corrupt (meta.{key} missing or negative)")
    values, unknown, recast = {}, [], []
    for name, entry in body.items():
        if name not in S.REGISTRY:
            unknown.append(name)
            continue
        units = entry.get("units") if isinstance(entry, dict) else None
        if isinstance(units, str) and units != S.REGISTRY[name].units:
            recast.append(f"{name} in {units}, now {S.REGISTRY[name].units}")   # another quantity now
            continue
        try:
            value, status = entry["value"], entry["status"]
            values[name] = S.Value(None if value is None else float(value), str(status))
        except (TypeError, KeyError, ValueError):
            raise BaselineError(f"baseline {path} is corrupt (entry {name!r})") from None
    if unknown:
        warnings.warn(BaselineVersionWarning(
            f"baseline {path} has {len(unknown)} statistic(s) unknown to planet {__version__} "
            f"({', '.join(unknown[:3])}{', …' if len(unknown) > 3 else ''}); they are not compared"), stacklevel=2)
    if recast:
        warnings.warn(BaselineVersionWarning(
            f"baseline {path} has {len(recast)} statistic(s) whose units changed ({'; '.join(recast[:3])}"
            f"{'; …' if len(recast) > 3 else ''}); they are not compared (rewrite the baseline)"), stacklevel=2)
    return Baseline(meta, values, str(path))


def _as_baseline(baseline, check_version: bool) -> Baseline:
    if isinstance(baseline, Baseline):
        return baseline
    if isinstance(baseline, S.Statistics):
        return Baseline(baseline.meta, dict(baseline), "<statistics>")
    return load_baseline(baseline, check_version=check_version)


def check_compatible(meta: Mapping, baseline: Baseline) -> None:
    """Fail (:class:`BaselineMismatch`) for a baseline of another resolution, seed or step than
    ``meta`` (a ``Statistics.meta``)."""
    __tracebackhide__ = True
    b = baseline.meta
    if (b["resolution"], b["rows"]) != (meta["resolution"], meta["rows"]):
        raise BaselineMismatch(f"baseline {baseline.path} is for resolution {b['resolution']} "
                               f"({b['rows']} rows), the state has resolution {meta['resolution']}")
    for key in ("seed", "step"):
        if b[key] != meta[key]:
            raise BaselineMismatch(f"baseline {baseline.path} is for {key} {b[key]}, the state has {key} {meta[key]}")




def assert_stats_close(state, baseline, rtol: float | None = None, atol: float | None = None,
                       per_stat: Mapping | None = None, *, check_version: bool = True,
                       sea_level: float | None = None, update: bool | None = None) -> list[Comparison]:
    """Assert that no statistic of ``state`` drifted from ``baseline``; return the comparisons.

    ``state`` is a ``State`` or precomputed ``Statistics``; ``baseline`` a path, a
    :class:`Baseline` or ``Statistics``. With a path, a missing baseline is written and the
    assertion fails once (:class:`BaselineWritten`); ``update`` (default: :func:`updating`, i.e.
    ``pytest --planet-update-baselines``) rewrites it, failing only if that changed anything
    beyond tolerance. A drift raises ``AssertionError``: one summary line, then the table.
    """
    __tracebackhide__ = True
    tolerances(list(S.REGISTRY), rtol, atol, per_stat)  # refuse bad tolerances before computing or writing
    if isinstance(baseline, (str, os.PathLike)):
        path = Path(baseline)
        if update is None:
            update = updating()
        if not path.exists():
            stats = _as_statistics(state, sea_level)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_baseline(path, stats)
            raise BaselineWritten(
                f"baseline {path} did not exist: wrote it from this state ({len(stats)} statistics, seed "
                f"{stats.meta['seed']}, resolution {stats.meta['resolution']}, step {stats.meta['step']}); "
                f"check it in. This test fails once so that a missing baseline never passes unseen")
        if update:
            return _rewrite(state, path, rtol, atol, per_stat, sea_level)
    base = _as_baseline(baseline, check_version)
    if isinstance(state, S.Statistics):
        stats = state
    else:
        stats = S.compute(state, list(base.values), sea_level=sea_level)
    check_compatible(stats.meta, base)
    comparisons = compare(stats, base, rtol, atol, per_stat)
    if not all(c.ok for c in comparisons):
        raise AssertionError(drift_report(comparisons, stats, base))
    return comparisons


def _rewrite(state, path: Path, rtol, atol, per_stat, sea_level) -> list[Comparison]:
    """``--planet-update-baselines``: write the baseline anew; fail if that moved anything."""
    __tracebackhide__ = True
    stats = _as_statistics(state, sea_level)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = load_baseline(path, check_version=False)
    except BaselineError as e:
        old, why = None, str(e)
    write_baseline(path, stats)
    if old is not None:
        try:
            check_compatible(stats.meta, old)
        except BaselineMismatch as e:
            why = str(e)
        else:
            comparisons = compare(stats, old, rtol, atol, per_stat)
            if all(c.ok for c in comparisons) and set(old.values) == set(stats):
                return comparisons
            why = (drift_summary(comparisons, "the old baseline") if not all(c.ok for c in comparisons)
                   else "the set of statistics changed")
    raise BaselineWritten(f"rewrote baseline {path} (--planet-update-baselines): {why}. "
                          f"Rerun without the option to compare with it")


def write_canonical(folder) -> list[Path]:
    """Run every :data:`CANONICAL` world and write its baseline into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_baseline(folder / canonical_name(*key), run_world(*key)) for key in CANONICAL]


if __name__ == "__main__":  # python -m planet.testing tests/baselines
    target = sys.argv[1] if len(sys.argv) > 1 else "tests/baselines"
    for p in write_canonical(target):
        print(f"wrote {p}")
