"""The sections of the model configuration: one frozen dataclass of parameters per process.

Each parameter is declared with ``param(default, lo, hi, doc)``: its allowed closed range and a
one-line meaning travel in the field's metadata, and every section checks its values when it is
built (``ConfigError`` names the key and the range). ``planet.core.config.Config`` groups them.
"""

import math
from dataclasses import dataclass, field, fields


class ConfigError(ValueError):
    """A configuration key is unknown, of the wrong type, or out of range.

    ``key`` is the dotted name of the offending key (``"life.dt"``), or the
    section name, or ``""`` when the problem is the whole configuration.
    """

    def __init__(self, message: str, key: str = ""):
        super().__init__(message)
        self.key = key


def param(default, lo=-math.inf, hi=math.inf, doc=""):
    """A model parameter with its allowed closed range ``[lo, hi]``."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "doc": doc})


def _range_text(lo, hi) -> str:
    def fmt(x):
        return f"{x:g}" if isinstance(x, float) else str(x)
    return f"[{fmt(lo)}, {fmt(hi)}]"


_TYPE_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


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
                got = f"{value!r} ({type(value).__name__})"
                raise ConfigError(f"{name} must be {_TYPE_NAMES.get(kind, kind.__name__)}, got {got}", name)
            if kind in (int, float):
                lo, hi = f.metadata.get("lo", -math.inf), f.metadata.get("hi", math.inf)
                if kind is float and not math.isfinite(value):
                    raise ConfigError(f"{name} must be a finite number in {_range_text(lo, hi)}, got {value!r}", name)
                if not (lo <= value <= hi):
                    raise ConfigError(f"{name} must be in {_range_text(lo, hi)}, got {value!r}", name)


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
                raise ConfigError(f"schedule.{a} must be before schedule.{b}, got {getattr(self, a)!r} "
                                  f">= {getattr(self, b)!r}", f"schedule.{a}")
        if self.warming_start > self.warming_end:
            raise ConfigError(f"schedule.warming_start must not be after schedule.warming_end, got "
                              f"{self.warming_start!r} > {self.warming_end!r}", "schedule.warming_start")


@dataclass(frozen=True)
class Lithosphere(_Section):
    """Plates, uplift and erosion (spec §4)."""

    uplift_diffusion: float = param(0.1, 0, 10, "uplift diffusivity within a plate, L0^2 per step "
                                              "(L0 = 2 pi R / 512, the equatorial cell width at 512 columns)")
    thermal_erosion: float = param(0.02, 0, 10, "thermal-erosion diffusivity on slopes above the talus slope, "
                                             "L0^2 per step")
    talus: float = param(1.0, 0, 100, "talus slope: elevation per L0 above which thermal erosion acts")
    shore: float = param(0.05, 0, 10, "cells with z >= D - shore are land/shore (routed, eroded)")
    pit_fill: float = param(0.001, 0, 1, "sediment added to pits per step (elevation)")
    stream_power: float = param(0.05, 0, 1, "stream-power coefficient K in K A^m S^n (A in L0^2, S per L0)")
    area_exponent: float = param(0.5, 0, 2, "exponent m of drainage area in A^m S^n")
    slope_exponent: float = param(1.0, 0, 4, "exponent n of slope in A^m S^n")
    sediment: float = param(2.5e-4, 0, 1, "sediment deposition rate (elevation per step)")
    replate_period: int = param(5000, 1, 10**9, "steps between re-platings")
    replate_steps: int = param(10, 0, 10**9, "steps at the start of each period without plates")
    step_interval: int = param(4, 1, 60, "film steps per lithosphere step: the lithosphere advances every this many "
                                         "steps, by that many steps' worth of every rate (geology is slow)")
    plate_interval: int = param(16, 1, 60, "steps between two moves of the plates (each move turns them that many "
                                          "steps' worth; a multiple of step_interval)")
    plates_min: int = param(6, 1, 16, "fewest plates an epoch seeds")
    plates_max: int = param(11, 1, 16, "most plates an epoch seeds")
    plate_speed_min: float = param(0.3, 0, 90, "slowest plate rotation about its Euler pole, degrees per film second")
    plate_speed_max: float = param(0.8, 0, 90, "fastest plate rotation about its Euler pole, degrees per film second")
    plate_warp: float = param(0.35, 0, 2, "noise warp of the plate seeding (irregular plate boundaries)")
    uplift_decay: float = param(0.01, 0, 1, "fraction of uplift lost per step (exponential decay)")
    collision_uplift: float = param(0.3, 0, 100, "uplift gained on the overriding side of a convergent boundary per "
                                             "cell width of crust consumed")
    uplift_rate: float = param(0.05, 0, 10, "elevation gained per step at uplift y = 1 (below the height cap)")
    continent_fraction: float = param(0.58, 0, 1, "share of the sphere's area with continental crust at ocean start")
    isostasy: float = param(4e-3, 0, 1, "rate per step at which elevation relaxes to the crust's buoyant level")
    flexure_radius: float = param(2.0, 0, 20, "flexural length (L0): standard deviation of the kernel over which "
                                  "isostasy averages the load; 0: every cell on its own (Airy)")
    ocean_floor_level: float = param(2.0, 0, 100, "buoyant elevation of oceanic crust")
    continent_level: float = param(10.5, 0, 100, "buoyant elevation of continental crust (thickness 1)")
    thickened_relief: float = param(4.0, 0, 100, "extra buoyant elevation per unit of crust thickness above 1")
    crust_spreading: float = param(0.2, 0, 10, "diffusivity of crust thickness above 1 (thickened crust spreads), "
                                            "L0^2 per step")
    crust_max: float = param(3.0, 1, 100, "largest crust thickness (collisions pile crust up to this)")
    ridge_level: float = param(1.0, 0, 100, "elevation of fresh ocean floor at a rift")

    def __post_init__(self):
        super().__post_init__()
        if self.plate_interval % self.step_interval:
            raise ConfigError(f"lithosphere.plate_interval must be a multiple of lithosphere.step_interval, got "
                              f"{self.plate_interval} and {self.step_interval}", "lithosphere.plate_interval")
        if self.plates_min > self.plates_max:
            raise ConfigError(f"lithosphere.plates_min must not exceed lithosphere.plates_max, got "
                              f"{self.plates_min} > {self.plates_max}", "lithosphere.plates_min")
        if self.plate_speed_min > self.plate_speed_max:
            raise ConfigError(f"lithosphere.plate_speed_min must not exceed lithosphere.plate_speed_max, got "
                              f"{self.plate_speed_min:g} > {self.plate_speed_max:g}", "lithosphere.plate_speed_min")


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
    wind_max: float = param(1.0, 0, 10, "largest wind speed used to advect anything, in the wind's unit "
                                         "(climate-map cells per step: it moves things v·W/512 "
                                         "full-resolution cells a step)")
    continentality: float = param(0.0, 0, 100, "°C of extra seasonal swing per unit of blurred land fraction "
                                           "and of sin(latitude): T -= k·land·season·sin φ (0 = the reference; "
                                           "planet.earth uses 12)")
    sea_temperature_max: float = param(100.0, -50, 100, "°C the air over the sea approaches smoothly from below "
                                                       "(the tropical ocean's thermostat; 100 = off, the reference)")
    monsoon: float = param(0.0, 0, 100, "hPa of seasonal continental pressure per unit of blurred land fraction "
                                        "and of sin(latitude): p += k·L·season·sin φ, a summer low and a winter "
                                        "high over large land (wind only; 0 = the reference)")
    sigma_monsoon_deg: float = param(10.0, 0, 90, "Gaussian blur of the land fraction the monsoon term reads, degrees")
    trough_shift: float = param(0.0, -30, 30, "degrees by which the annual-mean pressure belts follow the sun "
                                              "(north in July), wind only (0 = the reference)")
    tropical_trough: float = param(0.0, 0, 1, "share of the ocean's equatorial trough given to tropical land "
                                              "(|lat| < 20°, wind only; 0 = the reference)")


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
    sigma_divergence_deg: float = param(6.0, 0, 90, "Gaussian blur of the wind divergence the vapour sources read, degrees (0: none, the spec)")
    convergence_rain: float = param(1.0, 0, 1e3, "fraction of vapour rained out per step per unit of (smoothed) wind convergence (0: none, the spec)")
    sea_uptake: float = param(1.0, 0, 1, "share kept of a negative ocean source (the spec's evaporation turns "
                                         "into a sink where the air diverges); 0: the sea never absorbs vapour")
    convergence_per_step: float = param(0.0, 0, 1, "share of the rain-out that reads the convergence of the air's motion per "
                                                   "step, div·W/(512 f), instead of div per climate cell (0: as before)")
    heat_low_rain: float = param(1.0, 0, 1, "share of the land's thermal pressure (climate.monsoon and the land's own seasonal "
                                            "amplitude) whose convergence rains out (0: thermal lows are shallow and dry)")
    transpiration: float = param(0.5, 0, 1, "fraction of last step's rain on land given back to the air as vapour, times the "
                                            "plant growth G(m, T) (evapotranspiration; 0: none, the spec)")
    upslope: float = param(1.0, 0, 1, "share of the orographic sink that reads the upslope wind max(0, v·∇h), not |∇h| (0: the spec)")
    evaporation_per_step: float = param(0.0, 0, 1, "share of the evaporation's divergence term that reads div per step, div·W/(512 f)")
    subsidence: float = param(0.0, 0, 10, "background rain-out held back per unit of divergence: max(0.005 + k(conv − this·div), 0)")
    orographic_scale: float = param(0.0, 0, 100, "lift (h) over which air condenses 1 − 1/e of its vapour (0: the fixed sink orographic·lift)")
    lift_smoothing_deg: float = param(0.0, 0, 30, "blur (σ, degrees) of the land height whose slope lifts the air (0: none)")
    eddy_mixing_deg: float = param(0.0, 0, 10, "σ (degrees) of the eddies' mixing of the vapour each step, √(2KΔt) (0: none)")
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
    settle_probability: float = param(7e-7, 0, 1, "probability per step that a habitable cell is settled, at 512 "
                                                   "columns (scaled by (512/columns)^2: the same per unit area)")
    heat_limit: float = param(35.0, -100, 100, "°C above which settlements decline (wet-bulb limit)")
    heat_decline: float = param(0.01, 0, 1, "settlement lost per step above the heat limit")
    moisture_max: float = param(5.0, 0, 100, "upper bound of soil moisture (and its value over the ocean)")
    moisture_loss: float = param(1e-5, 0, 1, "soil moisture lost per step per unit moisture per °C (0-15 °C)")
    moisture_gain: float = param(3.0, 0, 100, "soil moisture gained per unit vapour (vapour counted up to moisture_vapour_cap)")
    moisture_vapour_cap: float = param(0.01, 0, 10, "vapour above this adds no more soil moisture")
    moisture_rain: float = param(1.0, 0, 1e3, "weight of this step's rain in the soil wetting, "
                                              "m += gain·clamp(w + k·rain, 0, cap) (0: the spec, which counts "
                                              "only the vapour left after it rained)")
    settle_moisture: float = param(4.9, 0, 100, "soil moisture above which a cell can be settled")
    settle_t_min: float = param(5.0, -100, 100, "°C above which a cell can be settled")
    settle_t_max: float = param(30.0, -100, 100, "°C below which a cell can be settled")

    def __post_init__(self):
        super().__post_init__()
        fastest = max(self.diffusion_vegetation, self.diffusion_prey, self.diffusion_predators)
        if self.dt * fastest > 0.25:
            raise ConfigError(f"life.dt × the largest life.diffusion_* must be at most 0.25 (the explicit "
                              f"5-point diffusion is unstable beyond), got {self.dt:g} × {fastest:g}", "life.dt")
        if self.population_min > self.population_max:
            raise ConfigError("life.population_min must not exceed life.population_max", "life.population_min")
        if self.settle_t_min > self.settle_t_max:
            raise ConfigError("life.settle_t_min must not exceed life.settle_t_max", "life.settle_t_min")


SECTIONS = {"schedule": Schedule, "lithosphere": Lithosphere, "climate": Climate,
            "atmosphere": Atmosphere, "life": Life}
