"""The baseline workflow as a pytest user meets it (run in an inner pytest session with ``pytester``):
a missing baseline is written and fails once, ``--planet-update-baselines`` rewrites what
``assert_stats_close`` compares against, a drift fails with a short first line and no library
source in the traceback, another seed is an assertion failure, and ``planet_baseline`` names
baselines after the test."""
from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytester"]

CONFTEST = 'pytest_plugins = ["planet.pytest_plugin"]\n'

TEST = '''
import os
import numpy as np
import planet
from planet.testing import assert_stats_close

SEED = int(os.environ.get("WORLD_SEED", "0"))
LIFT = float(os.environ.get("WORLD_LIFT", "0"))

def world():
    state = planet.Planet(128, seed=SEED).state
    z = state.elevation.copy()
    z[: state.rows // 2] += np.float32(LIFT)       # LIFT > 0 moves the terrain statistics
    return state.replace(elevation=z)

def test_by_path():
    assert_stats_close(world(), "baselines/world.json")

def test_named(planet_baseline):
    planet_baseline(world())
'''


@pytest.fixture(scope="module", autouse=True)
def _loaded():
    """The inner sessions run in this process and drop the modules they imported afterwards; Numba's
    cannot be imported twice, so everything the inner tests use is imported (and run) here first."""
    import planet
    import planet.pytest_plugin  # noqa: F401
    from planet.analysis import stats
    from planet.testing import assert_stats_close  # noqa: F401

    stats.compute(planet.Planet(128, seed=0).state)


@pytest.fixture
def project(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_world=TEST)
    return pytester


def run(project, monkeypatch, *args, seed=0, lift=0.0):
    monkeypatch.setenv("WORLD_SEED", str(seed))
    monkeypatch.setenv("WORLD_LIFT", str(lift))
    return project.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_missing_baseline_is_written_then_compared(project, monkeypatch):
    first = run(project, monkeypatch)
    first.assert_outcomes(failed=2)
    out = first.stdout.str()
    assert "baselines/world.json did not exist: wrote it" in out and "check it in" in out
    named = project.path / "baselines" / "test_world" / "test_named.json"
    assert named.is_file() and (project.path / "baselines" / "world.json").is_file()
    assert json.loads(named.read_text())["meta"]["seed"] == 0
    run(project, monkeypatch).assert_outcomes(passed=2)          # the second run compares and passes


def test_drift_fails_with_a_short_first_line_and_no_library_source(project, monkeypatch):
    run(project, monkeypatch)
    result = run(project, monkeypatch, "-k", "test_by_path", lift=0.5)
    result.assert_outcomes(failed=1, deselected=1)
    out = result.stdout.str()
    lines = out.splitlines()
    first = next(l for l in lines if "statistics drifted from baseline" in l)
    assert first.startswith("E ") and len(first) < 300 and "terrain.elevation_mean" in out
    assert "now − baseline" in out                                # then the table
    assert "def assert_stats_close" not in out and "__tracebackhide__" not in out   # library frames hidden


def test_update_option_rewrites_what_assert_stats_close_compares_against(project, monkeypatch):
    run(project, monkeypatch)
    base = project.path / "baselines" / "world.json"
    before = json.loads(base.read_text())
    result = run(project, monkeypatch, "--planet-update-baselines", lift=0.5)
    result.assert_outcomes(failed=2)                              # the rewrite moved statistics: say so
    assert "rewrote baseline" in result.stdout.str()
    after = json.loads(base.read_text())
    key = "terrain.elevation_mean"
    assert after["statistics"][key]["value"] == pytest.approx(before["statistics"][key]["value"] + 0.25, rel=1e-3)
    run(project, monkeypatch, lift=0.5).assert_outcomes(passed=2)   # now the lifted world is the baseline
    run(project, monkeypatch, "--planet-update-baselines", lift=0.5).assert_outcomes(passed=2)  # nothing moved


def test_other_seed_is_an_assertion_failure_that_says_so(project, monkeypatch):
    run(project, monkeypatch)
    result = run(project, monkeypatch, "-k", "test_by_path", seed=1)
    result.assert_outcomes(failed=1, deselected=1)
    out = result.stdout.str()
    assert "AssertionError" in out or "BaselineMismatch" in out
    assert "is for seed 0, the state has seed 1" in out
