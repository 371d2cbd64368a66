"""What both backends draw: the packed fields, the view parameters and the camera.

A picture is made in two passes, identically on the CPU (``cpu.py``) and the
GPU (``gpu.py`` with ``shaders/``):

1. **Cell pass**: the view's linear RGB colour of every simulation cell, from
   the fields of that cell and the elevation of its four neighbours (hill
   shading). Output ``(H, W, 3)`` float32.
2. **Projection pass**: for every output pixel, the longitude/latitude it
   shows (the equirectangular map, the globe, or the morph between them),
   bilinear sampling of the cell colours (wrap in longitude, clamp in
   latitude), a second view blended in (left-to-right wipe, or the night view
   across the day/night terminator), sun lighting, single scattering in the
   atmosphere, fade, and gamma ``1/1.5``.

The fields go to both backends as 16 float32 ``(H, W)`` planes in the order of ``PACKED``
(``pack_fields``: the state's own arrays, not copies); a field the state does not have is filled with a neutral
value and its flag in the parameters is 0, so a view lights up when its
fields exist (the satellite view of a lithosphere-only state is bare rock and
sand under an estimated temperature; the flow view without trails is a faint
pressure tint).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from planet.core.fields import FIELDS as STATE_FIELDS
from planet.core.state import State
from planet.core.timeline import Timeline, smoothstep

#: view name → id used by the kernels and shaders
VIEWS = {"satellite": 0, "plates": 1, "rivers": 2, "temperature": 3, "flow": 4, "life": 5,
         "night": 6, "co2": 7}

#: the planes' order (the GPU packs them four to a texture in this order): state fields of
#: ``planet.core.fields.FIELDS`` and the renderer's own "sparkle", a seeded uniform per cell (the
#: night view no longer reads it: its lights are points placed on the sphere by
#: ``lights._lights``; the plane keeps its place so that the packing order is unchanged). The
#: drainage area goes in as the area of the grid's equatorial cells (``Grid.equator_cell_km2``): at
#: the equator a cell count, as the views were tuned, and near a pole the true area, so the narrow
#: polar cells no longer add up to a river drawn along a row of the map
PACKED = ("elevation", "plate", "uplift", "drainage_area",
          "basin", "pressure", "temperature", "vapour",
          "co2", "trails", "moisture", "vegetation",
          "prey", "predators", "humans", "sparkle")


#: names of the entries of the cell-pass parameter vector ``P``
CELL_PARAMS = ("time", "sea_level", "heat", "rock", "clouds", "relief", "has_temperature",
               "has_moisture", "has_vapour", "has_pressure", "has_trails", "has_life", "has_humans",
               "has_co2", "lights_seed", "unused15")

#: names of the entries of the projection parameter vector ``Q``
PROJ_PARAMS = ("k", "scale_x", "scale_y", "cam_lat", "cam_lon", "wipe", "wipe_soft", "night",
               "sun_x", "sun_y", "sun_z", "atmosphere", "fade", "gamma", "sun_cam_x", "sun_cam_y",
               "sun_cam_z", "lighting", "unused18", "unused19")

# -- indices into VIEWS, PACKED, CELL_PARAMS and PROJ_PARAMS -------------------
# The kernels (render/cpu.py, projection.py, atmosphere.py, backend.py) index the planes ``F`` and
# the vectors ``P`` and ``Q`` only by these names; each is looked up in the tuple above, which is
# also the order ``pack_fields`` and ``projection_params`` fill, so the two cannot disagree. Numba
# reads module-level ints as compile-time constants: ``F[F_ELEVATION][j, i]`` costs nothing.
# ``shaders/*.frag`` unpack the same order; each unpacking there names its constant in a comment.

VIEW_SATELLITE = VIEWS["satellite"]
VIEW_PLATES = VIEWS["plates"]
VIEW_RIVERS = VIEWS["rivers"]
VIEW_TEMPERATURE = VIEWS["temperature"]
VIEW_FLOW = VIEWS["flow"]
VIEW_LIFE = VIEWS["life"]
VIEW_NIGHT = VIEWS["night"]
VIEW_CO2 = VIEWS["co2"]

F_ELEVATION = PACKED.index("elevation")
F_PLATE = PACKED.index("plate")
F_UPLIFT = PACKED.index("uplift")
F_DRAINAGE_AREA = PACKED.index("drainage_area")
F_BASIN = PACKED.index("basin")
F_PRESSURE = PACKED.index("pressure")
F_TEMPERATURE = PACKED.index("temperature")
F_VAPOUR = PACKED.index("vapour")
F_CO2 = PACKED.index("co2")
F_TRAILS = PACKED.index("trails")
F_MOISTURE = PACKED.index("moisture")
F_VEGETATION = PACKED.index("vegetation")
F_PREY = PACKED.index("prey")
F_PREDATORS = PACKED.index("predators")
F_HUMANS = PACKED.index("humans")
F_SPARKLE = PACKED.index("sparkle")

P_TIME = CELL_PARAMS.index("time")
P_SEA_LEVEL = CELL_PARAMS.index("sea_level")
P_HEAT = CELL_PARAMS.index("heat")
P_ROCK = CELL_PARAMS.index("rock")
P_CLOUDS = CELL_PARAMS.index("clouds")
P_RELIEF = CELL_PARAMS.index("relief")
P_HAS_TEMPERATURE = CELL_PARAMS.index("has_temperature")
P_HAS_MOISTURE = CELL_PARAMS.index("has_moisture")
P_HAS_VAPOUR = CELL_PARAMS.index("has_vapour")
P_HAS_PRESSURE = CELL_PARAMS.index("has_pressure")
P_HAS_TRAILS = CELL_PARAMS.index("has_trails")
P_HAS_LIFE = CELL_PARAMS.index("has_life")
P_HAS_HUMANS = CELL_PARAMS.index("has_humans")
P_HAS_CO2 = CELL_PARAMS.index("has_co2")
P_LIGHTS_SEED = CELL_PARAMS.index("lights_seed")

Q_K = PROJ_PARAMS.index("k")
Q_SCALE_X = PROJ_PARAMS.index("scale_x")
Q_SCALE_Y = PROJ_PARAMS.index("scale_y")
Q_CAM_LAT = PROJ_PARAMS.index("cam_lat")
Q_CAM_LON = PROJ_PARAMS.index("cam_lon")
Q_WIPE = PROJ_PARAMS.index("wipe")
Q_WIPE_SOFT = PROJ_PARAMS.index("wipe_soft")
Q_NIGHT = PROJ_PARAMS.index("night")
Q_SUN_X = PROJ_PARAMS.index("sun_x")
Q_SUN_Y = PROJ_PARAMS.index("sun_y")
Q_SUN_Z = PROJ_PARAMS.index("sun_z")
Q_ATMOSPHERE = PROJ_PARAMS.index("atmosphere")
Q_FADE = PROJ_PARAMS.index("fade")
Q_GAMMA = PROJ_PARAMS.index("gamma")
Q_SUN_CAM_X = PROJ_PARAMS.index("sun_cam_x")
Q_SUN_CAM_Y = PROJ_PARAMS.index("sun_cam_y")
Q_SUN_CAM_Z = PROJ_PARAMS.index("sun_cam_z")
Q_LIGHTING = PROJ_PARAMS.index("lighting")

#: slices of ``Q`` written and read as a whole: the camera (k, scales, latitude, longitude), the
#: unit vector to the sun in world coordinates and in the camera's (right, up, toward) frame
Q_CAMERA = slice(Q_K, Q_CAM_LON + 1)
Q_SUN = slice(Q_SUN_X, Q_SUN_Z + 1)
Q_SUN_CAM = slice(Q_SUN_CAM_X, Q_SUN_CAM_Z + 1)
#: the part of ``Q`` the pixel geometry (``projection.geometry``) depends on
Q_GEOMETRY = slice(Q_K, Q_CAM_LAT + 1)
assert PROJ_PARAMS[Q_CAMERA] == ("k", "scale_x", "scale_y", "cam_lat", "cam_lon")
assert PROJ_PARAMS[Q_SUN] == ("sun_x", "sun_y", "sun_z")
assert PROJ_PARAMS[Q_SUN_CAM] == ("sun_cam_x", "sun_cam_y", "sun_cam_z")

#: a fingerprint of the orders above. Numba checks a cached kernel against its own source file
#: only (numba/numba#8396), not against this one whose indices it compiled in: the kernel modules
#: (render/cpu.py, render/projection.py) keep a copy and refuse to import when it differs, so a
#: new order is a change of their files too, which recompiles them
LAYOUT = hashlib.sha1(repr((VIEWS, PACKED, CELL_PARAMS, PROJ_PARAMS)).encode()).hexdigest()[:12]


def check_layout(layout: str, module: str) -> None:
    """Refuse the import of kernel module ``module`` compiled for another ``LAYOUT``."""
    if layout != LAYOUT:
        raise ImportError(f"{module} was written for the packing order {layout!r} of render/scene.py, which is "
                          f"now {LAYOUT!r}: set its LAYOUT to {LAYOUT!r} (that recompiles its cached Numba kernels)")

GAMMA = 1.0 / 1.5
BACKGROUND = (0.004, 0.005, 0.012)


def _estimated_temperature(state: State, sea_level: float) -> np.ndarray:
    """The climate's surface temperature at annual mean (season 0, p = 1012 hPa), lapse rate
    included: the satellite palette's stand-in when the climate stage has not run."""
    from planet.processes.climate import formulas

    cc = state.config.climate
    z = state["elevation"]
    land = (z > sea_level).astype(np.float32)
    lat = np.broadcast_to(state.grid.lat.astype(np.float32)[:, None], z.shape)
    t0 = formulas(lat, land, 1012.0, 0.0, land_warmth=cc.land_warmth)[2].reshape(z.shape)
    h = np.float32(0.4) * np.maximum(z - np.float32(sea_level), 0)
    return (t0 - np.float32(cc.lapse_rate) * h).astype(np.float32)


