"""A notebook explorer: slide through a world's recorded snapshots, switch views, turn the globe.

    world = planet.Planet(128, seed=0)
    world.run("story_end", record_every=120, record="fields")   # snapshots the explorer can draw
    planet.explore(world)                                        # or planet.explore(world.history)

``explore`` returns an ipywidgets ``VBox`` (``pip install 'planet[notebook]'``):
a play/pause button and a time slider over the snapshots (with the film time and
the calendar date), a view selector (the views of ``planet.render.VIEWS``),
map/globe, and the longitude and latitude of the globe's camera (the
longitude at the centre of the map). Every change redraws the picture in the
kernel with ``planet.render.view``/``globe``, the same functions as
everywhere else; ``Explorer.frame`` is the last picture (RGB uint8).

Snapshots: a ``History`` (``planet.analysis.history``) with recorded fields
gives one per recorded time, rebuilt by ``History.state_at`` (fields on the
history's coarse grid); a ``Planet`` gives its history's snapshots plus its
current state at full resolution; a ``State`` gives itself.
"""
from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

from . import VIEWS, check_size, globe, to_image, view

try:
    import ipywidgets as widgets
except ImportError:  # pragma: no cover - the notebook extra is not installed
    widgets = None


class Snapshots:
    """A sequence of states (built on demand, a few kept) with their film times."""

    def __init__(self, source):
        from planet.analysis.history import History
        from planet.core.state import State
        from planet.world import Planet

        self._states: dict[int, object] = {}
        self._history = None
        if isinstance(source, Planet):
            history, current = source.history, source.state
        elif isinstance(source, History):
            history, current = source, None
        elif isinstance(source, State):
            history, current = None, source
        else:
            raise TypeError(f"explore needs a planet.Planet, a recorded History or a State, got {type(source).__name__}")
        steps: list[int] = []
        if history is not None and history.sizes.get("time", 0) and history.fields:
            self._history = history
            steps = [int(s) for s in history["step"].values]
        elif current is None:
            raise ValueError("this history has no recorded fields to draw; record them with "
                             "world.run(..., record_every=N, record='fields')")
        self._n_recorded = len(steps)
        if current is not None and (not steps or steps[-1] != current.step):
            steps.append(current.step)
            self._states[len(steps) - 1] = current
        self.steps = steps
        cfg = current.config if current is not None else None
        if cfg is None:
            from planet.core.config import Config

            cfg = Config.from_json(history.attrs["config"])
        from planet.core.timeline import Timeline

        self.timeline = Timeline(cfg.schedule)
        self._get = lru_cache(maxsize=8)(self._build)

    def __len__(self) -> int:
        return len(self.steps)

    def _build(self, index: int):
        return self._history.state_at(index)

    def __getitem__(self, index: int):
        if index in self._states:
            return self._states[index]
        return self._get(index)

    def label(self, index: int) -> str:
        t = self.timeline.time_of(self.steps[index])
        return f"t = {t:.2f} s · {self.timeline.date(t)} · step {self.steps[index]}"


class Explorer(widgets.VBox if widgets is not None else object):
    """The explorer widget (see the module docstring). Attributes: ``time`` (IntSlider), ``play``
    (Play), ``view`` (Dropdown), ``projection`` (ToggleButtons), ``lon``, ``lat`` (FloatSliders),
    ``image`` (Image), ``caption`` (Label); ``frame`` the last picture, ``state`` the shown state."""

    def __init__(self, source, *, view: str = "satellite", projection: str = "map", lon: float = 180.0,
                 lat: float = 20.0, map_size=(768, 384), globe_size=(480, 480), backend: str = "auto",
                 interval_ms: int = 400):
        if widgets is None:
            raise ImportError("planet.explore needs ipywidgets: pip install 'planet[notebook]'")
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}; got {view!r}")
        if projection not in ("map", "globe"):
            raise ValueError(f"projection must be 'map' or 'globe', got {projection!r}")
        self.snapshots = Snapshots(source)
        self.map_size = check_size(map_size, "map_size")
        self.globe_size = check_size(globe_size, "globe_size")
        self.backend = backend
        self.frame: np.ndarray | None = None
        last = len(self.snapshots) - 1
        self.time = widgets.IntSlider(value=last, min=0, max=last, description="snapshot",
                                      continuous_update=False, disabled=last == 0)
        self.play = widgets.Play(value=last, min=0, max=last, interval=int(interval_ms), description="play")
        widgets.link((self.play, "value"), (self.time, "value"))
        self.view = widgets.Dropdown(options=list(VIEWS), value=view, description="view")
        self.projection = widgets.ToggleButtons(options=["map", "globe"], value=projection)
        self.lon = widgets.FloatSlider(value=float(lon) % 360.0, min=0.0, max=360.0, step=1.0, description="lon",
                                       continuous_update=False)
        self.lat = widgets.FloatSlider(value=float(lat), min=-90.0, max=90.0, step=1.0, description="lat",
                                       continuous_update=False)
        self.caption = widgets.Label()
        self.image = widgets.Image(format="png")
        controls = widgets.HBox([self.play, self.time, self.caption])
        options = widgets.HBox([self.view, self.projection, self.lon, self.lat])
        super().__init__([controls, options, self.image])
        for w in (self.time, self.view, self.projection, self.lon, self.lat):
            w.observe(self._changed, names="value")
        self.redraw()

    @property
    def state(self):
        return self.snapshots[self.time.value]

    def render(self) -> np.ndarray:
        """The picture for the widgets' current values: ``planet.render.view`` (map, centred on ``lon``)
        or ``planet.render.globe`` (camera over ``lat``, ``lon``)."""
        state = self.state
        if self.projection.value == "map":
            return view(state, self.view.value, size=self.map_size, backend=self.backend, lon=self.lon.value)
        return globe(state, self.view.value, lat=self.lat.value, lon=self.lon.value, size=self.globe_size,
                     backend=self.backend)

    def redraw(self) -> None:
        self.lat.disabled = self.projection.value == "map"
        self.caption.value = self.snapshots.label(self.time.value)
        self.frame = self.render()
        buf = io.BytesIO()
        to_image(self.frame).save(buf, format="PNG", compress_level=1)
        self.image.value = buf.getvalue()

    def _changed(self, change) -> None:
        self.redraw()


def explore(source, **options) -> Explorer:
    """An :class:`Explorer` widget of a ``Planet``, a recorded ``History`` or a ``State``
    (options: view, projection, lon, lat, map_size, globe_size, backend, interval_ms)."""
    return Explorer(source, **options)
