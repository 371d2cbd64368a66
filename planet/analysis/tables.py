"""``Statistics`` as a table: a pandas DataFrame and the HTML a notebook shows.

``to_pandas(stats)`` has one row per statistic (index: the name) and the
columns ``group``, ``value`` (float, NaN where not computable), ``units``,
``status`` ("ok" or why not computable) and ``definition``; the run's
identity is in ``DataFrame.attrs`` (seed, resolution, step, time, sea level).
``to_html(stats)`` is that table grouped by statistic group, with the run in a
caption, for ``Statistics._repr_html_``.
"""
from __future__ import annotations

import html
import math

from planet.analysis import stats as S

#: the run identity copied into ``DataFrame.attrs``
IDENTITY = ("planet_version", "resolution", "rows", "seed", "step", "time", "sea_level")


def to_pandas(stats: S.Statistics):
    """A ``pandas.DataFrame`` of ``stats`` (see the module docstring)."""
    import pandas as pd

    rows = []
    for name, v in stats.items():
        st = S.REGISTRY[name]
        rows.append({"statistic": name, "group": st.group, "value": math.nan if v.value is None else v.value,
                     "units": st.units, "status": v.status, "definition": st.definition})
    frame = pd.DataFrame(rows, columns=["statistic", "group", "value", "units", "status", "definition"])
    frame = frame.set_index("statistic")
    frame.attrs.update({k: stats.meta[k] for k in IDENTITY if k in stats.meta})
    return frame


def caption(stats: S.Statistics) -> str:
    m = stats.meta
    return (f"planet statistics: seed {m.get('seed')}, resolution {m.get('resolution')}, step {m.get('step')} "
            f"(t = {m.get('time', 0):.2f} film s), sea level D = {m.get('sea_level', 0):.3f}")


def to_html(stats: S.Statistics) -> str:
    """An HTML table of ``stats``: name (its definition as a tooltip), value, units, note."""
    esc = html.escape
    out = [f"<table><caption style='text-align:left'>{esc(caption(stats))}</caption>",
           "<thead><tr><th style='text-align:left'>statistic</th><th>value</th><th style='text-align:left'>units</th>"
           "<th style='text-align:left'>note</th></tr></thead><tbody>"]
    group = None
    for name, v in stats.items():
        st = S.REGISTRY[name]
        if st.group != group:
            group = st.group
            out.append(f"<tr><th colspan='4' style='text-align:left'>{esc(group)}</th></tr>")
        note = "" if v.ok else esc(v.status)
        out.append(f"<tr><td style='text-align:left' title='{esc(st.definition, quote=True)}'><code>{esc(name)}</code>"
                   f"</td><td style='text-align:right'>{esc(S.format_value(v.value))}</td>"
                   f"<td style='text-align:left'>{esc(st.units)}</td><td style='text-align:left'>{note}</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out)