_SPARKLE: dict = {}


def _sparkle(seed: int, rows: int, columns: int) -> np.ndarray:
    key = (seed, rows, columns)
    if key not in _SPARKLE:
        from planet.core.noise import STREAM_LIGHTS
        from planet.processes.lithosphere.protoplanet import random_field

        _SPARKLE.clear()
        _SPARKLE[key] = random_field(seed, STREAM_LIGHTS, 0, rows, columns)
    return _SPARKLE[key]


def _plane(a) -> np.ndarray:
    """``a`` as a drawing plane: the array itself where it is already C-ordered, writeable float32 (a
    state's fields are), else a copy of it in that form (so that every plane has the one Numba type the
    kernels are compiled for)."""
    if isinstance(a, np.ndarray) and a.dtype == np.float32 and a.ndim == 2 and a.flags.c_contiguous \
            and a.flags.writeable:
        return a
    return np.array(a, dtype=np.float32, order="C")


def as_planes(F) -> tuple:
    """The drawing planes ``F`` (``pack_fields``) as the kernels take them: a tuple of ``len(PACKED)``
    C-ordered float32 ``(H, W)`` arrays. A ``(16, H, W)`` stack (the packing of earlier versions) gives
    its planes as views, without a copy."""
    F = tuple(_plane(a) for a in F)
    if len(F) != len(PACKED) or any(a.shape != F[0].shape for a in F):
        raise ValueError(f"the drawing planes must be {len(PACKED)} arrays of one shape (H, W)")
    return F


