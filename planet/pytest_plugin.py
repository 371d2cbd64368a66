"""pytest fixtures for regression-testing worlds (registered as the ``pytest11`` plugin ``planet.pytest_plugin``).

* ``planet_world(seed=0, resolution=128, step=3000, config=None)``: a session-scoped
  factory; each distinct run is computed once per test session and shared.
* ``planet_state``: the first canonical run (``planet.testing.CANONICAL[0]``).
* ``planet_baseline``: ``planet_baseline(state, **tolerances)`` compares ``state`` with the
  baseline named after the test, ``<test folder>/baselines/<module>/<test name>.json``
  (written on the first run, which fails once saying so, as pytest-regressions does).
* ``planet_update_baselines``: true under ``pytest --planet-update-baselines``, which makes
  every ``assert_stats_close`` rewrite the baseline it compares against.

    def test_my_world(planet_world, planet_baseline):
        state = planet_world(seed=1)
        assert_stats_close(state, "tests/baselines/seed1_r128_step3000.json")
        planet_baseline(state, per_stat={"rivers": 1e-2})      # tests/baselines/test_x/test_my_world.json
"""
from __future__ import annotations

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("planet")
    group.addoption("--planet-update-baselines", action="store_true", default=False,
                    help="rewrite planet statistics baselines instead of comparing with them")


def pytest_configure(config):
    from . import testing

    testing.UPDATE_BASELINES = bool(config.getoption("--planet-update-baselines", default=False))


def pytest_unconfigure(config):
    from . import testing

    testing.UPDATE_BASELINES = False


@pytest.fixture(scope="session")
def planet_world():
    """Factory ``(seed=0, resolution=128, step=3000, config=None) -> State``, each run once per session."""
    from .testing import CANONICAL, run_world

    cache = {}
    seed0, resolution0, step0 = CANONICAL[0]

    def run(seed: int = seed0, resolution: int = resolution0, step: int = step0, config=None):
        key = (seed, resolution, step, None if config is None else config.to_json())
        if key not in cache:
            cache[key] = run_world(seed, resolution, step, config)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def planet_state(planet_world):
    """The state of the first canonical run (seed, resolution, step of ``CANONICAL[0]``)."""
    from .testing import CANONICAL

    return planet_world(*CANONICAL[0])


@pytest.fixture(scope="session")
def planet_update_baselines(request) -> bool:
    return bool(request.config.getoption("--planet-update-baselines", default=False))


@pytest.fixture
def planet_baseline(request):
    """``check(state, rtol=None, atol=None, per_stat=None, *, name=None)``: ``assert_stats_close`` against
    ``<test folder>/baselines/<module>/<name or test name>.json``; returns the comparisons."""
    import re

    from .testing import assert_stats_close

    folder = request.path.parent / "baselines" / request.path.stem

    def check(state, rtol=None, atol=None, per_stat=None, *, name: str | None = None):
        __tracebackhide__ = True
        stem = re.sub(r"[^\w.-]+", "_", name or request.node.name).strip("_")
        folder.mkdir(parents=True, exist_ok=True)
        return assert_stats_close(state, folder / f"{stem}.json", rtol, atol, per_stat)

    return check
