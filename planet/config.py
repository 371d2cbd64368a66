"""Every constant of the model and its schedule, in one validated place.

`Config` groups the parameters by process. Each parameter carries its
allowed range and a one-line meaning in its field metadata; `Config` checks
them all when it is built, so a bad value is refused with the key's name
before any kernel runs. Defaults are the reference model's (``SPEC.md``).

Times are **film seconds** (60 steps per film second, 250 s = the whole
story); rates are per step unless said otherwise.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any


class ConfigError(ValueError):
    """A configuration key is unknown, of the wrong type, or out of range."""


def param(default, lo=-math.inf, hi=math.inf, doc=""):
    """A model parameter with its allowed closed range ``[lo, hi]``."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "doc": doc})


class _Section:
    """Shared validation for the parameter groups below."""

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            kind = type(f.default)
            name = f"{type(self).__name__.lower()}.{f.name}"
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
                object.__setattr__(self, f.name, value)
            if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
                raise ConfigError(f"{name} must be a {kind.__name__}, got {value!r}")
            if kind in (int, float):
                lo, hi = f.metadata.get("lo", -math.inf), f.metadata.get("hi", math.inf)
                if not (lo <= value <= hi) or (kind is float and not math.isfinite(value)):
                    raise ConfigError(f"{name} must be in [{lo}, {hi}], got {value!r}")


@dataclass(frozen=True)
class Schedule(_Section):
    """The film's schedule, in film seconds (spec §1)."""

    fps: int = param(60, 1, 10_000, "simulation steps per film second")
    ocean_start: float = param(15.0, 0, 1e6, "oceans begin to condense; the first evolving step")
    land_start: float = param(20.0, 0, 1e6, "land appears")
    ocean_end: float = param(25.0, 0, 1e6, "oceans are full")
    land_end: float = param(30.0, 0, 1e6, "molten rock has cooled")
    slowing_start: float = param(113.0, 0, 1e6, "the film slows for the human era")
    daynight_start: float = param(120.0, 0, 1e6, "the globe shows day and night")
    human_start: float = param(125.0, 0, 1e6, "humans appear")
    tectonics_end: float = param(126.0, 0, 1e6, "plates stop; 'present day'")
    co2_start: float = param(180.0, 0, 1e6, "CO2 emissions begin")
    warming_start: float = param(200.0, 0, 1e6, "global warming begins")
    warming_end: float = param(220.0, 0, 1e6, "global warming ends")
    overlay_end: float = param(230.0, 0, 1e6, "the CO2 overlay fades")
    story_end: float = param(250.0, 0, 1e6, "the end of the film")

    def __post_init__(self):
        super().__post_init__()
        order = ["ocean_start", "ocean_end", "tectonics_end", "story_end"]
        for a, b in zip(order, order[1:]):
            if getattr(self, a) >= getattr(self, b):
                raise ConfigError(f"schedule.{a} must be before schedule.{b}")
        if self.warming_start > self.warming_end:
            raise ConfigError("schedule.warming_start must not be after schedule.warming_end")


@dataclass(frozen=True)
class Lithosphere(_Section):
    """Plates, uplift and erosion (spec §4)."""

    uplift_diffusion: float = param(0.1, 0, 0.25, "uplift diffusion rate within a plate (per neighbour)")
    thermal_erosion: float = param(0.02, 0, 0.25, "thermal erosion rate (per neighbour)")
    talus: float = param(1.0, 0, 100, "height difference above which thermal erosion acts")
    shore: float = param(0.05, 0, 10, "cells with z >= D - shore are land/shore (routed, eroded)")
    pit_fill: float = param(0.001, 0, 1, "sediment added to pits per step")
    stream_power: float = param(0.05, 0, 1, "stream-power erosion rate")
    area_exponent: float = param(0.8, 0, 2, "exponent m of drainage area in A^m S^n")
    slope_exponent: float = param(2.0, 0, 4, "exponent n of slope in A^m S^n")
    sediment: float = param(2.5e-4, 0, 1, "sediment deposition rate")
    replate_period: int = param(5000, 1, 10**9, "steps between re-platings")
    replate_steps: int = param(10, 0, 10**9, "steps at the start of each period without plates")
    seed_probability: float = param(2.4e-7, 0, 1, "probability per cell-step that a plateless cell seeds a plate, at 512 columns")
    move_probability: float = param(0.05, 0, 1, "probability per step that a plate moves one cell")
    uplift_decay: float = param(1e-4, 0, 1, "uplift lost per step")


@dataclass(frozen=True)
class Climate(_Section):
    """Pressure, temperature and wind on the coarse climate map (spec §5)."""

    sigma_mean_deg: float = param(8.4375, 0, 90, "Gaussian blur of annual-mean pressure, degrees (6 cells at 256 columns)")
    sigma_amplitude_deg: float = param(5.625, 0, 90, "Gaussian blur of the seasonal amplitude, degrees (4 cells at 256 columns)")
    sigma_height_deg: float = param(1.40625, 0, 90, "Gaussian blur of height, degrees (1 cell at 256 columns)")
    year: float = param(24.0, 1e-3, 1e6, "film seconds per year")
    lapse_rate: float = param(4.0, 0, 100, "°C lost per unit of height h")
    warm_lapse_rate: float = param(3.0, 0, 100, "lapse rate at the end of warming")
    coriolis: float = param(15.0, -1e3, 1e3, "Coriolis factor (times sin(lat))")
    land_warmth: float = param(1.5, -50, 50, "°C added to the sea-level temperature over land")
    warm_land_warmth: float = param(4.0, -50, 50, "°C added over land at the end of warming")
    wind_max: float = param(1.0, 0, 10, "largest wind speed (climate cells per step) used to advect anything")