def pack_fields(state: State, time: float, river_links: bool = True) -> tuple[tuple, np.ndarray]:
    """The fields a frame is drawn from, ``F``: a tuple of ``len(PACKED)`` (16) float32 ``(H, W)`` planes in
    the order of ``PACKED``, and the cell-pass parameters ``P`` (float32[16]).

    The planes of the state's fields are **the state's own arrays, not copies** (a state's arrays are never
    written after the step that made them: ``tests/test_state_immutable.py``), so a film's simulation can run
    ahead while the frame is drawn from them; read them, never write them. The drainage plane is made
    here (km² → equatorial cells), and so are the estimated temperature where the state has none and the
    neutral plane of a field it lacks.

    ``river_links``: the drainage plane draws the router's steps over several columns as lines
    (``rivers.river_links``: whole rivers near the poles, not rows of dots); about 1 ms at 512
    columns, so a film leaves it out of the frames that show no river."""
    if "elevation" not in state:
        raise ValueError("state has no 'elevation' field; every view needs the lithosphere")
    tl = Timeline(state.config.schedule)
    s = state.config.schedule
    sea = tl.sea_level(time) if time >= s.ocean_start else 0.0
    H, W = state.shape
    planes = []
    for name in PACKED:
        if name == "sparkle":
            plane = _sparkle(state.seed, H, W)
        elif name == "drainage_area" and name in state:
            # km² → equatorial cells
            plane = np.multiply(state[name], np.float32(1.0 / state.grid.equator_cell_km2), dtype=np.float32)
            if river_links:
                from .rivers import river_links as links    # (here: the router's modules cost 30 ms to import)

                level = float(np.float32(sea) - np.float32(state.config.lithosphere.shore))
                plane = links(plane, state["elevation"], level)
        elif name in state:
            plane = state[name]
        elif name == "temperature":
            plane = _estimated_temperature(state, sea)
        else:
            plane = np.full((H, W), STATE_FIELDS[name].neutral, np.float32)      # a field the state lacks
        planes.append(plane)
    F = as_planes(planes)
    has = lambda *names: 1.0 if all(n in state for n in names) else 0.0  # noqa: E731
    P = np.zeros(len(CELL_PARAMS), dtype=np.float32)
    P[P_TIME] = time
    P[P_SEA_LEVEL] = sea
    P[P_HEAT] = min(max(2.0 / (time + 1.0) ** 2, 0.0), 1.0)         # heat of the molten rock
    P[P_ROCK] = 1.0 - smoothstep(s.land_start, s.land_end, time)    # bare rock before land end
    P[P_CLOUDS] = 1.0 if time >= s.ocean_start else 0.0             # clouds from vapour
    P[P_RELIEF] = 0.5 * W / 512.0                                   # relief: slope per cell → per degree
    P[P_HAS_TEMPERATURE] = has("temperature")
    P[P_HAS_MOISTURE] = has("moisture")
    P[P_HAS_VAPOUR] = has("vapour")
    P[P_HAS_PRESSURE] = has("pressure")
    P[P_HAS_TRAILS] = has("trails")
    P[P_HAS_LIFE] = has("vegetation", "prey", "predators")
    P[P_HAS_HUMANS] = has("humans")
    P[P_HAS_CO2] = has("co2")
    P[P_LIGHTS_SEED] = lights_seed(state.seed)
    return F, P


