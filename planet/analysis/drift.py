"""Comparing statistics with a baseline: tolerances (defaults from the registry, overrides per
statistic or group), one comparison per statistic, and the drift table and summary line."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from planet.analysis import stats as S


@dataclass(frozen=True)
class Baseline:
    """A loaded baseline: the run's identity (``meta``) and its statistics."""

    meta: dict
    values: dict[str, S.Value]
    path: str = "<memory>"


def config_differences(a: Mapping, b: Mapping) -> list[str]:
    """Dotted keys whose values differ between two ``Config.to_dict()``s."""
    out = []
    for section in sorted(set(a) | set(b)):
        sa, sb = a.get(section, {}), b.get(section, {})
        out += [f"{section}.{k}" for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k)]
    return out




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

    @property
    def excess(self) -> float:
        """``|now − baseline| / tolerance``: above 1 it drifted; infinite when computable on one side only
        (or the tolerance is zero); 0 when both sides are not computable."""
        if self.baseline.value is None or self.now.value is None:
            return 0.0 if self.ok else math.inf
        diff = abs(self.now.value - self.baseline.value)
        if self.tolerance > 0:
            return diff / self.tolerance
        return math.inf if diff > 0 else 0.0

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


def drift_summary(comparisons: list[Comparison], where: str, worst: int = 3) -> str:
    """One short line: how many statistics drifted and the ``worst`` ones (most tolerances away)."""
    drifted = sorted((c for c in comparisons if not c.ok), key=lambda c: -c.excess)
    names = [f"{c.name} ({'one side not computable' if c.baseline.ok != c.now.ok else f'{c.excess:.3g}× tolerance' if math.isfinite(c.excess) else 'zero tolerance'})"
             for c in drifted[:worst]]
    more = f", +{len(drifted) - worst} more" if len(drifted) > worst else ""
    return f"{len(drifted)} of {len(comparisons)} statistics drifted from {where}: {', '.join(names)}{more}"


def drift_report(comparisons: list[Comparison], stats: S.Statistics, baseline: Baseline) -> str:
    """The short summary line, the run and any configuration difference, then the drift table
    (drifted statistics, most tolerances away first)."""
    m = stats.meta
    lines = [drift_summary(comparisons, f"baseline {baseline.path}"),
             f"(seed {m['seed']}, resolution {m['resolution']}, step {m['step']})"]
    diff = config_differences(baseline.meta.get("config", {}), stats.meta.get("config", {}))
    if diff:
        lines.append("configuration differs from the baseline's in: " + ", ".join(diff))
    lines.append(drift_table(sorted(comparisons, key=lambda c: -c.excess)))
    return "\n".join(lines)
