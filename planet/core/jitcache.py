"""Numba's on-disk kernel cache, kept only while every source a kernel compiles in is unchanged.

``@njit(cache=True)`` keys a cached kernel on its own file's contents. A kernel that calls or
inlines a function of another module (``plates._plates`` inlines ``drift.carry``) compiles that
module's code into its own, so after that module changes Numba would load the old machine code:
the program runs code that is no longer in its sources, until the cache is cleared. That is a
known limitation of Numba's cache, met by a developer who edits ``drift.py`` and by a user whose
upgrade changes a helper and not its callers.

``install()`` puts a cache locator in front of Numba's own for the modules of this package: the
same cache files in the same places (Numba's locator for the file decides where), but a kernel's
source stamp is its own file's stamp together with a digest of every file of the package that its
module reaches through its globals (the modules it imports, and the modules of the functions,
classes and kernels it imports), transitively. Changing any of those recompiles the kernel once;
kernels that do not reach the changed file keep their cache.
"""
from __future__ import annotations

import functools
import hashlib
import os
import sys
import types

from numba.core import caching

PREFIXES = ("planet",)        # the module names whose kernels the locator serves (``install``)
_prefixes = PREFIXES
_direct: dict[str, frozenset] = {}   # module name -> the package modules its globals reach (modules imported whole)


def _ours(name) -> bool:
    return isinstance(name, str) and any(name == p or name.startswith(p + ".") for p in _prefixes)


def _reached(module) -> set:
    """The package modules that ``module``'s globals refer to (modules, or objects defined in one)."""
    out = set()
    for value in list(vars(module).values()):
        # a module, or a function, class or Numba kernel (whose ``__module__`` is its function's)
        name = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
        if _ours(name) and name != module.__name__:
            out.add(name)
    return out


def dependencies(name: str) -> list[str]:
    """The package modules module ``name`` reaches through its globals, transitively, itself included
    (sorted). Read now: a module still being imported reaches what it has imported so far."""
    seen = {name}
    todo = [name]
    while todo:
        current = todo.pop()
        module = sys.modules.get(current)
        if module is None:
            continue
        reach = _direct.get(current)
        if reach is None:
            reach = frozenset(_reached(module))
            if not getattr(module.__spec__, "_initializing", False):   # complete: its globals are final
                _direct[current] = reach
        for other in reach:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return sorted(seen)


@functools.lru_cache(maxsize=None)
def _digest(path: str, mtime: float, size: int) -> bytes:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).digest()


def _file_digest(path: str) -> bytes:
    st = os.stat(path)
    return _digest(path, st.st_mtime, st.st_size)


#: Numba's list of locator classes (``CacheImpl`` from 0.61 on, ``_CacheImpl`` before)
_IMPL = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)


def stamp(name: str) -> str:
    """A digest of the source files of ``dependencies(name)``: it changes when any of them does."""
    h = hashlib.sha256()
    for dep in dependencies(name):
        path = getattr(sys.modules.get(dep), "__file__", None)
        if path and os.path.isfile(path):
            h.update(dep.encode())
            h.update(_file_digest(path))
    return h.hexdigest()


#: Numba's base class of locators; where a Numba version lacks it (or the list above), ``install`` leaves
#: Numba's caching as it is: kernels are then keyed on their own file only, as without this module
_BASE = getattr(caching, "_CacheLocator", None)


class DependentLocator(_BASE or object):
    """Numba's locator for the kernel's file (where the cache lives, how it is named), with the
    source stamp extended by ``stamp`` of the kernel's module."""

    #: marks this class and the same class of another copy of this module (reloaded, or a second
    #: checkout imported in the same process), which ``from_function`` must not ask in turn: two such
    #: locators asking each other would recurse without end
    _planet_dependent = True

    def __init__(self, inner, module: str):
        self._inner = inner
        self._module = module

    def get_cache_path(self):
        return self._inner.get_cache_path()

    def get_source_stamp(self):
        return self._inner.get_source_stamp(), stamp(self._module)

    def get_disambiguator(self):
        return self._inner.get_disambiguator()

    @classmethod
    def from_function(cls, py_func, py_file):
        if not _ours(getattr(py_func, "__module__", None)):
            return None
        for other in _IMPL._locator_classes:
            if other is cls or getattr(other, "_planet_dependent", False):
                continue
            inner = other.from_function(py_func, py_file)
            if inner is not None:
                return cls(inner, py_func.__module__)
        return None


def install(prefixes=PREFIXES) -> None:
    """Serve the kernels of the modules named ``prefixes`` (and below) with ``DependentLocator``;
    before their modules are imported. Idempotent."""
    global _prefixes
    _prefixes = tuple(prefixes)
    _direct.clear()
    classes = getattr(_IMPL, "_locator_classes", None)
    if _BASE is not None and isinstance(classes, list) and DependentLocator not in classes:
        classes.insert(0, DependentLocator)
