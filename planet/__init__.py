"""planet: a procedural Earth-history simulator.

    >>> import planet
    >>> world = planet.Planet(resolution=256, seed=0)
    >>> state = world.run(until="ocean_end")
    >>> state.elevation.shape
    (128, 256)
"""
from pathlib import Path as _Path

from planet._version import __version__  # noqa: E402
from planet.core import jitcache as _jitcache  # noqa: E402

# before any kernel is defined: a cached kernel is reused only while every source it compiles in is unchanged
_jitcache.install()

# In a source checkout (not installed), ``planet.render`` and ``planet.shaders``
# live in ../render and ../shaders; installed, setuptools maps them into the package.
_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "render" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821 (module __path__)

from planet.core.config import Config, ConfigError  # noqa: E402
from planet.core.grid import Grid  # noqa: E402
from planet.core.state import State, StateFileError  # noqa: E402
from planet.core.timeline import Timeline  # noqa: E402
from planet.io.read import load  # noqa: E402
from planet.world import Planet, set_threads  # noqa: E402



def __getattr__(name):
    # imported on first use, so that ``import planet`` stays light (no renderer, no Dask, no widgets):
    # ``planet.stats`` (public) is the statistics of ``planet.analysis``; ``planet.explore`` the
    # notebook explorer of the renderer; ``planet.sweep`` the ensembles of ``planet.analysis.sweep``;
    # ``planet.earth(...)`` and ``planet.koppen(world)`` Earth and its climate classes
    import importlib

    if name in ("earth", "koppen"):
        return getattr(importlib.import_module("planet.io.earth" if name == "earth" else "planet.analysis.koppen"),
                       name)

    if name == "stats":
        return importlib.import_module("planet.analysis.stats")
    if name == "explore":
        return importlib.import_module("planet.render.explore").explore
    if name == "sweep":
        return importlib.import_module("planet.analysis.sweep").sweep
    raise AttributeError(f"module 'planet' has no attribute {name!r}")


__all__ = ["Planet", "State", "Config", "ConfigError", "Grid", "Timeline", "StateFileError",
           "load", "set_threads", "earth", "koppen", "__version__"]
