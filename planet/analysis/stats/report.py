"""Computing and reporting: ``compute`` (the statistics of a state), ``Statistics`` (the result),
selection by name or group, tables and the generated documentation."""
from __future__ import annotations

import json
import math
from typing import Iterable, Iterator, Mapping


from planet.analysis.stats.analysis import Analysis
from planet.analysis.stats.registry import GROUPS, REGISTRY, NotComputable, Value, format_value, statistic

# Computing and reporting.

class Statistics(Mapping[str, Value]):
    """The statistics of one state (a read-only mapping name → :class:`Value`) with the run's metadata."""

    def __init__(self, values: dict[str, Value], meta: dict):
        self._values = dict(values)
        self.meta = dict(meta)

    def __getitem__(self, name: str) -> Value:
        try:
            return self._values[name]
        except KeyError:
            statistic(name)  # unknown name → ValueError with the groups
            raise KeyError(f"statistic {name!r} was not computed") from None

    def __contains__(self, name) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def to_dict(self) -> dict:
        """``{"meta": {...}, "statistics": {name: {"value", "status", "units"}}}`` (JSON-ready)."""
        return {"meta": self.meta,
                "statistics": {n: {**v.to_dict(), "units": REGISTRY[n].units} for n, v in self._values.items()}}

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def table(self) -> str:
        """A readable table: name, value, units, and why a statistic is not computable."""
        rows = [(n, format_value(v.value), REGISTRY[n].units, "" if v.ok else v.status)
                for n, v in self._values.items()]
        return format_table(("statistic", "value", "units", "note"), rows)

    def to_pandas(self):
        """A ``pandas.DataFrame``, one row per statistic (``planet.analysis.tables.to_pandas``)."""
        from planet.analysis.tables import to_pandas

        return to_pandas(self)

    def _repr_html_(self) -> str:
        from planet.analysis.tables import to_html

        return to_html(self)

    def __repr__(self) -> str:
        m = self.meta
        return (f"<Statistics: {len(self)} statistics of seed {m.get('seed')}, resolution {m.get('resolution')}, "
                f"step {m.get('step')}>")


class NonFiniteWarning(RuntimeWarning):
    """Statistics were computed from a state holding NaN or infinite values."""


def compute(state, names: Iterable[str] | None = None, *, sea_level: float | None = None,
            router=None, koppen=None) -> Statistics:
    """Compute the statistics ``names`` (default: all, or every statistic of the groups named) of ``state``.

    ``names`` may mix statistic names and group names (``"terrain"``). Unknown names raise
    ``ValueError``. A statistic whose input is degenerate gets ``Value(None, "not computable: …")``.
    """
    selected = select(names)
    from planet.core.state import first_nonfinite

    bad = first_nonfinite(state.fields)
    if bad is not None:
        import warnings

        warnings.warn(f"statistics of a state with non-finite values: field {bad[0]!r} holds {bad[3]} at "
                      f"cell (row {bad[1]}, col {bad[2]}) ({bad[4]} cells); statistics that read it are "
                      f"shifted or not computable", NonFiniteWarning, stacklevel=2)
    a = Analysis(state, sea_level=sea_level, router=router)
    a.koppen = koppen   # a class map from planet.koppen(world), for the climate.koppen_* shares
    values = {}
    for name in selected:
        try:
            v = float(REGISTRY[name].function(a))
            values[name] = Value(v) if math.isfinite(v) else Value(None, "not computable: not finite")
        except NotComputable as e:
            values[name] = Value(None, f"not computable: {e}")
    from planet._version import __version__

    meta = {"planet_version": __version__, "resolution": state.columns, "rows": state.rows,
            "seed": state.seed, "step": state.step, "time": state.time, "sea_level": a.sea_level,
            "stages": list(getattr(state, "stages", ())), "config": state.config.to_dict()}
    return Statistics(values, meta)


def select(names: Iterable[str] | None) -> list[str]:
    """Registered statistic names for a selection of statistic and group names (``None``: all)."""
    if names is None:
        return list(REGISTRY)
    if isinstance(names, str):
        names = [names]
    out: list[str] = []
    for n in names:
        if n in GROUPS:
            out += [k for k, st in REGISTRY.items() if st.group == n and k not in out]
        else:
            statistic(n)
            if n not in out:
                out.append(n)
    return out


def format_table(header: tuple[str, ...], rows: list[tuple]) -> str:
    """Left-aligned plain-text columns."""
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def documentation() -> str:
    """Every statistic with group, units and definition (Markdown), generated from the registry."""
    out = []
    for group in GROUPS:
        out.append(f"### {group}\n")
        out.append("| statistic | units | definition |\n|---|---|---|")
        out += [f"| `{st.name}` | {st.units} | {st.definition} |" for st in REGISTRY.values() if st.group == group]
        out.append("")
    return "\n".join(out)
