"""The notebook explorer, headless: changing the widgets' values redraws, and every picture is the one
planet.render.view/globe draws for the same state and camera."""
from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

import planet  # noqa: E402
import planet.render as pr  # noqa: E402

import ops_stages  # noqa: E402

COMPRESSED = planet.Config().replace(schedule=ops_stages.compressed_schedule(0.02))


@pytest.fixture(scope="module")
def world():
    w = planet.Planet(128, seed=3, config=COMPRESSED)
    w.run(3.0, record_every=45, record="fields")        # steps 0, 45, ..., 180
    w.step(7)                                           # the present state is past the last snapshot
    return w


def png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_widget_changes_redraw_the_render_functions_pictures(world):
    ex = planet.explore(world, backend="cpu", map_size=(256, 128), globe_size=(160, 160))
    h = world.history
    assert len(ex.snapshots) == h.sizes["time"] + 1 and ex.time.value == len(ex.snapshots) - 1
    assert ex.state is world.state                                       # the present, full resolution
    assert np.array_equal(ex.frame, pr.view(world.state, "satellite", size=(256, 128), backend="cpu", lon=180.0))
    ex.view.value = "plates"
    ex.time.value = 2
    want = pr.view(h.state_at(2), "plates", size=(256, 128), backend="cpu", lon=180.0)
    assert np.array_equal(ex.frame, want) and np.array_equal(png_pixels(ex.image.value), want)
    assert ex.caption.value.startswith("t = 1.50 s") and "step 90" in ex.caption.value
    ex.lon.value = 30.0                                                  # the map's centre longitude
    assert np.array_equal(ex.frame, pr.view(h.state_at(2), "plates", size=(256, 128), backend="cpu", lon=30.0))
    ex.projection.value = "globe"
    ex.lat.value = -35.0
    ex.view.value = "temperature"
    want = pr.globe(h.state_at(2), "temperature", lat=-35.0, lon=30.0, size=(160, 160), backend="cpu")
    assert np.array_equal(ex.frame, want) and np.array_equal(png_pixels(ex.image.value), want)
    assert not ex.lat.disabled
    ex.play.value = 1                                                    # the play button drives the slider
    assert ex.time.value == 1
    assert np.array_equal(ex.frame, pr.globe(h.state_at(1), "temperature", lat=-35.0, lon=30.0, size=(160, 160),
                                             backend="cpu"))


def test_explore_a_history_or_a_state(world):
    ex = planet.explore(world.history, backend="cpu", map_size=(128, 64), projection="globe",
                        globe_size=(96, 96), lat=10, lon=200)
    assert len(ex.snapshots) == world.history.sizes["time"]
    last = world.history.state_at(-1)
    assert np.array_equal(ex.frame, pr.globe(last, "satellite", lat=10, lon=200, size=(96, 96), backend="cpu"))
    one = planet.explore(world.state, backend="cpu", map_size=(128, 64))
    assert len(one.snapshots) == 1 and one.time.disabled


def test_bad_sources_and_options_are_refused():
    bare = planet.Planet(128, seed=0, config=COMPRESSED)
    bare.run(0.2, record_every=6)                                        # diagnostics only, no fields
    with pytest.raises(ValueError, match="no recorded fields to draw; record them with"):
        planet.explore(bare.history)
    with pytest.raises(TypeError, match="explore needs a planet.Planet, a recorded History or a State"):
        planet.explore("world.npz")
    with pytest.raises(ValueError, match="view must be one of"):
        planet.explore(bare, view="nope")
    with pytest.raises(ValueError, match="projection must be 'map' or 'globe'"):
        planet.explore(bare, projection="flat")


