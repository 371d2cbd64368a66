"""The story of a recorded history as a multi-panel matplotlib figure (the optional ``plot`` extra)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from planet.core.timeline import Timeline


#: the panels of ``plot_history``: (title, variables, log scale)
PANELS = (
    ("land and rivers", ("land_fraction", "largest_basin_share"), False),
    ("sea level D (z)", ("sea_level",), False),
    ("mean surface temperature (°C)", ("temperature_mean",), False),
    ("CO2 (ppm)", ("co2_ppm",), False),
    ("life (population·km², settled km²)", ("plants_total", "prey_total", "predators_total", "humans_total"), True),
    ("plates", ("plate_count",), False),
)
#: epochs marked on every panel
MARKED_EPOCHS = ("ocean_end", "land_end", "human_start", "tectonics_end", "co2_start", "warming_end")


def plot_history(history, path=None, *, panels=PANELS, width: float = 10.0):
    """A multi-panel figure of the story: one panel per entry of ``panels`` over film time,
    with the epochs of :data:`MARKED_EPOCHS` as dashed lines, named with their calendar date.

    Returns a ``matplotlib.figure.Figure`` (made without pyplot, so nothing opens a window);
    ``path`` also saves it (PNG, SVG, PDF by suffix). Needs matplotlib (``pip install planet[plot]``).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("history.plot() needs matplotlib: pip install 'planet[plot]'") from None
    if history.sizes.get("time", 0) == 0:
        raise ValueError("the history is empty: run the world with record_every=N first")
    from planet.core.config import Config

    config = Config.from_json(history.attrs["config"]) if "config" in history.attrs else Config()
    tl = Timeline(config.schedule)
    t = history["time"].values
    shown = [(title, [v for v in names if v in history], log) for title, names, log in panels]
    shown = [p for p in shown if p[1]]
    fig = Figure(figsize=(width, 1.7 * len(shown) + 0.8), layout="constrained")
    axes = fig.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
    epochs = {k: v for k, v in tl.epochs.items() if k in MARKED_EPOCHS and t[0] <= v <= t[-1]}
    for ax, (title, names, log) in zip(axes, shown):
        for n in names:
            y = history[n].values
            if log:
                y = np.where(y > 0, y, np.nan)
            ax.plot(t, y, label=n, linewidth=1.4)
        if log and any(np.any(history[n].values > 0) for n in names):
            ax.set_yscale("log")
        else:
            ax.ticklabel_format(axis="y", useOffset=False)
        for v in epochs.values():
            ax.axvline(v, color="0.6", linestyle="--", linewidth=0.7)
        ax.set_ylabel(title, fontsize=8)
        ax.grid(alpha=0.25)
        if len(names) > 1:
            ax.legend(fontsize=7, loc="best", ncols=2)
    labels: list[list] = []       # epoch names along the dashed lines; epochs closer than 2% share a label
    for k, v in epochs.items():
        if labels and v - labels[-1][0] < 0.02 * (t[-1] - t[0]):
            labels[-1][1].append(k)
        else:
            labels.append([v, [k]])
    for v, names in labels:
        text = axes[0].text(v, 0.98, f" {' + '.join(names)}" + (f" ({tl.date(v)})" if len(names) == 1 else ""),
                            rotation=90, va="top", ha="right", fontsize=6, color="0.35", clip_on=True,
                            transform=axes[0].get_xaxis_transform())
        text.set_in_layout(False)
    axes[-1].set_xlabel("film time (s)")
    axes[-1].set_xlim(t[0], t[-1] if t[-1] > t[0] else t[0] + 1)
    fig.suptitle(f"planet seed {history.attrs.get('seed', '?')} at {history.attrs.get('resolution', '?')} columns: "
                 f"{tl.date(t[0])} to {tl.date(t[-1])}", fontsize=10)
    if path is not None:
        from planet.core.files import atomic_write

        fmt = Path(path).suffix.lstrip(".") or "png"
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=110))
    return fig
