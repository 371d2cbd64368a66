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