def lights_seed(seed: int) -> float:
    """The night lights' seed: an integer in [0, 4096) from the world's seed (the top 12 bits of
    ``seed · 0x9E3779B1 mod 2³²``), exact in float32, the third coordinate of the hash that places
    the lights (``lights._lights``)."""
    return float(((int(seed) * 0x9E3779B1) % 2**32) >> 20)


# -- cameras -----------------------------------------------------------------

@dataclass(frozen=True)
class Camera:
    """How output pixels map to the sphere.

    ``unwrap`` = 1 is the equirectangular map (longitude ``lon`` at the centre
    column, north up, filling the frame); ``unwrap`` = 0 the orthographic globe
    of radius ``radius`` × half the smaller side, seen from above (``lat``,
    ``lon``). In between, the morph ``x = sin(k λ)/k · cos(k φ)``,
    ``y = sin(k φ)/k`` with ``k = 1 − unwrap`` (λ, φ the longitude and latitude
    in the camera's frame): the globe at ``k = 1``, the whole world in view
    from ``k = ½``, the map as ``k → 0``.
    """

    lat: float = 0.0
    lon: float = 180.0
    unwrap: float = 1.0
    radius: float = 0.9

    def params(self, size: tuple[int, int]) -> tuple[float, float, float, float, float]:
        """(k, scale_x, scale_y, cam_lat, cam_lon) in pixels and radians."""
        w, h = size
        u = min(max(self.unwrap, 0.0), 1.0)
        k = 0.0 if u >= 1.0 else max(1.0 - u, 1e-3)
        globe = self.radius * 0.5 * min(w, h)
        sx = (1.0 - u) * globe + u * w / (2.0 * math.pi)
        sy = (1.0 - u) * globe + u * h / math.pi
        if k > 0.0:
            # never larger than the frame: half extents of the morphed world are
            # sin(k π/2)/k tall and (1/k, or sin(k π)/k once the whole world is in view) wide
            sy = min(sy, 0.5 * h * k / math.sin(k * math.pi / 2))
            sx = min(sx, 0.5 * w * k / (1.0 if k >= 0.5 else math.sin(k * math.pi)))
        lat = math.radians(self.lat) * (1.0 - u)
        return k, sx, sy, lat, math.radians(self.lon % 360.0)


