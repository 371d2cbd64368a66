"""Pictures of a planet state: map views, the globe, posters (spec §8).

    >>> import planet, planet.render as pr
    >>> state = planet.Planet(256, 0).state
    >>> pr.view(state, "satellite", size=(1024, 512)).shape
    (512, 1024, 3)
    >>> pr.globe(state, lat=20, lon=0, size=(720, 720)).dtype
    dtype('uint8')

Every picture is a pure function of (state, time, options): RGB uint8
``(height, width, 3)``, any output size whatever the simulation resolution
(bilinear sampling in longitude/latitude, wrapping in longitude). Two
backends draw the same pictures: ``"cpu"`` (Numba) and ``"gpu"`` (moderngl,
headless EGL; Mesa's llvmpipe where there is no GPU); ``"auto"`` takes the GPU
when a context can be made.

Views: ``satellite`` (molten rock before land end, clouds from vapour),
``plates``, ``rivers``, ``temperature``, ``flow``, ``life``, ``night``,
``co2``. See ``render/cpu.py`` for each palette.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from planet.core.files import atomic_write

from .backend import BACKENDS, get_backend
from .scene import VIEWS, Camera, pack_fields, projection_params, sun_direction
from .koppen import koppen_view  # noqa: E402  (drawn in NumPy from a class map: see render/koppen.py)

__all__ = ["view", "globe", "to_image", "png_bytes", "posters", "VIEWS", "BACKENDS", "check_size"]

MAX_SIDE = 8192
#: the latest film time a picture may show (far past any story; beyond it float32 maths overflows)
MAX_TIME = 1e6


def check_size(size, name: str = "size") -> tuple[int, int]:
    """``(width, height)``: positive even integers up to 8192 (video encoders need even sides)."""
    try:
        if isinstance(size, (str, bytes)):            # "24" would unpack as (2, 4)
            raise TypeError
        w, h = (int(v) for v in size)
        ok = all(not isinstance(v, (str, bytes, bool)) and float(v) == int(v) for v in size)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be (width, height) in pixels, got {size!r}") from None
    if not ok or w <= 0 or h <= 0 or w % 2 or h % 2 or w > MAX_SIDE or h > MAX_SIDE:
        raise ValueError(f"{name} must be two even integers in [2, {MAX_SIDE}] (width, height), got {tuple(size)!r}")
    return w, h


def check_view(name: str, option: str = "view") -> int:
    if name not in VIEWS:
        raise ValueError(f"{option} must be one of {', '.join(VIEWS)}; got {name!r}")
    return VIEWS[name]


def _finite(value, name: str, unit: str) -> float:
    """``value`` as a finite float, or ``ValueError`` naming ``name`` (NaN and inf are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number of {unit}, got {value!r}")
    return float(value)


def _check_state(state, allow_nonfinite: bool) -> None:
    from planet.core.state import check_finite

    if not allow_nonfinite:
        check_finite(state, "the state", "; pass allow_nonfinite=True (CLI: --allow-nonfinite) to draw it anyway")


def _time(state, time):
    if time is None:
        return state.time
    if isinstance(time, bool) or not isinstance(time, (int, float, np.integer, np.floating)) \
            or not math.isfinite(time) or not 0 <= time <= MAX_TIME:
        raise ValueError(f"time must be film seconds in [0, {MAX_TIME:g}], got {time!r}")
    return float(time)


def _opacity(opacity) -> float:
    if isinstance(opacity, bool) or not isinstance(opacity, (int, float, np.integer, np.floating)) \
            or not 0.0 <= opacity <= 1.0:                  # NaN fails the comparison too
        raise ValueError(f"opacity must be a number in [0, 1], got {opacity!r}")
    return float(opacity)


def view(state, name: str = "satellite", size=(1024, 512), backend: str = "auto", time: float | None = None,
         *, overlay: str | None = None, opacity: float = 0.5, lon: float = 180.0,
         allow_nonfinite: bool = False) -> np.ndarray:
    """The equirectangular map of view ``name``: RGB uint8 ``(height, width, 3)``.

    ``time`` (film seconds) defaults to the state's; ``overlay`` blends a second
    view on top at ``opacity``; ``lon`` is the longitude at the centre (180: the
    state's column 0 at the left edge, as the arrays show). A state with a NaN or
    infinite value is refused (``ValueError`` naming the field and the first bad
    cell) unless ``allow_nonfinite`` (such cells then draw black or saturated).
    """
    v = check_view(name)
    ov = check_view(overlay, "overlay") if overlay is not None else 0
    size = check_size(size)
    lon = _finite(lon, "lon", "degrees")
    opacity = _opacity(opacity)
    t = _time(state, time)
    _check_state(state, allow_nonfinite)
    be = get_backend(backend)
    F, P = pack_fields(state, t)
    Q = projection_params(size, Camera(lat=0.0, lon=lon, unwrap=1.0))
    return be.frame(F, P, v, -1, ov, opacity if overlay else 0.0, Q, size)


def globe(state, view: str = "satellite", lat: float = 20.0, lon: float = 0.0, size=(720, 720),
          backend: str = "auto", atmosphere: bool = True, time: float | None = None, *,
          daynight: bool | None = None, radius: float = 0.9, overlay: str | None = None,
          opacity: float = 0.5, allow_nonfinite: bool = False) -> np.ndarray:
    """The planet as a sphere seen from above (``lat``, ``lon``) degrees: RGB uint8.

    Lit by the sun at ``P(23.5° · season, −360° · t / 15)``; the night side shows
    the ``night`` view across the terminator when ``daynight`` is true (default:
    from the schedule's day/night start on). Before that the sun stands behind
    the camera. ``atmosphere`` adds Rayleigh + Mie single scattering.
    ``allow_nonfinite``: as for ``view``.
    """
    v = check_view(view)
    ov = check_view(overlay, "overlay") if overlay is not None else 0
    size = check_size(size)
    opacity = _opacity(opacity)
    lat = _finite(lat, "lat", "degrees")
    if not (-90.0 <= lat <= 90.0):
        raise ValueError(f"lat must be in [-90, 90] degrees, got {lat!r}")
    lon = _finite(lon, "lon", "degrees")
    if not (0.0 < float(radius) <= 10.0):
        raise ValueError(f"radius must be in (0, 10] (fraction of half the smaller side), got {radius!r}")
    t = _time(state, time)
    _check_state(state, allow_nonfinite)
    be = get_backend(backend)
    F, P = pack_fields(state, t)
    sched = state.config.schedule
    if daynight is None:
        daynight = t >= sched.daynight_start
    cam = Camera(lat=float(lat), lon=float(lon), unwrap=0.0, radius=float(radius))
    if daynight:
        from planet.core.timeline import Timeline

        sun = sun_direction(t, Timeline(sched), state.config.climate.year)
        Q = projection_params(size, cam, night=1.0, sun=sun, atmosphere=atmosphere, lighting=1.0)
        second = VIEWS["night"]
    else:
        Q = projection_params(size, cam, atmosphere=atmosphere)
        second = -1
    return be.frame(F, P, v, second, ov, opacity if overlay else 0.0, Q, size)


def to_image(rgb: np.ndarray):
    """A Pillow image of an RGB uint8 array."""
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")


def png_bytes(state, view: str = "satellite", size=(1024, 512), backend: str = "auto") -> bytes:
    """PNG bytes of a map view (for ``Planet._repr_png_`` in notebooks)."""
    buf = io.BytesIO()
    to_image(globals()["view"](state, view, size=size, backend=backend)).save(buf, format="PNG")
    return buf.getvalue()


def posters(state, out_dir, size=(1024, 512), backend: str = "auto", globe_size=(720, 720)) -> list[Path]:
    """Write one PNG per view plus the globe into ``out_dir``; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save(rgb, name):
        written.append(atomic_write(out / name, lambda tmp: to_image(rgb).save(tmp, format="PNG")))

    for name in VIEWS:
        save(view(state, name, size=size, backend=backend), f"{name}.png")
    save(globe(state, size=globe_size, backend=backend), "globe.png")
    return written
