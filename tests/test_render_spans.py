"""The projection draws only each row's span of the planet and its atmosphere (``projection.spans``,
cached with the pixel geometry): the frames must be exactly those drawn pixel by pixel."""
import numpy as np
import pytest

from planet.render import projection
from planet.render import synthetic as syn
from planet.render.backend import CPUBackend
from planet.render.scene import VIEWS, Camera, pack_fields, projection_params


def every_pixel(G, S):
    """``spans`` that leaves out nothing: the per-pixel reference."""
    S[:, 0] = 0
    S[:, 1] = G.shape[2]


@pytest.mark.parametrize("unwrap, wipe", [(0.0, -1.0), (0.3, -1.0), (0.8, -1.0), (1.0, 0.4), (1.0, -1.0)])
def test_drawing_only_the_spans_changes_no_pixel(unwrap, wipe, monkeypatch):
    state = syn.synthetic_state(64)
    stack, P = pack_fields(state, 200.0)
    size = (320, 180)
    rng = np.random.default_rng(int(unwrap * 10))
    frames = []
    for _ in range(4):
        cam = Camera(lat=rng.uniform(-60, 60), lon=rng.uniform(0, 360), unwrap=unwrap)
        Q = projection_params(size, cam, wipe=wipe, night=1.0 if wipe < 0 else 0.0, sun=rng.normal(size=3),
                              atmosphere=True, lighting=1.0 if wipe < 0 else 0.0, fade=rng.uniform(0.2, 1.0))
        second = VIEWS["night"] if wipe < 0 else VIEWS["rivers"]
        frames.append((Q, second, CPUBackend().frame(stack, P, VIEWS["satellite"], second, 0, 0.0, Q, size)))
    monkeypatch.setattr(projection, "spans", every_pixel)
    for Q, second, frame in frames:
        full = CPUBackend().frame(stack, P, VIEWS["satellite"], second, 0, 0.0, Q, size)
        assert np.array_equal(frame, full)


def test_spans_hold_every_pixel_of_the_planet_and_its_air_and_leave_out_the_rest():
    size = (320, 180)
    Q = projection_params(size, Camera(lat=20.0, lon=10.0, unwrap=0.0), atmosphere=True)
    G = np.empty((len(projection.GEOMETRY), size[1], size[0]), np.float32)
    projection.geometry(Q, G)
    S = np.empty((size[1], 2), np.int64)
    projection.spans(G, S)
    shown = np.isfinite(G[projection.G_LAT]) | (G[projection.G_ATM_ROW] >= 0)
    cols = np.arange(size[0])
    inside = (cols[None, :] >= S[:, :1]) & (cols[None, :] < S[:, 1:])
    assert not np.any(shown & ~inside)                       # nothing shown is left out
    for py in range(size[1]):                                # each span is as tight as can be
        if S[py, 1] > S[py, 0]:
            assert shown[py, S[py, 0]] and shown[py, S[py, 1] - 1]
        else:
            assert not shown[py].any()
    assert inside.mean() < 0.5                               # the globe leaves most of a 16:9 frame out