def sun_direction(time: float, timeline: Timeline, year: float) -> np.ndarray:
    """Unit vector to the sun: ``P(23.5° · season, −360° · t / 15)`` (a day every 15 film seconds)."""
    dec = math.radians(23.5 * timeline.season(time, year))
    lon = math.radians(-360.0 * time / 15.0)
    return np.array([math.sin(lon) * math.cos(dec), math.sin(dec), math.cos(lon) * math.cos(dec)])


def camera_basis(lat: float, lon: float) -> np.ndarray:
    """Rows: the camera's right, up and toward-viewer axes in world coordinates (radians in)."""
    cl, sl, co, so = math.cos(lat), math.sin(lat), math.cos(lon), math.sin(lon)
    right = np.array([co, 0.0, -so])
    up = np.array([-sl * so, cl, -sl * co])
    toward = np.array([cl * so, sl, cl * co])
    return np.stack([right, up, toward])


def projection_params(size, camera: Camera, *, wipe: float = -1.0, night: float = 0.0,
                      sun=None, atmosphere: bool = False, fade: float = 1.0,
                      lighting: float = 0.0) -> np.ndarray:
    """The projection parameter vector ``Q`` (float32[20]).

    ``wipe`` in [0, 1]: the second colour field covers the pixels left of that
    fraction of the width (−1: none). ``night`` in [0, 1]: how much the second
    field shows on the night side of the terminator. ``lighting`` in [0, 1]:
    how much the sun's Lambert shading darkens the day side.
    """
    k, sx, sy, clat, clon = camera.params(size)
    Q = np.zeros(len(PROJ_PARAMS), dtype=np.float32)
    Q[Q_CAMERA] = (k, sx, sy, clat, clon)
    Q[Q_WIPE] = wipe
    Q[Q_WIPE_SOFT] = 0.03
    Q[Q_NIGHT] = night
    if sun is None:
        sun = camera_basis(clat, clon)[2]   # from behind the camera
    sun = np.asarray(sun, dtype=np.float64)
    sun = sun / np.linalg.norm(sun)
    Q[Q_SUN] = sun
    Q[Q_ATMOSPHERE] = 1.0 if (atmosphere and k > 0.0) else 0.0
    Q[Q_FADE] = fade
    Q[Q_GAMMA] = GAMMA
    Q[Q_SUN_CAM] = camera_basis(clat, clon) @ sun
    Q[Q_LIGHTING] = lighting
    return Q