def _frontend_update(widget, **state):
    """What the front end sends when it sets traits and calls save_changes: a comm 'update' message."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": []}}, "buffers": []})


def test_a_drag_turns_the_globe_and_moves_the_sliders(world, monkeypatch):
    pytest.importorskip("anywidget")
    from planet.render.explore import DragImage

    ex = planet.explore(world.history, backend="cpu", projection="globe", globe_size=(160, 160), lat=10, lon=200)
    assert isinstance(ex.image, DragImage) and ex.image.drag_lat
    assert (ex.image.lon, ex.image.lat) == (200.0, 10.0)
    renders = []
    original = ex.render
    monkeypatch.setattr(ex, "render", lambda: renders.append(1) or original())
    _frontend_update(ex.image, lon=75.5, lat=-30.0)                       # one drag message, both traits
    assert (ex.lon.value, ex.lat.value) == (75.5, -30.0) and len(renders) == 1
    last = world.history.state_at(-1)
    want = pr.globe(last, "satellite", lat=-30.0, lon=75.5, size=(160, 160), backend="cpu")
    assert np.array_equal(ex.frame, want) and np.array_equal(png_pixels(ex.image.value), want)
    _frontend_update(ex.image, lon=75.5, lat=-30.0)                       # the same place again: no redraw
    assert len(renders) == 1
    ex.lon.value = 120.0                                                  # the slider fallback moves the picture's
    assert ex.image.lon == 120.0 and len(renders) == 2                    # camera too (the next drag starts there)
    ex.projection.value = "map"
    assert not ex.image.drag_lat and ex.image.degrees_per_pixel == pytest.approx(360.0 / ex.map_size[0])


def _shift(a: np.ndarray, b: np.ndarray, row: int, cols: slice, most: int = 20) -> int:
    """The horizontal shift s (pixels) that best maps a strip of ``a`` onto ``b``: b[row, x + s] ~ a[row, x]."""
    strip = a[row - 3:row + 4, cols].astype(float)
    errors = {s: np.mean((b[row - 3:row + 4, cols.start + s:cols.stop + s].astype(float) - strip) ** 2)
              for s in range(-most, most + 1)}
    return min(errors, key=errors.get)


def test_the_surface_under_the_pointer_follows_it(world):
    """A drag of d pixels turns the camera by d * degrees_per_pixel; near the globe's centre the surface
    then moves d pixels with the pointer (measured on the rendered pictures, not from the formula)."""
    pytest.importorskip("anywidget")
    ex = planet.explore(world.history, backend="cpu", projection="globe", globe_size=(240, 240), lat=0, lon=200,
                        view="plates")
    k = ex.image.degrees_per_pixel
    before = ex.frame.copy()
    _frontend_update(ex.image, lon=200 - 12 * k, lat=0.0)                 # dragged 12 px to the right
    assert _shift(before, ex.frame, 120, slice(90, 150)) == 12
    middle = ex.frame.copy()
    _frontend_update(ex.image, lon=200 - 12 * k, lat=9 * k)               # then 9 px down: the surface goes down
    assert _shift(middle.transpose(1, 0, 2), ex.frame.transpose(1, 0, 2), 120, slice(90, 150)) == 9


HARNESS = r"""
import widget from "./drag.mjs";
globalThis.document = { createElement: () => {
  const handlers = {};
  return { style: {}, naturalWidth: 240, clientWidth: 480, handlers,
           addEventListener: (name, f) => { handlers[name] = f; }, setPointerCapture: () => {} };
} };
const traits = { value: new Uint8Array([1, 2, 3]), lon: 200, lat: 10, degrees_per_pixel: 0.5, drag_lat: true };
const sent = [], listeners = {};
const model = { get: (k) => traits[k], set: (k, v) => { traits[k] = v; },
                save_changes: () => sent.push({ lon: traits.lon, lat: traits.lat }),
                on: (name, f) => { listeners[name] = f; } };
const el = { children: [], appendChild(c) { this.children.push(c); } };
const cleanup = widget.render({ model, el });
const img = el.children[0], h = img.handlers;
h.pointerdown({ clientX: 100, clientY: 100, pointerId: 1 });
h.pointermove({ clientX: 110, clientY: 96 });      // sent at once
h.pointermove({ clientX: 120, clientY: 90 });      // a request is in flight: held back
const held = sent.length;
listeners["change:value"]();                         // the kernel answered with a new picture: send the latest
h.pointermove({ clientX: 1000, clientY: -1000 });   // far: latitude clamps, longitude wraps
listeners["change:value"]();
h.pointerup({});
cleanup();
console.log(JSON.stringify({ sent, held }));
"""


def test_the_front_end_turns_pointer_drags_into_lon_lat(tmp_path):
    """The widget's ES module, run in Node with a stub DOM and model: a drag sends lon/lat (the surface
    follows the pointer; picture pixels, scaled from screen pixels), one request in flight at a time."""
    import json
    import shutil
    import subprocess

    pytest.importorskip("anywidget")
    node = shutil.which("node")
    if node is None:
        pytest.skip("no Node.js to run the widget's front end")
    from planet.render.explore import _DRAG_ESM

    (tmp_path / "drag.mjs").write_text(_DRAG_ESM)
    (tmp_path / "harness.mjs").write_text(HARNESS)
    proc = subprocess.run([node, str(tmp_path / "harness.mjs")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    k = 0.5 * 240 / 480                     # degrees per screen pixel: the picture is shown at twice its size
    assert out["held"] == 1
    assert out["sent"][0] == {"lon": 200 - 10 * k, "lat": 10 - 4 * k}
    assert out["sent"][1] == {"lon": 200 - 20 * k, "lat": 10 - 10 * k}
    assert out["sent"][2] == {"lon": (200 - 900 * k) % 360, "lat": -90}
    assert len(out["sent"]) == 3            # the release at the same place sends nothing new