@dataclass(frozen=True)
class Atmosphere(_Section):
    """Water vapour, CO2 and wind particles (spec §6)."""

    precipitation: float = param(0.005, 0, 1, "fraction of vapour that rains out per step")
    orographic: float = param(0.3, 0, 10, "vapour removed per unit height gradient")
    vapour_max: float = param(3.0, 0, 100, "upper bound of water vapour")
    co2_emission: float = param(0.015, 0, 1, "CO2 anomaly added per step where humans live")
    co2_uptake: float = param(0.01, 0, 1, "CO2 anomaly removed per step per unit plant growth")
    co2_max: float = param(3.0, 0, 100, "upper bound of the CO2 anomaly")
    particle_birth: float = param(1e-4, 0, 1, "wind particles created per cell-step")
    particle_death: float = param(8e-3, 0, 1, "probability per step that a particle dies")
    early_ocean_source: float = param(0.08, 0, 10, "vapour added per step by the early oceans (times noise, before ocean end)")
    evaporation: float = param(0.075, 0, 10, "base evaporation over warm ocean (times noise and temperature factor)")
    evaporation_divergence: float = param(3.0, 0, 1e3, "evaporation lost per unit wind divergence")
    evaporation_pressure: float = param(0.0045, 0, 1, "evaporation lost per hPa above 1012")
    noise_interval: float = param(0.5, 1e-3, 100, "film seconds between the vapour-noise slices (linear in between)")
    trail_fade: float = param(0.96, 0, 1, "factor by which a wind-particle trail fades per step")


@dataclass(frozen=True)
class Life(_Section):
    """Soil moisture, vegetation, prey, predators and humans (spec §7)."""

    dt: float = param(0.1, 0, 1, "Lotka-Volterra time step")
    diffusion_vegetation: float = param(0.25, 0, 2.5, "vegetation diffusion")
    diffusion_prey: float = param(0.5, 0, 2.5, "prey diffusion")
    diffusion_predators: float = param(1.0, 0, 2.5, "predator diffusion")
    population_min: float = param(0.01, 0, 5, "lower bound of each population on land")
    population_max: float = param(5.0, 0, 100, "upper bound of each population")
    settle_probability: float = param(7e-7, 0, 1, "probability per step that a habitable cell is settled")
    heat_limit: float = param(35.0, -100, 100, "°C above which settlements decline (wet-bulb limit)")
    heat_decline: float = param(0.01, 0, 1, "settlement lost per step above the heat limit")
    moisture_max: float = param(5.0, 0, 100, "upper bound of soil moisture (and its value over the ocean)")
    moisture_loss: float = param(1e-5, 0, 1, "soil moisture lost per step per unit moisture per °C (0-15 °C)")
    moisture_gain: float = param(3.0, 0, 100, "soil moisture gained per unit vapour (vapour counted up to moisture_vapour_cap)")
    moisture_vapour_cap: float = param(0.01, 0, 10, "vapour above this adds no more soil moisture")
    settle_moisture: float = param(4.9, 0, 100, "soil moisture above which a cell can be settled")
    settle_t_min: float = param(5.0, -100, 100, "°C above which a cell can be settled")
    settle_t_max: float = param(30.0, -100, 100, "°C below which a cell can be settled")


SECTIONS = {"schedule": Schedule, "lithosphere": Lithosphere, "climate": Climate,
            "atmosphere": Atmosphere, "life": Life}


@dataclass(frozen=True)
class Config:
    """The whole model configuration: one validated section per process."""

    schedule: Schedule = field(default_factory=Schedule)
    lithosphere: Lithosphere = field(default_factory=Lithosphere)
    climate: Climate = field(default_factory=Climate)
    atmosphere: Atmosphere = field(default_factory=Atmosphere)
    life: Life = field(default_factory=Life)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        if not isinstance(data, dict):
            raise ConfigError(f"configuration must be a table of sections, got {type(data).__name__}")
        unknown = sorted(set(data) - set(SECTIONS))
        if unknown:
            raise ConfigError(f"unknown configuration section {unknown[0]!r}; known: {', '.join(SECTIONS)}")
        parts = {}
        for name, section in SECTIONS.items():
            values = data.get(name, {})
            if not isinstance(values, dict):
                raise ConfigError(f"configuration section {name!r} must be a table")
            known = {f.name for f in fields(section)}
            bad = sorted(set(values) - known)
            if bad:
                raise ConfigError(f"unknown configuration key {name}.{bad[0]}")
            parts[name] = section(**values)
        return cls(**parts)

    @classmethod
    def from_json(cls, text: str) -> "Config":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_toml(cls, path) -> "Config":
        import tomllib

        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except OSError as e:
            raise ConfigError(f"config file {path}: {e.strerror}") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {path} is not valid TOML: {e}") from None
        return cls.from_dict(data)

    def replace(self, **sections) -> "Config":
        """A copy with some sections' keys changed: ``cfg.replace(life={"dt": 0.05})``."""
        data = self.to_dict()
        for name, values in sections.items():
            if name not in SECTIONS:
                raise ConfigError(f"unknown configuration section {name!r}")
            data[name].update(values)
        return Config.from_dict(data)
