"""Every state field, declared once: units, valid range, owning stage, dtype and meaning.

    from planet.core.fields import FIELDS
    FIELDS["temperature"].units        # "degC"
    FIELDS["vapour"].owner             # "atmosphere"
    owned_by("life")                   # ("moisture", "vegetation", "prey", "predators", "humans")

Everything else that needs facts about a field derives them from this table: the stages'
``writes`` (``owned_by``), the numerical guard's allowed ranges (``planet.core.guard``), the
NetCDF attributes (``planet.io.export``), the renderer's neutral value for a field a state lacks
(``planet.render.scene``) and the tests' range checks. A new process adds its fields here and
nowhere else.

Ranges are the spec's (sections 4–7) where the model clamps a field; pressure and temperature
need only be finite (their formulas' constants are configuration). Where a bound is a
configuration constant (``cap``, a ``section.key`` of ``planet.Config``), a configuration that
raises it widens the range, and one that lowers it does not narrow it.

Scratch products (arrays one stage hands to a later one within a step, never saved) are declared
in ``SCRATCH`` with their producer, and the time loop checks them like fields.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planet.core.grid import Grid


@dataclass(frozen=True)
class Field:
    """What one state field is. The state stores it as a ``(rows, columns)`` array of ``dtype``."""

    name: str
    owner: str                  # the stage that writes it
    units: str                  # UDUNITS/CF string; "1" for model units without a physical unit
    long_name: str
    meaning: str                # one line: what the number means, in the model's own terms
    lo: float = -math.inf       # valid range: lo <= x <= hi (x < hi if hi_open), or x == special
    hi: float = math.inf
    hi_open: bool = False
    special: float | None = None
    cap: str | None = None      # "section.key" of the configuration that may widen hi
    symmetric: bool = False     # the range is [-hi, hi] (a cap widens both ends)
    neutral: float = 0.0        # the value a view assumes where a state lacks the field
    standard_name: str | None = None   # CF standard name, where one exists
    dtype: str = "float32"
    added: bool = False         # added after state files were first written: a file without it reads as ``neutral``

    def range_text(self) -> str:
        if self.lo == -math.inf and self.hi == math.inf:
            return "finite"
        right = ")" if self.hi_open else "]"
        core = f"[{self.lo:g}, {self.hi:g}{right}"
        return core if self.special is None else f"{self.special:g} or {core}"


@dataclass(frozen=True)
class Scratch:
    """A per-step hand-off between stages (``Context.scratch[name]``), not saved."""

    name: str
    producer: str
    meaning: str
    dtype: str                  # "int64" / "float32"; shape is the grid's unless said in meaning


_F = Field
_POP = dict(lo=0.0, hi=5.0, cap="life.population_max")

#: every state field, in the order of the stages that own them
FIELDS: dict[str, Field] = {f.name: f for f in (
    _F("plate", "lithosphere", "1", "tectonic plate id",
       "-1 = no plate; otherwise the plate's id q in [0, 1)", 0.0, 1.0, hi_open=True, special=-1.0,
       neutral=-1.0),
    _F("uplift", "lithosphere", "1", "tectonic uplift",
       "in [0, 1]; raises the elevation where 2 y - 1 > 0", 0.0, 1.0),
    _F("elevation", "lithosphere", "1", "elevation",
       "model elevation units z (protoplanet 0-15); ocean where z < D(t) (attribute sea_level); "
       "height for climate h = 0.4 max(0, z - D)", 0.0),
    _F("drainage_area", "lithosphere", "km2", "flow accumulation",
       "upstream area A in km2: the area of the routed cells whose flow passes through the cell, itself "
       "included (0 on the sea)", 0.0),
    _F("basin", "lithosphere", "1", "basin colour",
       "hue in [0, 1) carried from the river mouth up the basin", 0.0, 1.0, hi_open=True),
    _F("crust", "lithosphere", "1", "crust thickness",
       "0 oceanic crust, 1 continental, above 1 thickened by collisions", 0.0),
    _F("frame_plate", "lithosphere", "1", "plate at epoch start",
       "the plate id each cell carried when the plates of this epoch formed (-1 none, or crust since "
       "subducted): the plates' rigid shapes, which rotate", 0.0, 1.0, hi_open=True, special=-1.0, neutral=-1.0),
    _F("frame_crust", "lithosphere", "1", "crust in the epoch-start frame",
       "crust thickness of the crust that sat in each cell when the plates formed, kept up to date as the "
       "crust moves", 0.0),
    _F("drift_east", "lithosphere", "1", "east offset of the cell's crust marker",
       "where the material point whose content the cell holds sits, east of the cell centre, in cell widths "
       "(inside the cell within 0.5)", -1.5, 1.5, added=True),
    _F("drift_north", "lithosphere", "1", "north offset of the cell's crust marker",
       "where the material point whose content the cell holds sits, north of the cell centre, in cell heights "
       "(inside the cell within 0.5)", -1.5, 1.5, added=True),
    _F("pressure", "climate", "hPa", "sea-level air pressure",
       "annual mean plus the seasonal amplitude, blurred on the climate map (any finite value: the formulas' "
       "constants are configuration)", neutral=1012.0, standard_name="air_pressure_at_mean_sea_level"),
    _F("temperature", "climate", "degC", "surface air temperature",
       "sea-level temperature from latitude, season and pressure, minus 4 degC per unit height (any finite "
       "value: the lapse rate is configuration)", standard_name="air_temperature"),
    _F("wind_u", "climate", "1", "eastward wind",
       "climate-map cells per simulation step (clamped to |v| <= wind_max)", -1.0001, 1.0001,
       cap="climate.wind_max", symmetric=True),
    _F("wind_v", "climate", "1", "northward wind",
       "climate-map cells per simulation step (clamped to |v| <= wind_max)", -1.0001, 1.0001,
       cap="climate.wind_max", symmetric=True),
    _F("vapour", "atmosphere", "1", "water vapour",
       "model units in [0, 3]; precipitation is 0.005 vapour per step", 0.0, 3.0, cap="atmosphere.vapour_max"),
    _F("co2", "atmosphere", "1", "CO2 anomaly",
       "model units in [0, 3]; displayed ppm = 377 + 3 co2", 0.0, 3.0, cap="atmosphere.co2_max"),
    _F("trails", "atmosphere", "1", "wind-particle trail intensity", "in [0, 1], for the flow view", 0.0, 1.0),
    _F("rain", "atmosphere", "1", "rain",
       "vapour removed per simulation step by precipitation, orographic lift and saturation (a diagnostic: "
       "what fell this step; the Koppen classes accumulate it)", 0.0),
    _F("moisture", "life", "1", "soil moisture", "model units in [0, 5]; ocean cells hold 5", 0.0, 5.0,
       cap="life.moisture_max"),
    _F("vegetation", "life", "1", "vegetation", "population density, model units in [0.01, 5] on land", **_POP),
    _F("prey", "life", "1", "prey", "population density, model units in [0.01, 5] on land", **_POP),
    _F("predators", "life", "1", "predators", "population density, model units in [0.01, 5] on land", **_POP),
    _F("humans", "life", "1", "human settlement", "in [0, 1]; 1 = settled", 0.0, 1.0),
)}

#: every per-step hand-off between stages
SCRATCH: dict[str, Scratch] = {s.name: s for s in (
    Scratch("source", "lithosphere", "flat index j * W + i of the cell whose content (plate, rock, and what "
            "rides on it) this cell holds after this step's plate motion; the identity where nothing moved",
            "int64"),
    Scratch("climate", "climate", "the climate-map fields (a dict of (Hc, Wc) float32 arrays: pressure, "
            "temperature, wind, land, height) and the map's geometry, for the atmosphere", "dict"),
)}


def owned_by(stage: str) -> tuple[str, ...]:
    """The fields a stage writes, in table order."""
    names = tuple(name for name, f in FIELDS.items() if f.owner == stage)
    if not names:
        raise KeyError(f"no field of FIELDS is owned by stage {stage!r}")
    return names


def upper_bound(field: Field, config=None) -> float:
    """``field.hi``, widened (never narrowed) by the configuration constant ``field.cap``."""
    if field.cap is None or config is None:
        return field.hi
    section, key = field.cap.split(".")
    value = getattr(getattr(config, section), key, None)
    return field.hi if value is None else max(field.hi, float(value))


def valid_range(field: Field, config=None) -> tuple[float, float]:
    """``(lo, hi)`` of a field under a configuration (see ``upper_bound``)."""
    hi = upper_bound(field, config)
    return (-hi if field.symmetric else field.lo), hi


def check_scratch(name: str, value, shape: tuple[int, int]) -> None:
    """A scratch product as declared in ``SCRATCH`` (name known, dtype and grid shape for arrays)."""
    decl = SCRATCH.get(name)
    if decl is None:
        raise KeyError(f"scratch product {name!r} is not declared in planet.core.fields.SCRATCH")
    if decl.dtype == "dict":
        if not isinstance(value, dict):
            raise TypeError(f"scratch product {name!r} must be a dict, got {type(value).__name__}")
        return
    if not isinstance(value, np.ndarray) or value.dtype != np.dtype(decl.dtype) or value.shape != shape:
        raise TypeError(f"scratch product {name!r} must be a {decl.dtype} array of shape {shape}, got "
                        f"{getattr(value, 'dtype', type(value).__name__)} {getattr(value, 'shape', '')}")


def fill_added(fields: dict, expected) -> None:
    """Give ``fields`` (a state file's arrays) every ``expected`` field it lacks that was added after
    state files were first written (``Field.added``), at its neutral value: a file written before
    the markers (``drift_east``, ``drift_north``) reads with them at their cell centres."""
    missing = [name for name in sorted(expected) if name not in fields and FIELDS[name].added]
    if missing and fields:
        shape = next(iter(fields.values())).shape
        for name in missing:
            fields[name] = np.full(shape, FIELDS[name].neutral, np.float32)


def drainage_area_from_cells(fields: dict) -> None:
    """Convert the ``drainage_area`` of a file written before it was an area (state format 2 and
    older, NetCDF exports whose variable has units "1"), an upstream *cell count*, to km² in place:
    count × the cell's own area. Exact for a cell whose upstream cells lie in its own row, and close
    elsewhere (the upstream cells of a river lie within a few degrees of latitude); the next
    lithosphere step recomputes the field exactly."""
    if "drainage_area" not in fields:
        return
    a = fields["drainage_area"]
    fields["drainage_area"] = (a * Grid(a.shape[0], a.shape[1]).area_km2).astype(np.float32)
