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

Dragging the picture turns the globe (or slides the map) when ``anywidget`` is installed (it is in
the ``notebook`` extra): the picture is then a :class:`DragImage`, a small ES module that sends the
camera's ``lon``/``lat`` as synced traits while the pointer moves (one request in flight at a time,
the latest position winning, and the final one on release); the traits are linked to the ``lon``
and ``lat`` sliders, which stay as the fallback (without anywidget the picture is a plain
``ipywidgets.Image``). The surface follows the pointer: a drag of ``d`` pixels turns the globe by
``d / r`` radians (``r`` the globe's radius in pixels, 0.9 of half the smaller side), the map by
``360° · d / width``; latitude is clamped to [−90°, 90°], longitude wraps to [0°, 360°).

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
try:
    import anywidget
    import traitlets
except ImportError:  # pragma: no cover - without anywidget: sliders only
    anywidget = None

#: the front end of :class:`DragImage`: shows the PNG, turns pointer drags into lon/lat
_DRAG_ESM = """
function render({ model, el }) {
  const img = document.createElement("img");
  img.draggable = false;
  Object.assign(img.style, { cursor: "grab", touchAction: "none", userSelect: "none", maxWidth: "100%" });
  el.appendChild(img);
  let url = null, start = null, target = null, sent = null, pending = false, timer = null;
  const wrap = (x) => ((x % 360) + 360) % 360;
  const send = () => {
    if (!target || pending || (sent && sent.lon === target.lon && sent.lat === target.lat)) return;
    pending = true;
    sent = target;
    model.set("lon", target.lon);
    model.set("lat", target.lat);
    model.save_changes();
    clearTimeout(timer);
    timer = setTimeout(() => { pending = false; send(); }, 1500);   // no answer: do not wait for ever
  };
  const show = () => {
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(new Blob([model.get("value")], { type: "image/png" }));
    img.src = url;
    pending = false;                  // the kernel answered: send where the pointer is now
    send();
  };
  img.addEventListener("pointerdown", (e) => {
    start = { x: e.clientX, y: e.clientY, lon: model.get("lon"), lat: model.get("lat") };
    sent = { lon: start.lon, lat: start.lat };
    img.setPointerCapture(e.pointerId);
    img.style.cursor = "grabbing";
  });
  img.addEventListener("pointermove", (e) => {
    if (!start) return;
    const k = model.get("degrees_per_pixel") * (img.naturalWidth / (img.clientWidth || img.naturalWidth || 1));
    const lat = model.get("drag_lat") ? Math.max(-90, Math.min(90, start.lat + (e.clientY - start.y) * k)) : start.lat;
    target = { lon: Math.round(wrap(start.lon - (e.clientX - start.x) * k) * 10) / 10, lat: Math.round(lat * 10) / 10 };
    send();
  });
  const end = () => { if (!start) return; start = null; img.style.cursor = "grab"; send(); };
  img.addEventListener("pointerup", end);
  img.addEventListener("pointercancel", end);
  model.on("change:value", show);
  show();
  return () => { clearTimeout(timer); if (url) URL.revokeObjectURL(url); };
}
export default { render };
"""

if anywidget is not None:
    class DragImage(anywidget.AnyWidget):
        """A PNG picture that turns a pointer drag into the camera's ``lon``/``lat`` (synced traits).
        ``degrees_per_pixel``: how far one pixel of drag turns; ``drag_lat``: whether vertical drags
        change ``lat`` (the globe) or not (the map)."""

        _esm = _DRAG_ESM
        value = traitlets.Bytes(b"").tag(sync=True)
        lon = traitlets.Float(180.0).tag(sync=True)
        lat = traitlets.Float(20.0).tag(sync=True)
        degrees_per_pixel = traitlets.Float(1.0).tag(sync=True)
        drag_lat = traitlets.Bool(False).tag(sync=True)
else:  # pragma: no cover
    DragImage = None


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
    ``image`` (a :class:`DragImage`, or an ``ipywidgets.Image`` without anywidget), ``caption`` (Label);
    ``frame`` the last picture, ``state`` the shown state."""

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
        self._syncing = False
        if DragImage is not None:                       # drag to turn; the sliders follow (and still work)
            self.image = DragImage(lon=self.lon.value, lat=self.lat.value)
            self.image.observe(self._dragged, names=["lon", "lat"])
        else:
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

    def degrees_per_pixel(self) -> float:
        """How far a drag of one picture pixel turns the camera: ``1 / r`` radians on the globe (``r``
        its radius, 0.9 of half the smaller side: the surface under the pointer follows it near the
        centre), ``360° / width`` on the map."""
        if self.projection.value == "map":
            return 360.0 / self.map_size[0]
        return float(np.degrees(1.0 / (0.9 * min(self.globe_size) / 2.0)))

    def redraw(self) -> None:
        self.lat.disabled = self.projection.value == "map"
        if DragImage is not None and isinstance(self.image, DragImage):
            self._syncing = True
            try:
                self.image.lon, self.image.lat = self.lon.value, self.lat.value
            finally:
                self._syncing = False
            self.image.degrees_per_pixel = self.degrees_per_pixel()
            self.image.drag_lat = self.projection.value == "globe"
        self.caption.value = self.snapshots.label(self.time.value)
        self.frame = self.render()
        buf = io.BytesIO()
        to_image(self.frame).save(buf, format="PNG", compress_level=1)
        self.image.value = buf.getvalue()

    def _changed(self, change) -> None:
        if not self._syncing:
            self.redraw()

    def _dragged(self, change) -> None:
        """A drag in the front end set the picture's ``lon``/``lat`` (both in one message): move the
        sliders to them and redraw once."""
        if self._syncing:
            return
        lon, lat = float(self.image.lon) % 360.0, min(90.0, max(-90.0, float(self.image.lat)))
        if (lon, lat) == (self.lon.value, self.lat.value):
            return
        self._syncing = True
        try:
            self.lon.value, self.lat.value = lon, lat
        finally:
            self._syncing = False
        self.redraw()


def explore(source, **options) -> Explorer:
    """An :class:`Explorer` widget of a ``Planet``, a recorded ``History`` or a ``State``
    (options: view, projection, lon, lat, map_size, globe_size, backend, interval_ms)."""
    return Explorer(source, **options)
