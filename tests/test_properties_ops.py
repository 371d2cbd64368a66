"""Property tests: over the documented parameter ranges, at small resolution, every stage this
checkout has runs a compressed story with no crash, no NaN and every field in its range.

The guard (every step, after every stage) is the oracle: its table is the documented ranges.
"""
from __future__ import annotations

from dataclasses import fields

import pytest
from hypothesis import assume, HealthCheck, given, settings, strategies as st

from planet.core.config import SECTIONS, Config, ConfigError
from planet.core.guard import Guard, check_state
from planet.model import REGISTRY
from planet.world import Planet

import ops_stages

PROCESSES = ("lithosphere", "climate", "atmosphere", "life")


def _value(f):
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    if type(f.default) is int:
        return st.integers(int(lo), int(min(hi, 10**9)))
    return st.floats(max(lo, -1e6), min(hi, 1e6), allow_nan=False, allow_infinity=False)


@st.composite
def worlds(draw, max_keys=4, scales=(0.003, 0.008)):
    data = {}
    for name, section in SECTIONS.items():
        if name == "schedule":
            continue
        chosen = draw(st.lists(st.sampled_from([f.name for f in fields(section)]), max_size=max_keys, unique=True))
        data[name] = {f.name: draw(_value(f)) for f in fields(section) if f.name in chosen}
    scale = draw(st.floats(*scales))
    data["schedule"] = ops_stages.compressed_schedule(scale)
    seed = draw(st.integers(0, 2**32 - 1))
    try:
        return Config.from_dict(data), seed
    except ConfigError as e:
        # every key is in range; only the documented cross-key rules (life.dt × diffusion ≤ 0.25,
        # min ≤ max, plate_interval a multiple of step_interval) may refuse a combination
        assume("must not exceed" not in str(e) and "at most 0.25" not in str(e) and "must be a multiple of" not in str(e))
        raise


def _run(config, seed, until):
    stages = [n for n in REGISTRY if n in PROCESSES]
    world = Planet(resolution=128, seed=seed, config=config, stages=stages, guard=Guard(every=1))
    world.run(until=until)
    check_state(world.state)
    return world


@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_documented_ranges_no_crash_no_nan_in_range(world):
    config, seed = world
    # past tectonics end of the compressed story: every process has run
    _run(config, seed, until=config.schedule.tectonics_end * 1.05)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(max_keys=9, scales=(0.005, 0.02)))
def test_documented_ranges_whole_story_slow(world):
    config, seed = world
    _run(config, seed, until=config.schedule.story_end * 1.1)


def _extreme(which: str) -> Config:
    """Every non-schedule key at its documented minimum, its maximum, or (where the minimum is 0)
    the smallest positive double (a probability of 5e-324 must not break a geometric sampler)."""
    data = {}
    for name, section in SECTIONS.items():
        if name == "schedule":
            continue
        values = {}
        for f in fields(section):
            lo, hi = f.metadata["lo"], f.metadata["hi"]
            kind = type(f.default)
            if which == "min":
                v = lo
            elif which == "max":
                v = min(hi, 1e6)
            else:  # "tiny"
                v = (5e-324 if kind is float else 1) if lo == 0 else f.default
            values[f.name] = kind(v)
        data[name] = values
    if which == "max":  # the documented stability rule caps life.dt at 0.25 / the largest diffusion
        life = data["life"]
        life["dt"] = 0.25 / max(life["diffusion_vegetation"], life["diffusion_prey"], life["diffusion_predators"])
    data["schedule"] = ops_stages.compressed_schedule(0.004)
    return Config.from_dict(data)


_EXTREME_SCRIPT = """
import sys
from planet.core.config import Config
import test_properties_ops as t
config = Config.from_json(sys.argv[1])
t._run(config, seed=1, until=config.schedule.tectonics_end * 1.05)
print("ok")
"""


@pytest.mark.parametrize("which", ["min", "tiny", pytest.param("max", marks=pytest.mark.slow)])
def test_extreme_documented_values(which):
    """Run in a child process: a kernel that writes out of bounds crashes the child, not the suite."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "tests"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", _EXTREME_SCRIPT, _extreme(which).to_json()], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", (
        f"{which}: exit code {proc.returncode}\n{proc.stderr[-3000:]}")
