"""The coupled step: every field in range through the story, determinism across threads and restores."""
import numba
import numpy as np
import pytest

import planet
from planet.core.config import Config
from planet.core.fields import FIELDS, valid_range
from planet.core.state import State

#: the valid ranges of the climate's, the atmosphere's and life's fields, as declared in FIELDS
RANGES = {name: valid_range(f) for name, f in FIELDS.items() if f.owner in ("climate", "atmosphere", "life")}
# FIELDS only asks pressure and temperature to be finite; with the default configuration they also stay
# within what Earth's air does (sea-level pressure 870-1085 hPa on record, surface -89 to 57 degC)
RANGES.update(pressure=(900.0, 1100.0), temperature=(-90.0, 80.0))
MINE = tuple(RANGES)


def check_ranges(state):
    for name, (lo, hi) in RANGES.items():
        a = state[name]
        assert np.isfinite(a).all(), f"{name} has NaN/Inf at t={state.time}"
        assert lo <= a.min() and a.max() <= hi, f"{name} out of [{lo}, {hi}] at t={state.time}: {a.min()}..{a.max()}"


def world_at(t, config=None, resolution=128, settled=False):
    """A fresh 128×64 world moved to film time ``t`` (the protoplanet, with the climate of the start).
    ``settled``: wet soil everywhere and a block of settlements, so humans and CO2 are active at once."""
    w = planet.Planet(resolution=resolution, seed=0, config=config)
    st = State(w.state.fields, step=int(round(t * w.config.schedule.fps)), seed=0, config=w.config,
               stages=w.state.stages)
    if settled:
        humans = np.zeros(st.shape, np.float32)
        humans[20:40, 30:90] = 1.0
        humans[st.elevation < w.timeline.sea_level(t)] = 0.0
        st = st.replace(moisture=np.full(st.shape, 5.0, np.float32), humans=humans)
    return planet.Planet.from_state(st)


def test_default_stages_are_all_four():
    assert planet.Planet(resolution=128).stages == ("lithosphere", "climate", "atmosphere", "life")


@pytest.mark.parametrize("start, steps", [(0.0, 240), (24.0, 120), (124.5, 240), (199.0, 300), (249.5, 120)])
def test_fields_stay_in_range_through_the_epochs(start, steps):
    cfg = Config().replace(life={"settle_probability": 1e-3})
    w = world_at(start, cfg, settled=start >= 124)
    for _ in range(steps // 60):
        w.step(60)
        check_ranges(w.state)
    if start == 124.5:
        assert (w.state.humans == 1).sum() > 1000     # people spread
    if start == 199.0:
        assert w.state.co2.max() > 0                  # and emitted


def test_determinism_threads_and_restore(tmp_path):
    cfg = Config().replace(life={"settle_probability": 1e-3})
    top = numba.config.NUMBA_NUM_THREADS
    before = numba.get_num_threads()
    try:
        planet.set_threads(1)
        one = world_at(179.0, cfg, settled=True)
        one.step(60)
        one.save(tmp_path / "mid.npz")
        one.step(60)
        planet.set_threads(min(2, top))
        two = world_at(179.0, cfg, settled=True)
        two.step(120)
        again = planet.load(tmp_path / "mid.npz")
        again.step(60)
    finally:
        numba.set_num_threads(before)
    assert one.state.humans.max() == 1.0 and one.state.co2.max() > 0 and one.state.trails.max() == 1.0
    for name in MINE:
        np.testing.assert_array_equal(one.state[name], two.state[name], err_msg=f"{name}: threads")
        np.testing.assert_array_equal(one.state[name], again.state[name], err_msg=f"{name}: save/restore")


@pytest.mark.slow
def test_whole_story_at_128():
    w = planet.Planet(resolution=128, seed=0)
    while w.state.step < 15000:
        w.step(500)
        check_ranges(w.state)
    assert w.time == pytest.approx(250.0)
    assert (w.state.humans == 0).sum() > 0


def test_no_seam_at_the_meridian():
    """The jump between columns W−1 and 0 is like the jump between any two neighbouring columns."""
    cfg = Config().replace(life={"settle_probability": 1e-3})
    w = world_at(124.5, cfg, settled=True)
    w.step(180)
    for name in ("pressure", "temperature", "wind_u", "wind_v", "vapour", "moisture", "vegetation", "prey"):
        a = w.state[name].astype(np.float64)
        jumps = np.abs(np.diff(a, axis=1, append=a[:, :1])).mean(axis=0)   # column i → i+1, last wraps
        seam = jumps[-1]
        assert seam <= 3 * np.median(jumps) + 1e-6, (name, seam, np.median(jumps))
