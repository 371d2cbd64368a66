"""Every constant of the model and its schedule, in one validated place.

`Config` groups the parameters by process. Each parameter carries its
allowed range and a one-line meaning in its field metadata; `Config` checks
them all when it is built, so a bad value is refused with the key's name
before any kernel runs. Defaults are the reference model's (``SPEC.md``).

Times are **film seconds** (60 steps per film second, 250 s = the whole
story); rates are per step unless said otherwise.

A configuration file is TOML with one table per section; any key left out
keeps its default::

    [schedule]
    tectonics_end = 140.0

    [life]
    dt = 0.05

``Config.from_toml(path)`` reads one, ``Config.to_toml()`` writes one (with
each key's meaning and range as a comment), and every saved state carries
its configuration (``State.meta()["config"]``).
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any

from planet.core.sections import (  # noqa: F401 (the sections and their machinery, re-exported)
    _TYPE_NAMES,
    SECTIONS,
    Atmosphere,
    Climate,
    ConfigError,
    Life,
    Lithosphere,
    Schedule,
    _range_text,
    _Section,
    param,
)


@dataclass(frozen=True)
class Config:
    """The whole model configuration: one validated section per process."""

    schedule: Schedule = field(default_factory=Schedule)
    lithosphere: Lithosphere = field(default_factory=Lithosphere)
    climate: Climate = field(default_factory=Climate)
    atmosphere: Atmosphere = field(default_factory=Atmosphere)
    life: Life = field(default_factory=Life)

    def __post_init__(self):
        for name, section in SECTIONS.items():
            if not isinstance(getattr(self, name), section):
                raise ConfigError(f"configuration section {name!r} must be a planet.core.config.{section.__name__}, "
                                  f"got {type(getattr(self, name)).__name__} (use Config.from_dict for plain tables)",
                                  name)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{section: {key: value}}`` with plain Python values (what TOML and JSON hold)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def to_toml(self, comments: bool = True) -> str:
        """The configuration as TOML text that ``from_toml`` reads back to an equal ``Config``.

        With ``comments``, each key is preceded by its meaning and allowed range,
        so ``planet config --default`` doubles as a documented template.
        """
        import tomli_w

        lines: list[str] = []
        for name, section in SECTIONS.items():
            if lines:
                lines.append("")
            if comments and section.__doc__:
                lines.append(f"# {section.__doc__.strip().splitlines()[0]}")
            lines.append(f"[{name}]")
            for f in fields(section):
                value = getattr(getattr(self, name), f.name)
                if comments:
                    doc = f.metadata.get("doc", "")
                    lo, hi = f.metadata.get("lo", -math.inf), f.metadata.get("hi", math.inf)
                    lines.append(f"# {doc} {_range_text(lo, hi)}".replace("  ", " "))
                lines.append(tomli_w.dumps({f.name: value}).rstrip("\n"))
        return "\n".join(lines) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        """Build from ``{section: {key: value}}``; missing sections and keys keep their defaults.

        Refuses unknown sections and keys (suggesting the closest known name),
        values of the wrong type and values out of range, naming the key.
        """
        if not isinstance(data, dict):
            raise ConfigError(f"configuration must be a table of sections, got {type(data).__name__}")
        for name in data:
            if name in SECTIONS:
                continue
            home = _section_of(name)
            if home is not None:
                raise ConfigError(f"configuration key {name!r} must be inside its section: "
                                  f"[{home}] {name} = ...", name)
            raise ConfigError(f"unknown configuration section {name!r}{_suggest(name, SECTIONS)}; "
                              f"known sections: {', '.join(SECTIONS)}", name)
        parts = {}
        for name, section in SECTIONS.items():
            values = data.get(name, {})
            if not isinstance(values, dict):
                raise ConfigError(f"configuration section {name!r} must be a table of keys ([{name}]), "
                                  f"got {values!r}", name)
            known = [f.name for f in fields(section)]
            for key in values:
                if key in known:
                    continue
                home = _section_of(key)
                if home is not None:
                    raise ConfigError(f"unknown configuration key {name}.{key}: {key} belongs to "
                                      f"section [{home}]", f"{name}.{key}")
                raise ConfigError(f"unknown configuration key {name}.{key}{_suggest(key, known, name)}; "
                                  f"keys of [{name}]: {', '.join(known)}", f"{name}.{key}")
            parts[name] = section(**values)
        return cls(**parts)

    @classmethod
    def from_json(cls, text: str) -> "Config":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_toml_text(cls, text: str, source: str = "configuration") -> "Config":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{source} is not valid TOML: {e}") from None
        return cls.from_dict(data)

    @classmethod
    def from_toml(cls, path) -> "Config":
        """Read a TOML configuration file (see the module docstring)."""
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise ConfigError(f"config file {path}: {e.strerror}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"config file {path} is not UTF-8 text") from None
        return cls.from_toml_text(text, source=f"config file {path}")

    def replace(self, **sections) -> "Config":
        """A copy with some sections' keys changed: ``cfg.replace(life={"dt": 0.05})``."""
        data = self.to_dict()
        for name, values in sections.items():
            if name not in SECTIONS:
                raise ConfigError(f"unknown configuration section {name!r}{_suggest(name, SECTIONS)}", name)
            if not isinstance(values, dict):
                raise ConfigError(f"replace({name}=...) takes a dict of keys, got {type(values).__name__}", name)
            data[name].update(values)
        return Config.from_dict(data)


def _section_of(key: str) -> str | None:
    """The section that has a key of this name, if exactly one does."""
    homes = [name for name, section in SECTIONS.items() if key in {f.name for f in fields(section)}]
    return homes[0] if len(homes) == 1 else None


def _suggest(word: str, choices, section: str = "") -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    if not close:
        return ""
    return f" (did you mean {section + '.' if section else ''}{close[0]}?)"
