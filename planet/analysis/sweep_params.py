"""The parameter dimensions of a sweep: configuration keys, each swept over a list of values.

    sweep(range(8), "tectonics_end", 512, params={"uplift_diffusion": [0.05, 0.1, 0.2]})
    planet sweep --seeds 0:8 --param lithosphere.uplift_diffusion=0.05,0.1,0.2 --out sweep.nc

A key is a configuration key as in a TOML configuration file: ``section.key``
(``lithosphere.uplift_diffusion``) or the bare key when exactly one section has it
(``uplift_diffusion``). Each swept key is a dimension of the result named by its bare key,
with the values as its coordinate (in the order given) and ``config_key`` (the dotted name),
``long_name`` and ``valid_range`` as attributes. The worlds are the outer product
seed × values of the first key × values of the second …; each world's configuration is the
base configuration (``config``, default ``Config()``) with that combination of values.

Every combination's configuration is built, hence validated (type, range, the schedule's
order), before any world runs: a bad name or value is a one-line ``ValueError`` naming the key.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, fields
from typing import Iterable, Mapping

import numpy as np

from planet.core.config import SECTIONS, Config, ConfigError, _range_text, _section_of, _suggest

#: names a parameter dimension may not take (the sweep's own variables)
RESERVED = ("seed", "status", "error", "step")


@dataclass(frozen=True)
class Axis:
    """One swept key: ``name`` (bare key, the dimension), ``key`` (``section.key``), ``values``."""

    name: str
    key: str
    values: tuple

    @property
    def section(self) -> str:
        return self.key.split(".")[0]

    def _field(self):
        return next(f for f in fields(SECTIONS[self.section]) if f.name == self.name)

    def attrs(self) -> dict:
        f = self._field()
        lo, hi = f.metadata.get("lo", -math.inf), f.metadata.get("hi", math.inf)
        return {"config_key": self.key, "long_name": f.metadata.get("doc", self.name),
                "valid_range": _range_text(lo, hi)}

    def coordinate(self) -> np.ndarray:
        kind = type(self._field().default)
        return np.array(self.values, dtype=np.float64 if kind is float else np.int64)


def resolve_key(key, option: str = "params") -> str:
    """``section.key`` for a dotted or bare configuration key; unknown or ambiguous names refused."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"{option}: a parameter name must be a configuration key such as "
                         f"'lithosphere.uplift_diffusion', got {key!r}")
    if "." in key:
        section, _, name = key.partition(".")
        if section not in SECTIONS:
            raise ValueError(f"{option}: unknown configuration section {section!r} in {key!r}"
                             f"{_suggest(section, SECTIONS)}; known sections: {', '.join(SECTIONS)}")
        known = [f.name for f in fields(SECTIONS[section])]
        if name not in known:
            raise ValueError(f"{option}: unknown configuration key {key!r}{_suggest(name, known, section)}; "
                             f"see `planet config --default` for every key")
        return key
    section = _section_of(key)
    if section is None:
        homes = [s for s, cls in SECTIONS.items() if key in {f.name for f in fields(cls)}]
        if homes:
            raise ValueError(f"{option}: {key!r} is a key of several sections ({', '.join(homes)}); "
                             f"give section.key")
        everything = [f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in fields(cls)]
        close = _suggest(key, [k.split(".")[1] for k in everything])
        raise ValueError(f"{option}: unknown configuration key {key!r}{close}; "
                         f"see `planet config --default` for every key")
    return f"{section}.{key}"


def axes_of(params: Mapping[str, Iterable] | None, option: str = "params") -> list[Axis]:
    """The parameter dimensions of ``params`` (``{key: [values...]}``), names and values checked
    (not yet the values' ranges: see :func:`configs`)."""
    if params is None:
        return []
    if not isinstance(params, Mapping):
        raise ValueError(f"{option} must be a dict of configuration key -> list of values, "
                         f"e.g. {{'uplift_diffusion': [0.05, 0.1]}}, got {type(params).__name__}")
    axes: list[Axis] = []
    for key, values in params.items():
        dotted = resolve_key(key, option)
        name = dotted.split(".")[1]
        if name in RESERVED:
            raise ValueError(f"{option}: {key!r} cannot be a dimension (reserved: {', '.join(RESERVED)})")
        if any(a.key == dotted for a in axes):
            raise ValueError(f"{option}: {dotted} is given twice")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise ValueError(f"{option}[{key!r}] must be a list of values, e.g. [0.05, 0.1], got {values!r}")
        values = tuple(v.item() if isinstance(v, np.generic) else v for v in values)
        if not values:
            raise ValueError(f"{option}[{key!r}] must list at least one value")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"{option}[{key!r}]: {dotted} takes numbers, got {v!r}")
        if len(set(values)) != len(values):
            raise ValueError(f"{option}[{key!r}]: values must not repeat, got {list(values)}")
        axes.append(Axis(name, dotted, values))
    return axes


def configs(base: Config | None, axes: list[Axis], option: str = "params") -> dict[tuple, Config]:
    """Every combination's configuration, by its tuple of value indices (``()`` with no axes); each
    one is validated now, so a value out of range (or a schedule out of order) fails before any world."""
    base = base or Config()
    out: dict[tuple, Config] = {}
    for index in itertools.product(*(range(len(a.values)) for a in axes)):
        changes: dict[str, dict] = {}
        for a, i in zip(axes, index):
            changes.setdefault(a.section, {})[a.name] = a.values[i]
        try:
            out[index] = base.replace(**changes) if changes else base
        except ConfigError as e:
            raise ValueError(f"{option}: {e}") from None
    return out


def parse_param_option(text: str, option: str = "--param") -> tuple[str, list]:
    """``KEY=V1,V2,...`` (the CLI's ``--param``) as ``(key, [values])``; values are TOML numbers
    (``0.05``, ``60``, ``1e-3``), as in a configuration file."""
    import tomllib

    usage = f"{option} must be KEY=V1,V2,... (e.g. lithosphere.uplift_diffusion=0.05,0.1), got {text!r}"
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not key or not rest.strip():
        raise ValueError(usage)
    values = []
    for part in rest.split(","):
        try:
            value = tomllib.loads(f"v = {part.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            raise ValueError(f"{option} {key}: {part.strip()!r} is not a number") from None
        values.append(value)
    return key, values


def parse_param_options(texts: list[str] | None, option: str = "--param") -> dict[str, list]:
    """All ``--param`` options as the ``params`` dict of :func:`planet.analysis.sweep.sweep`."""
    params: dict[str, list] = {}
    for text in texts or ():
        key, values = parse_param_option(text, option)
        if resolve_key(key, option) in {resolve_key(k, option) for k in params}:
            raise ValueError(f"{option} {key} is given twice; list all its values in one option")
        params[key] = values
    axes_of(params, option)
    return params
