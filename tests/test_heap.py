"""``planet.core.memory.keep_heap``: once a world has stepped, field-sized arrays freed by one step are
reused by the next without faulting their pages in again (glibc only; counted in minor page faults,
not timed)."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="malloc's thresholds are set on glibc only")

#: a step's pattern: a few field-sized arrays allocated, written and freed together, again and again
PROGRAM = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import planet
    from planet.core import memory
    world = planet.Planet(resolution=128, seed=0)
    world.step(1)
    fields, rounds = 8, 20
    def churn():
        arrays = [np.empty((512, 1024), np.float32) for _ in range(fields)]
        for a in arrays:
            a.fill(1.0)
    churn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        churn()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(memory.keep_heap(), faults / (rounds * fields * 512 * 1024 * 4 / 4096))
""")


def _churn(env):
    env = {**os.environ, **env}
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    kept, share = out.stdout.split()
    return kept == "True", float(share)


def test_a_stepping_world_keeps_freed_fields_pages():
    kept, share = _churn({})
    assert kept
    assert share < 0.05, share          # the pages of the arrays freed the round before are reused


def test_planet_malloc_system_leaves_malloc_alone():
    # glibc's own thresholds: the eight freed 2 MiB arrays exceed its trim threshold and go back to the
    # system each round, so most pages fault in again (the cost keep_heap removes)
    kept, share = _churn({"PLANET_MALLOC": "system"})
    assert not kept
    assert share > 0.5, share
