"""Night lights are points: seeded, density-weighted, fixed from frame to frame, dimmed by heat stress."""
import numpy as np
import pytest

from planet.render import synthetic as syn
from planet.render import view

ROWS = 128
SIZE = (2 * ROWS, ROWS)          # one pixel per cell on the equirectangular map


@pytest.fixture(scope="module")
def state():
    return syn.synthetic_state(ROWS)


def lit(img):
    """Pixels holding a light: the night ground is near black (linear 0.012), a light is >= 0.6 of warm white."""
    r = img[..., 0].astype(int)
    return r > 120


def test_lit_share_of_settled_land_is_points_not_patches(state):
    img = view(state, "night", size=SIZE, backend="cpu")
    settled = int((state.humans > 0.5).sum())      # cells, = pixels at this size
    share = lit(img).sum() / settled
    assert 0.05 <= share <= 0.60, share
    # without people there is no light at all
    dark = view(state.replace(humans=np.zeros_like(state.humans)), "night", size=SIZE, backend="cpu")
    assert lit(dark).sum() == 0


def test_lights_stay_put_from_frame_to_frame(state):
    a = lit(view(state, "night", size=SIZE, backend="cpu", time=state.time))
    b = lit(view(state, "night", size=SIZE, backend="cpu", time=state.time + 0.5))
    assert a.sum() > 0 and np.array_equal(a, b)


def test_lights_are_density_weighted_and_dim_with_heat(state):
    half = state.replace(humans=state.humans * 0.3)
    full = view(state, "night", size=SIZE, backend="cpu")
    few = view(half, "night", size=SIZE, backend="cpu")
    assert 0 < lit(few).sum() < 0.8 * lit(full).sum()
    hot = view(state.replace(temperature=np.full_like(state.temperature, 45.0)), "night", size=SIZE, backend="cpu")
    warm = view(state.replace(temperature=np.full_like(state.temperature, 20.0)), "night", size=SIZE, backend="cpu")
    on = lit(warm)
    assert on.sum() > 0
    # the same points, dimmer (the heat stress also tints the ground red, so compare green: the lights' own)
    assert hot[on][:, 1].astype(float).mean() < 0.8 * warm[on][:, 1].astype(float).mean()
