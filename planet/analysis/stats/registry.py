"""The registry of statistics: every statistic registered once (name → group, units, definition,
default tolerances, function), the constants the definitions use, and how a result is held."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from planet.analysis import d8


EARTH_RADIUS_KM = d8.EARTH_RADIUS_KM
#: a land cell is part of a channel when its drainage area is at least this (km²; ~40 cells at 512 columns)
CHANNEL_AREA_KM2 = 2.5e5
#: the exceedance fit starts at this many median land-cell areas
EXCEEDANCE_LOW_CELLS = 1
#: ... and ends at this share of the largest drainage area (the fit's cutoff term covers the bend
#: that every finite network shows below its largest basin; see ``exceedance_fit``)
EXCEEDANCE_TOP_SHARE = 0.2
#: points (log-spaced) at which the exceedance P(A ≥ a) is sampled for the fit
EXCEEDANCE_POINTS = 20
#: β within river networks reads the land cells of the sea basins of at least this many median
#: land-cell areas (two decades of scaling from one cell before the fit's top share)
NETWORK_MIN_CELLS = 100
#: Hack's law uses sea basins of at least this many median land-cell areas
HACK_MIN_CELLS = 9
#: and needs at least this many of them
HACK_MIN_BASINS = 5
#: latitude bands of the zonal means, degrees of |latitude|
BANDS = {"equator": (0.0, 15.0), "midlatitude": (30.0, 60.0), "polar": (60.0, 90.0)}


class NotComputable(Exception):
    """Raised by a statistic's function when its input is degenerate; the message says why."""


@dataclass(frozen=True)
class Value:
    """One statistic's result: a finite ``value`` and status ``"ok"``, or ``None`` and the reason."""

    value: float | None
    status: str = "ok"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        return {"value": self.value, "status": self.status}

    def __str__(self) -> str:
        return format_value(self.value) if self.ok else f"({self.status})"

    def short(self) -> str:
        """The value, or "not computable" without the reason (for side-by-side tables)."""
        return format_value(self.value) if self.ok else "not computable"


@dataclass(frozen=True)
class Statistic:
    """A registered statistic: where it belongs, what it means, how it is computed."""

    name: str
    group: str
    units: str
    definition: str
    function: Callable[..., float]
    rtol: float = 1e-4
    atol: float = 1e-9


#: every statistic, by name, in the order they are reported
REGISTRY: dict[str, Statistic] = {}
GROUPS = ("terrain", "rivers", "plates", "climate", "atmosphere", "life")


def register(name: str, units: str, definition: str, function: Callable[..., float], *,
              rtol: float = 1e-4, atol: float = 1e-9) -> None:
    group = name.split(".", 1)[0]
    assert group in GROUPS and name not in REGISTRY, name
    REGISTRY[name] = Statistic(name, group, units, definition, function, rtol, atol)


def describe(name: str) -> str:
    """A one-paragraph description of a statistic: name, units, definition."""
    st = statistic(name)
    return f"{st.name} [{st.units}] ({st.group}): {st.definition}"


def statistic(name: str) -> Statistic:
    """The registered statistic ``name``; ``ValueError`` naming the known groups if there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown statistic {name!r}; known statistics are named "
                         f"<group>.<name> with group one of {', '.join(GROUPS)} "
                         f"(see planet.analysis.stats.REGISTRY)") from None


def format_value(v: float | None) -> str:
    if v is None:
        return "—"
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e12:
        return f"{int(v)}"
    return f"{v:.6g}"
