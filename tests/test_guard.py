"""The numerical guard names the stage, field, step and cell of the first bad value."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import planet.model
from planet.core.config import Config
from planet.core.guard import FieldRange, Guard, GuardError, check_state, field_ranges, find_violation
from planet.core.state import State
from planet.world import Planet

import ops_stages


@pytest.fixture
def poisoned():
    saved = dict(planet.model.REGISTRY)
    ops_stages.use_synthetic(planet.model.REGISTRY, poison=True)
    yield ops_stages.PoisonStage
    planet.model.REGISTRY.clear()
    planet.model.REGISTRY.update(saved)


def _world(guard, stages=("lithosphere", "poison")):
    return Planet(resolution=128, seed=3, stages=stages, guard=guard)


def test_guard_names_stage_field_step_cell_and_saves_last_good(tmp_path, poisoned):
    guard = Guard(every=1, directory=tmp_path)
    world = _world(guard)
    with pytest.raises(GuardError, match="stage 'poison' wrote nan in field 'toxin' at step 7") as info:
        world.run(until=1)
    e = info.value
    assert (e.stage, e.field, e.step, e.row, e.col) == ("poison", "toxin", 7, 5, 9)
    assert math.isnan(e.value) and e.count == 1
    grid = world.grid
    assert e.lat == pytest.approx(90 - 180 * 5.5 / grid.rows) and e.lon == pytest.approx(360 * 9.5 / grid.columns)
    msg = str(e)
    for part in ("stage 'poison'", "field 'toxin'", "step 7", "row 5, col 9", f"lat {e.lat:.2f}°", "nan"):
        assert part in msg, (part, msg)
    # the planet did not advance past the last good step; that state was saved and reloads exactly
    assert world.state.step == 6
    assert e.saved == tmp_path / "guard-last-good-000000006.npz" and "saved to" in msg
    assert State.load(e.saved).equals(world.state)
    assert e.last_good.equals(world.state)


def test_guard_every_n_checks_only_multiples(poisoned):
    world = _world(Guard(every=5))
    with pytest.raises(GuardError, match="field 'toxin' at step 10") as info:
        world.run(until=1)
    assert info.value.step == 10                      # NaN appears at 7, first check at 10
    assert info.value.last_good.step == 5
    assert "on the error as .last_good" in str(info.value)


def test_guard_out_of_range_and_inf(poisoned):
    poisoned.value = 2.0
    try:
        guard = Guard(every=1, ranges={"toxin": FieldRange(0.0, 1.0)})
        with pytest.raises(GuardError, match=r"wrote 2\.0 in field 'toxin'.*allowed \[0, 1\]"):
            _world(guard).run(until=1)
        poisoned.value = -math.inf
        with pytest.raises(GuardError, match=r"wrote -inf in field 'toxin'.*allowed finite"):
            _world(Guard(every=1)).run(until=1)
    finally:
        poisoned.value = float("nan")


def test_guard_quiet_on_a_healthy_run(poisoned):
    guard = Guard(every=2)
    world = _world(guard, stages=("lithosphere",))
    world.run(until=20 / 60)
    assert guard.checks == 10 and guard.last_good.step == 20


def test_guard_checks_the_initial_state(poisoned):
    world = _world(Guard(every=3), stages=("lithosphere",))
    bad = world.state.elevation.copy()
    bad[0, 0] = -1.0
    world = Planet.from_state(world.state.replace(elevation=bad), guard=Guard(every=3))
    with pytest.raises(GuardError, match=r"initial state has -1\.0 in field 'elevation' at step 0.*no earlier state"):
        world.step(1)


def test_guard_every_is_validated(tmp_path):
    with pytest.raises(ValueError, match="guard every must be an integer number of steps >= 1"):
        Guard(every=0)
    with pytest.raises(ValueError, match="guard directory .* does not exist"):
        Guard(directory=tmp_path / "nope")


# -- the range table, against a naive per-cell check --------------------------------------
def _naive(fields, ranges):
    for name, a in fields.items():
        r = ranges.get(name, FieldRange())
        for j in range(a.shape[0]):
            for i in range(a.shape[1]):
                x = float(a[j, i])
                ok = math.isfinite(x) and ((r.special is not None and x == r.special) or (
                    x >= r.lo and (x < r.hi if r.hi_open else x <= r.hi)))
                if not ok:
                    return name, j, i
    return None


SPECIALS = [np.nan, np.inf, -np.inf, -1.0, 0.0, 1.0, 0.999, 3.0, 3.5, 5.0, 5.01, -1e-7, 1e9]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(field_ranges())), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4),
                                                                  st.sampled_from(SPECIALS)), max_size=4),
       st.floats(0, 0.99))
def test_find_violation_matches_naive(name, pokes, base):
    ranges = field_ranges(Config())
    a = np.full((4, 5), np.float32(base))
    for j, i, v in pokes:
        a[j, i] = v
    fields = {"elevation": np.ones((4, 5), np.float32), name: a}
    got = find_violation(fields, ranges)
    want = _naive(fields, ranges)
    assert (None if got is None else (got.field, got.row, got.col)) == want


def test_table_matches_the_documented_ranges():
    r = field_ranges()
    assert r["plate"].bad(np.array([[-1.0, 0.0, 0.5, 1.0, -0.5]], np.float32)).tolist() == [[False, False, False, True, True]]
    assert r["basin"].bad(np.array([[0.0, 1.0]], np.float32)).tolist() == [[False, True]]
    near = lambda *v: pytest.approx(v, rel=1e-6)             # closed bounds are widened by a few float32 ulps
    assert (r["vapour"].hi, r["co2"].hi, r["moisture"].hi, r["humans"].hi, r["uplift"].hi) == near(3, 3, 5, 1, 1)
    assert (r["vegetation"].hi, r["prey"].hi, r["predators"].hi, r["trails"].hi) == near(5, 5, 5, 1)
    assert r["elevation"].hi == math.inf and r["drainage_area"].lo == 0
    assert r["temperature"].text() == "finite" and r["pressure"].text() == "finite"
    assert (r["wind_u"].lo, r["wind_u"].hi) == (pytest.approx(-1.0001, rel=1e-6), pytest.approx(1.0001, rel=1e-6))
    assert field_ranges(Config().replace(climate={"wind_max": 2.0}))["wind_v"].lo == pytest.approx(-2.0, rel=1e-6)
    # caps that are configuration constants widen the range (never narrow it)
    assert field_ranges(Config().replace(atmosphere={"vapour_max": 7.0}))["vapour"].hi == pytest.approx(7.0, rel=1e-6)
    assert field_ranges(Config().replace(life={"population_min": 0.0, "population_max": 0.5}))["prey"].hi == pytest.approx(5.0, rel=1e-6)


def test_a_float32_clamp_at_the_limit_passes():
    # A kernel that caps a float32 field at the limit stores float32(limit), which can lie beyond the
    # float64 limit (found by the slow property test: wind_max 6.768213335118602 stored as 6.7682137).
    limit = 6.768213335118602
    stored = np.float32(6.768213748931885)
    assert float(stored) > limit
    r = field_ranges(Config().replace(climate={"wind_max": limit}))["wind_u"]
    at = np.array([[stored, -stored]], np.float32)
    assert r.ok(float(at.min()), float(at.max())) and not r.bad(at).any()
    beyond = np.float32(limit * (1 + 1e-5))                  # ~20 units in the last place: a real breach
    assert r.bad(np.array([[beyond, -beyond]], np.float32)).all()


def test_check_state_on_a_fresh_world():
    check_state(Planet(resolution=128, seed=1).state)
