"""pytest fixtures for regression-testing worlds (registered as the ``pytest11`` plugin ``planet.pytest_plugin``).

* ``planet_world(seed=0, resolution=128, step=3000, config=None)``: a session-scoped
  factory; each distinct run is computed once per test session and shared.
* ``planet_state``: the first canonical run (``planet.testing.CANONICAL[0]``).
* ``planet_update_baselines``: true under ``pytest --planet-update-baselines``; tests
  that compare with a baseline file then rewrite it instead.

    def test_my_world(planet_world):
        state = planet_world(seed=1)
        assert_stats_close(state, "tests/baselines/seed1_r128_step3000.json")
"""
from __future__ import annotations

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("planet")
    group.addoption("--planet-update-baselines", action="store_true", default=False,
                    help="rewrite planet statistics baselines instead of comparing with them")


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
