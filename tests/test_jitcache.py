"""A cached kernel is compiled again when a module it compiles in changes (``planet.core.jitcache``):
Numba's own cache keys a kernel on its file alone and would load the old machine code."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planet.core import jitcache

REPO = Path(__file__).resolve().parents[1]

RUN = """
import sys
sys.path.insert(0, {root!r})
from planet.core import jitcache
if {install}:
    jitcache.install(prefixes=("pkgx",))
import pkgx.user
print(pkgx.user.shifted(3))
"""


def _write(root: Path, helper_value: int) -> None:
    """A package of two modules: ``user.shifted`` (a cached kernel) inlines ``helper.value``."""
    pkg = root / "pkgx"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text("from numba import njit\n\n\n@njit(cache=True, inline='always')\n"
                                   f"def value():\n    return {helper_value}\n")
    (pkg / "user.py").write_text("from numba import njit\n\nfrom pkgx.helper import value\n\n\n@njit(cache=True)\n"
                                 "def shifted(x):\n    return 10 * x + value()\n")


def _run(root: Path, install: bool) -> tuple[int, int]:
    """``shifted(3)`` in a fresh process, and how many kernels that process found in the cache."""
    env = dict(os.environ, PYTHONPATH=str(REPO), NUMBA_DEBUG_CACHE="1")
    out = subprocess.run([sys.executable, "-c", RUN.format(root=str(root), install=install)], capture_output=True,
                         text=True, env=env, check=True, timeout=300)
    lines = out.stdout.strip().splitlines()
    return int(lines[-1]), sum("data loaded from" in line and "shifted" in line for line in lines)


@pytest.mark.parametrize("install", [True, False])
def test_a_cached_kernel_is_compiled_again_when_a_module_it_inlines_changes(tmp_path, install):
    _write(tmp_path, 1)
    assert _run(tmp_path, install) == (31, 0)              # compiled, then cached
    assert _run(tmp_path, install) == (31, 1)              # loaded from the cache
    _write(tmp_path, 2)                                     # the helper changes, the kernel's own file does not
    if install:
        assert _run(tmp_path, install) == (32, 0)          # compiled again with the new helper
        assert _run(tmp_path, install) == (32, 1)          # and cached again
    else:
        # Numba's own locator (the premise of jitcache): the old machine code, from the cache
        assert _run(tmp_path, install) == (31, 1)


def test_dependencies_follow_imports_and_stop_at_the_package():
    import planet.processes.climate.physics  # noqa: F401
    import planet.processes.lithosphere.plates  # noqa: F401

    plates = jitcache.dependencies("planet.processes.lithosphere.plates")
    assert "planet.processes.lithosphere.drift" in plates      # inlined into ``_plates`` (``drift.carry``)
    assert "planet.processes.lithosphere.upstream" in plates   # through drift, transitively
    assert "planet.processes.lithosphere.plates" in plates
    assert not any(d.startswith("numpy") or d.startswith("numba") for d in plates)
    climate = jitcache.dependencies("planet.processes.climate.physics")
    assert "planet.processes.lithosphere.drift" not in climate  # a change there leaves the climate's kernels cached
    assert jitcache.stamp("planet.processes.climate.physics") != jitcache.stamp("planet.processes.lithosphere.plates")


def test_install_leaves_numba_alone_where_its_locator_list_is_missing(monkeypatch):
    """A Numba without the internals the locator hooks into: ``install`` changes nothing, no error."""
    class Bare:            # no ``_locator_classes``
        pass

    monkeypatch.setattr(jitcache, "_IMPL", Bare)
    jitcache.install()
    assert not hasattr(Bare, "_locator_classes")
    listed = type("Listed", (), {"_locator_classes": []})
    monkeypatch.setattr(jitcache, "_IMPL", listed)
    monkeypatch.setattr(jitcache, "_BASE", None)     # ... or without its base class of locators
    jitcache.install()
    assert listed._locator_classes == []
    monkeypatch.setattr(jitcache, "_BASE", object)
    jitcache.install()
    assert listed._locator_classes == [jitcache.DependentLocator]    # (the control: with both, it installs)


def test_a_second_copy_of_the_locator_does_not_ask_the_first():
    """A second ``DependentLocator`` class in Numba's list (``jitcache`` reloaded, or a second copy of the
    package imported in the same process) and the first must not ask each other for the kernel's file
    locator: that recursed without end. Each skips the other and takes Numba's own."""
    import importlib.util

    from planet.processes.climate import circulation

    spec = importlib.util.spec_from_file_location("jitcache_copy", jitcache.__file__)
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    classes = jitcache._IMPL._locator_classes
    assert copy.DependentLocator is not jitcache.DependentLocator
    classes.insert(0, copy.DependentLocator)
    try:
        py_func = circulation._wind_into.py_func
        for cls in (copy.DependentLocator, jitcache.DependentLocator):
            loc = cls.from_function(py_func, circulation.__file__)
            assert isinstance(loc, cls)
            assert not getattr(type(loc._inner), "_planet_dependent", False)   # Numba's own locator inside
    finally:
        classes.remove(copy.DependentLocator)
