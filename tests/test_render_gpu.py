"""The GPU backend (moderngl; Mesa llvmpipe where there is no GPU) draws the CPU backend's pictures."""
import numpy as np
import pytest

import planet
from planet.render import VIEWS, globe, view
from planet.render import synthetic as syn
from planet.render.backend import get_backend


@pytest.fixture(scope="module")
def gpu():
    try:
        return get_backend("gpu")
    except RuntimeError as e:
        pytest.skip(f"no OpenGL context here: {e}")


@pytest.fixture(scope="module")
def states():
    return {"synthetic": syn.synthetic_state(64), "protoplanet": planet.Planet(128, 0).state}


def assert_same_picture(a, b, what):
    d = np.abs(a.astype(int) - b.astype(int))
    assert a.shape == b.shape
    mean = d.reshape(-1, 3).mean(axis=0)
    p99 = np.percentile(d.reshape(-1, 3), 99, axis=0)
    assert np.all(mean <= 2.0), (what, mean)
    assert np.all(p99 <= 8.0), (what, p99)


@pytest.mark.parametrize("name", list(VIEWS))
def test_every_view_matches(gpu, states, name):
    for key, st in states.items():
        for t in (None, 0.5, 140.0):
            a = view(st, name, size=(320, 160), backend="cpu", time=t)
            b = view(st, name, size=(320, 160), backend="gpu", time=t)
            assert_same_picture(a, b, (key, name, t))


@pytest.mark.parametrize("kwargs", [dict(), dict(atmosphere=False), dict(time=140.0), dict(time=190.0, overlay="co2"),
                                    dict(lat=-60.0, lon=250.0, time=130.0), dict(view="rivers", lat=90.0)])
def test_globe_matches(gpu, states, kwargs):
    for key, st in states.items():
        a = globe(st, size=(240, 200), backend="cpu", **kwargs)
        b = globe(st, size=(240, 200), backend="gpu", **kwargs)
        assert_same_picture(a, b, (key, kwargs))


def test_film_frames_match(gpu, states):
    from planet.render.film import shot
    from planet.render.scene import pack_fields

    cpu = get_backend("cpu")
    st = states["synthetic"]
    for t in (5.0, 14.0, 36.0, 105.0, 121.0, 185.0, 248.0):
        sh = shot(t, (256, 144), planet.Timeline())
        stack, P = pack_fields(st, t)
        args = (stack, P, sh.view, sh.second, sh.overlay_view, sh.overlay, sh.Q, (256, 144))
        assert_same_picture(cpu.frame(*args), gpu.frame(*args), t)


def test_gl_context_has_no_error(gpu):
    view(syn.synthetic_state(32), "plates", size=(64, 32), backend="gpu")
    assert gpu.ctx.error == "GL_NO_ERROR"


def test_missing_shader_is_a_clear_error():
    from planet.render.gpu import load_shader

    with pytest.raises(RuntimeError, match="missing from planet.shaders"):
        load_shader("no_such.frag")


def test_auto_prefers_a_hardware_gpu_and_skips_software_rasterisers(gpu):
    from planet.render.backend import SOFTWARE_RENDERERS

    software = any(s in gpu.info.lower() for s in SOFTWARE_RENDERERS)
    assert get_backend("auto").name == ("cpu" if software else "gpu")
