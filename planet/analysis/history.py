"""Recorded history: a world's global diagnostics (and, optionally, coarse fields) through time.

    world = planet.Planet(128, seed=0)
    world.run("story_end", record_every=60)            # one snapshot per film second
    h = world.history                                   # an xarray.Dataset (a ``History``)
    h.land_fraction.sel(time=100, method="nearest")
    h.plot()                                            # a multi-panel matplotlib figure
    h.save("history.nc");  planet.analysis.history.load("history.nc")

Recording plugs into the one time loop (``Planet._loop``): ``run``/``step`` take
``record_every=N`` (steps) and ``record=...``. A snapshot is taken of the state
the run starts from (unless the history already has that step), after every
step that is a multiple of ``N``, and after the last step; later runs append.

The dataset has one dimension ``time`` (film seconds, ``step / fps``) with the
coordinates ``step``, ``date`` (the calendar of ``Timeline.date``: "4.0 billion
years ago" … "present day") and ``epoch`` (the last epoch reached). Each
variable carries ``units`` and ``definition`` attributes. The default
diagnostics (:data:`DIAGNOSTICS`) are always recorded:

* ``land_fraction``: area-weighted fraction of the sphere with ``z ≥ D``;
* ``sea_level``: the ocean depth ``D(t)`` of the timeline (spec §1);
* ``temperature_mean``: area-weighted mean surface temperature, °C;
* ``co2_ppm``: area-weighted mean displayed CO2, ``377 + 3 c`` (spec §6);
* ``plants_total``, ``prey_total``, ``predators_total``: ``Σ max(p, 0) · A`` over
  cells of cell area ``A`` (km²): population units × km²;
* ``humans_total``: settled area ``Σ max(humans, 0) · A``, km²;
* ``plate_count``: distinct plate ids ``≥ 0``;
* ``largest_basin_share``: area of the largest basin draining to the sea
  (D8 routing of ``planet.analysis.d8``) over the land area; 0 while no land
  drains to a sea (before the oceans, or with no land at all).

A diagnostic whose field the world does not have (a climate-only world has no
plants) is NaN. ``record`` adds, by name: any statistic of
``planet.analysis.stats`` (``"rivers.hack_exponent"``; NaN where not
computable) or a whole group (``"rivers"``); any field of the state
(``"elevation"``), or ``"fields"`` for all of them, stored on a coarser grid of
``Record.columns`` columns (default 128; block means weighted by cell area,
the block maximum for ``drainage_area``, the centre cell for the ids of
``plate``). ``History.state_at(i)`` rebuilds a ``State`` from recorded fields,
which is what ``planet.explore`` shows.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import xarray as xr

from planet.analysis import stats as S
from planet.core.timeline import Timeline

#: default columns of recorded fields (the smallest grid a world can have)
FIELD_COLUMNS = 128
#: how a field is coarsened: "mean" (area-weighted block mean, the default), "max", "centre"
REDUCERS = {"drainage_area": "max", "plate": "centre"}
#: fields read by the life totals, by diagnostic
_LIFE = {"plants_total": "vegetation", "prey_total": "prey", "predators_total": "predators"}


@dataclass(frozen=True)
class Diagnostic:
    name: str
    units: str
    definition: str
    function: Callable[[S.Analysis], float]


def _stat(name: str) -> Callable[[S.Analysis], float]:
    return S.REGISTRY[name].function


def _total(field_name: str) -> Callable[[S.Analysis], float]:
    def total(a: S.Analysis) -> float:
        x = a.field(field_name, f"no {field_name} field")
        return float(np.sum(np.clip(x, 0, None) * a.area_km2))
    return total


def _largest_basin_share(a: S.Analysis) -> float:
    if not a.land.any() or a.sea_mouths.size == 0:
        return 0.0
    return float(np.max(a.sea_basin_areas) / a.land_area_km2)


DIAGNOSTICS: dict[str, Diagnostic] = {d.name: d for d in (
    Diagnostic("land_fraction", "1", "area-weighted fraction of the sphere with z ≥ D", _stat("terrain.land_fraction")),
    Diagnostic("sea_level", "z", "ocean depth D(t) of the timeline (spec §1)", lambda a: a.sea_level),
    Diagnostic("temperature_mean", "°C", "area-weighted mean surface temperature", _stat("climate.temperature_mean")),
    Diagnostic("co2_ppm", "ppm", "area-weighted mean displayed CO2, 377 + 3 c (spec §6)", _stat("atmosphere.co2_ppm")),
    *(Diagnostic(name, "population·km²", f"Σ max({f}, 0) × cell area over the sphere", _total(f))
      for name, f in _LIFE.items()),
    Diagnostic("humans_total", "km²", "settled area Σ max(humans, 0) × cell area", _total("humans")),
    Diagnostic("plate_count", "count", "number of distinct plate ids ≥ 0", _stat("plates.count")),
    Diagnostic("largest_basin_share", "1", "area of the largest basin draining to the sea / land area "
               "(0 while no land drains to a sea)", _largest_basin_share),
)}


# ---------------------------------------------------------------------------
# What to record.

@dataclass(frozen=True)
class Record:
    """Extra quantities to record besides :data:`DIAGNOSTICS`: statistic names, group names, field
    names or ``"fields"`` (all fields), the fields on a grid of ``columns`` columns."""

    names: tuple[str, ...] = ()
    columns: int = FIELD_COLUMNS

    def __post_init__(self):
        if isinstance(self.names, str):
            object.__setattr__(self, "names", (self.names,))
        object.__setattr__(self, "names", tuple(self.names))
        c = self.columns
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 2 <= c <= 16384 or c % 2:
            raise ValueError(f"record columns must be an even integer in [2, 16384], got {c!r}")

    def resolve(self, state) -> tuple[list[str], list[str]]:
        """``(statistics, fields)`` of ``state`` named by ``names``; ``ValueError`` for an unknown name."""
        statistics: list[str] = []
        fields: list[str] = []
        for n in self.names:
            if not isinstance(n, str):
                raise ValueError(f"record names must be strings, got {n!r}")
            if n in DIAGNOSTICS:
                continue
            if n == "fields":
                fields += [f for f in state.names if f not in fields]
            elif n in state:
                if n not in fields:
                    fields.append(n)
            elif n in S.REGISTRY or n in S.GROUPS:
                statistics += [s for s in S.select([n]) if s not in statistics]
            else:
                raise ValueError(
                    f"record: unknown name {n!r}; give a default diagnostic ({', '.join(DIAGNOSTICS)}), "
                    f"a statistic or group of planet.analysis.stats (e.g. rivers.hack_exponent, terrain), "
                    f"a field of the state ({', '.join(state.names)}) or 'fields'")
        return statistics, fields


def as_record(record) -> Record:
    if record is None:
        return Record()
    if isinstance(record, Record):
        return record
    if isinstance(record, str):
        return Record((record,))
    try:
        return Record(tuple(record))
    except TypeError:
        raise ValueError(f"record must be a name, a list of names or a planet.analysis.history.Record, "
                         f"got {record!r}") from None


def block_factor(rows: int, columns: int, target: int) -> int:
    """The largest factor ``f ≤ columns / target`` (at least 1) dividing both ``rows`` and ``columns``."""
    f = max(1, columns // target)
    while rows % f or columns % f:
        f -= 1
    return f


def coarsen(a: np.ndarray, f: int, how: str, weights: np.ndarray) -> np.ndarray:
    """Coarsen ``a`` (H, W) by ``f`` in both directions: area-weighted block mean ``Σ w a / Σ w``,
    block maximum, or the cell at the block's centre (``f // 2``, ``f // 2``)."""
    if f == 1:
        return np.array(a, copy=True)
    H, W = a.shape
    if how == "centre":
        return np.array(a[f // 2::f, f // 2::f], copy=True)
    blocks = a.reshape(H // f, f, W // f, f)
    if how == "max":
        return blocks.max(axis=(1, 3))
    w = weights.reshape(H // f, f, W // f, f)
    return (np.sum(blocks * w, axis=(1, 3)) / np.sum(w, axis=(1, 3))).astype(a.dtype)


# ---------------------------------------------------------------------------
# The buffer a world appends to, and the dataset made from it.

@dataclass
class Buffer:
    """Snapshots appended by a recording world; ``dataset()`` turns them into a :class:`History`."""

    meta: dict
    steps: list[int] = field(default_factory=list)
    scalars: list[dict[str, float]] = field(default_factory=list)
    fields: list[dict[str, np.ndarray]] = field(default_factory=list)
    field_shape: tuple[int, int] | None = None
    _cache: "History | None" = None

    def has(self, step: int) -> bool:
        return bool(self.steps) and self.steps[-1] == step

    def append(self, step: int, scalars: dict, fields: dict) -> None:
        if fields:
            shape = next(iter(fields.values())).shape
            if self.field_shape is not None and shape != self.field_shape:
                raise ValueError(f"record: fields of shape {shape} cannot join a history whose fields are "
                                 f"{self.field_shape}; keep Record.columns the same across runs")
            self.field_shape = shape
        self.steps.append(step)
        self.scalars.append(scalars)
        self.fields.append(fields)
        self._cache = None

    def dataset(self) -> "History":
        if self._cache is None:
            self._cache = _build(self)
        return self._cache


def _build(buf: Buffer) -> "History":
    from planet.core.config import Config

    config = Config.from_dict(json.loads(buf.meta["config"]))
    tl = Timeline(config.schedule)
    steps = np.asarray(buf.steps, dtype=np.int64)
    times = steps / tl.fps
    coords = {"time": ("time", times, {"units": "s", "long_name": "film time (60 steps per second)"}),
              "step": ("time", steps),
              "date": ("time", np.array([tl.date(t) for t in times], dtype=object)),
              "epoch": ("time", np.array([tl.epoch_at(t) for t in times], dtype=object))}
    data = {}
    names: list[str] = []
    for row in buf.scalars:
        names += [n for n in row if n not in names]
    for n in names:
        values = np.array([row.get(n, math.nan) for row in buf.scalars], dtype=np.float64)
        if n in DIAGNOSTICS:
            d = DIAGNOSTICS[n]
            attrs = {"units": d.units, "definition": d.definition}
        else:
            st = S.REGISTRY[n]
            attrs = {"units": st.units, "definition": st.definition}
        data[n] = ("time", values, attrs)
    fnames: list[str] = []
    for row in buf.fields:
        fnames += [n for n in row if n not in fnames]
    if fnames:
        from planet.core.grid import Grid

        h, w = buf.field_shape
        g = Grid(h, w)
        coords["lat"] = ("lat", g.lat, {"units": "degrees_north"})
        coords["lon"] = ("lon", g.lon, {"units": "degrees_east"})
        for n in fnames:
            dtype = next(row[n].dtype for row in buf.fields if n in row)
            blank = np.full((h, w), np.nan if dtype.kind == "f" else -1, dtype=dtype)
            stack = np.stack([row.get(n, blank) for row in buf.fields])
            data[n] = (("time", "lat", "lon"), stack,
                       {"coarsening": REDUCERS.get(n, "mean"), "long_name": f"{n} on a {w}x{h} grid"})
    return History(data, coords=coords, attrs=dict(buf.meta))


class Recorder:
    """Takes snapshots of a world's states into its :class:`Buffer` (made by ``Planet._loop``)."""

    def __init__(self, world, every: int | None, record):
        if every is None:
            every = world.timeline.fps
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"record_every must be a positive integer number of steps, got {every!r}")
        self.every = int(every)
        self.record = as_record(record)
        state = world.state
        self.statistics, self.field_names = self.record.resolve(state)
        self.factor = block_factor(state.rows, state.columns, self.record.columns)
        buf = getattr(world, "_history", None)
        if buf is None:
            from planet._version import __version__

            buf = Buffer({"title": "planet history", "planet_version": __version__, "seed": state.seed,
                          "resolution": state.columns, "rows": state.rows, "record_every": self.every,
                          "stages": ",".join(state.stages), "config": state.config.to_json()})
            world._history = buf
        self.buffer = buf
        if not buf.has(state.step):
            self.take(state)

    def take(self, state) -> None:
        a = S.Analysis(state)
        scalars = {}
        for name, d in DIAGNOSTICS.items():
            try:
                v = float(d.function(a))
            except S.NotComputable:
                v = math.nan
            scalars[name] = v if math.isfinite(v) else math.nan
        if self.statistics:
            for name, value in S.compute(state, self.statistics).items():
                scalars[name] = math.nan if value.value is None else value.value
        fields = {}
        if self.field_names:
            weights = state.grid.area_weights
            for n in self.field_names:
                if n in state:
                    fields[n] = coarsen(state[n], self.factor, REDUCERS.get(n, "mean"), weights)
        self.buffer.append(state.step, scalars, fields)

    def after_step(self, state, target: int) -> None:
        if state.step % self.every == 0 or state.step == target:
            if not self.buffer.has(state.step):
                self.take(state)


def empty(world) -> "History":
    """The history of a world that has recorded nothing yet (a dataset with no times)."""
    return History(coords={"time": ("time", np.zeros(0), {"units": "s"})}, attrs={"seed": world.state.seed})


# ---------------------------------------------------------------------------
# The dataset.

class History(xr.Dataset):
    """An ``xarray.Dataset`` of a recorded history with a few helpers: ``plot``, ``save``, ``state_at``."""

    __slots__ = ()

    @property
    def fields(self) -> list[str]:
        """Names of the recorded fields (variables over time, lat, lon)."""
        return [n for n, v in self.data_vars.items() if v.dims == ("time", "lat", "lon")]

    def state_at(self, index: int):
        """The ``State`` at snapshot ``index`` rebuilt from the recorded (coarsened) fields."""
        from planet.core.config import Config
        from planet.core.state import State

        names = self.fields
        if not names:
            raise ValueError("this history has no recorded fields; record them with record='fields'")
        n = self.sizes["time"]
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not -n <= index < n:
            raise ValueError(f"index must be an integer in [0, {n - 1}], got {index!r}")
        snap = self.isel(time=int(index))
        fields = {k: np.ascontiguousarray(snap[k].values) for k in names}
        stages = tuple(s for s in str(self.attrs.get("stages", "")).split(",") if s)
        return State(fields, step=int(snap["step"]), seed=int(self.attrs["seed"]),
                     config=Config.from_json(self.attrs["config"]), stages=stages)

    def save(self, path) -> Path:
        """Write the history as NetCDF (``.nc``), atomically."""
        from planet.core.files import atomic_write

        path = Path(path)
        check_history_path(path)
        return atomic_write(path, lambda tmp: self.to_netcdf(tmp, format="NETCDF4"))

    @property
    def plot(self):  # noqa: D401 - replaces xarray's accessor with a callable one
        """``history.plot()`` draws the story (:func:`plot_history`); ``history.plot.line(...)``
        and the rest of xarray's ``Dataset.plot`` accessor still work."""
        return _HistoryPlot(self)


class _HistoryPlot:
    def __init__(self, history):
        self._history = history

    def __call__(self, *args, **kwargs):
        from planet.analysis.history_plot import plot_history

        return plot_history(self._history, *args, **kwargs)

    def __getattr__(self, name):
        from xarray.plot.accessor import DatasetPlotAccessor

        return getattr(DatasetPlotAccessor(self._history), name)


def check_history_path(path, option: str = "history file") -> Path:
    path = Path(path)
    if path.suffix not in (".nc", ".nc4"):
        raise ValueError(f"{option} {path} must end in .nc (NetCDF)")
    return path


def load(path) -> History:
    """A history written by ``History.save`` or ``planet run --history``."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"history file {path} does not exist")
    with xr.open_dataset(path) as ds:
        ds = ds.load()
    return History(dict(ds.data_vars), coords=ds.coords, attrs=ds.attrs)

