"""Storyboards: what the film shows when, as a list of shots (``planet film --storyboard FILE.toml``).

A storyboard is a tuple of :class:`Shot`\\ s in time order. Frame ``k`` of a film shows film time
``t = start + k / fps`` (``start``: ``--start-time``, default the first shot's start); it is drawn
by the shot whose ``[start, end)`` holds ``t`` and **left out** where no shot does (a gap between
shots is a cut: the world is simulated through it, nothing is drawn). A shot's frame count is
therefore the number of ``t_k`` in its range, ``(end − start) · fps`` for ranges on the frame grid.

A shot (TOML: one ``[[shot]]`` table; every key but ``start`` optional)::

    [[shot]]
    start = 126            # film seconds, or an epoch name ("tectonics_end", see `planet config`)
    end = 140              # the same; only the last shot may leave it out (on to the film's end)
    view = "rivers"        # satellite, plates, rivers, temperature, flow, life, night, co2
    globe = true           # the turning globe (default false: the equirectangular map)
    lon = [0, 90]          # camera longitude, degrees: fixed (a number) or from → to over the shot
    lat = 20               # camera latitude, degrees in [-90, 90]: fixed or [from, to] (globe only)
    ease = "in-out"        # how a [from, to] path moves: linear, in (accelerating), out (slowing to
                           # rest), in-out (smoothstep)
    turn = 6               # instead of lon = [from, to]: degrees per film second from lon
    wipe = 2               # map: wipe in over the previous shot's view during the first 2 s
    unwrap = 10            # globe: unwrap into the map over the last 10 s
    rewrap = 10            # globe: wrap up out of the map over the first 10 s
    daynight = true        # globe: day and night once the story reaches daynight_start
    co2 = true             # globe: the CO2 view blended in from co2_start to overlay_end
    atmosphere = true      # globe: atmospheric scattering
    fade = true            # fade to black over the last 5 s before story_end
    captions = true        # the caption in the lower-left corner
    caption = "{date} - the great rivers"   # its text ({date}: the date); default the story's own

With ``ease = "in"`` a path ``a → b`` over a shot of length ``d`` is ``a + (b−a)·(t−t0)²/d²``,
``"out"`` is ``b − (b−a)·(t1−t)²/d²``, ``"linear"`` ``a + (b−a)/d·(t−t0)`` and ``"in-out"``
``a + (b−a)·smoothstep(t0, t1, t)``; ``turn = r`` is ``lon + r·(t−t0)``. Unwrapping is the
smoothstep ``unwrap(t) = smoothstep(t1 − unwrap, t1, t)`` (0: globe, 1: map; rewrap is
``1 − smoothstep(t0, t0 + rewrap, t)``), a wipe is ``−0.03 + 1.06 (t − t0) / wipe`` of the width
(``scene.projection_params``).

:data:`DEFAULT` is the built-in film (spec §8) in these terms; ``planet film --print-storyboard``
prints it as TOML, a starting point for your own.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from planet.core.timeline import Timeline, smoothstep

from .scene import VIEWS, Camera, projection_params, sun_direction

EASES = ("linear", "in", "out", "in-out")
FADE = 5.0            # seconds of the fade to black before story end
MAX_LON = 1e5         # degrees: bound on camera longitudes in a storyboard (a path of ~280 turns)
MAX_TURN = 3600.0     # degrees per film second
MAX_SHOTS = 10000
MAX_CAPTION = 200     # characters


class StoryboardError(ValueError):
    """A storyboard that cannot be filmed (one line naming the shot, the key and the allowed values)."""


@dataclass(frozen=True)
class Frame:
    """What one frame shows: views, blends and camera (inputs of ``backend.frame``), and its caption."""

    view: int
    second: int
    overlay_view: int
    overlay: float
    Q: np.ndarray
    captions: bool = True
    caption: str | None = None       # None: the story's caption (``film.caption``); "{date}" is replaced
    shows: str = "satellite"         # the view the shot shows (a wipe ends in it): the caption's subject


@dataclass(frozen=True)
class Shot:
    """One shot of a storyboard (see the module docstring for every key)."""

    start: float | str
    end: float | str | None = None
    view: str = "satellite"
    globe: bool = False
    lon: float | tuple[float, float] = 180.0
    lat: float | tuple[float, float] = 20.0
    ease: str = "linear"
    turn: float | None = None
    wipe: float = 0.0
    unwrap: float = 0.0
    rewrap: float = 0.0
    daynight: bool = True
    co2: bool = True
    atmosphere: bool = True
    fade: bool = True
    captions: bool = True
    caption: str | None = None


#: The built-in film, in film seconds:
#:
#: * 0–20 s: the protoplanet as a globe turning two turns and slowing to rest at longitude 180,
#:   unwrapping into the map over its last 10 s;
#: * 20–103 s: the map, wiping (2 s each) into plates (35 s), rivers (43 s), temperature (51 s),
#:   flow (67 s), life (83 s) and back to satellite (101 s);
#: * 103–113 s: the map rewraps into the globe, which starts to turn (6°/s by 113 s);
#: * from 113 s to the film's end: the globe turning at 6° per film second; day and night, the CO2
#:   overlay and the final fade come from the schedule (``daynight``, ``co2``, ``fade``).
DEFAULT: tuple[Shot, ...] = (
    Shot(0.0, 20.0, globe=True, lon=(-360.0, 180.0), ease="out", unwrap=10.0),
    Shot(20.0, 35.0),
    Shot(35.0, 43.0, view="plates", wipe=2.0),
    Shot(43.0, 51.0, view="rivers", wipe=2.0),
    Shot(51.0, 67.0, view="temperature", wipe=2.0),
    Shot(67.0, 83.0, view="flow", wipe=2.0),
    Shot(83.0, 101.0, view="life", wipe=2.0),
    Shot(101.0, 103.0, view="satellite", wipe=2.0),
    Shot(103.0, 113.0, globe=True, lon=(180.0, 210.0), ease="in", rewrap=10.0),
    Shot(113.0, None, globe=True, lon=210.0, turn=6.0),
)

_KEYS = tuple(f.name for f in fields(Shot))
_BOOLS = ("globe", "daynight", "co2", "atmosphere", "fade", "captions")


# -- reading -----------------------------------------------------------------------------------
def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _when(value, where: str, key: str):
    """A time key: finite film seconds >= 0 or an epoch name (checked against the timeline later)."""
    if isinstance(value, str) and value:
        return value
    if _number(value) and value >= 0:
        return float(value)
    raise StoryboardError(f"{where}: {key} must be film seconds >= 0 or an epoch name, got {value!r}")


def _angle(value, where: str, key: str, low: float, high: float):
    def one(v):
        if not _number(v) or not low <= v <= high:
            raise StoryboardError(f"{where}: {key} must be degrees in [{low:g}, {high:g}] (a number or "
                                  f"[from, to]), got {value!r}")
        return float(v)
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise StoryboardError(f"{where}: {key} must be a number or [from, to] (two numbers), got {value!r}")
        return (one(value[0]), one(value[1]))
    return one(value)


def _seconds(value, where: str, key: str) -> float:
    if not _number(value) or value < 0:
        raise StoryboardError(f"{where}: {key} must be film seconds >= 0, got {value!r}")
    return float(value)


def shot_from_dict(data, where: str = "shot") -> Shot:
    """A checked :class:`Shot` from one TOML table (``StoryboardError`` naming ``where`` and the key)."""
    if not isinstance(data, dict):
        raise StoryboardError(f"{where} must be a table of keys ({', '.join(_KEYS)}), got {data!r}")
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise StoryboardError(f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(_KEYS)}")
    if "start" not in data:
        raise StoryboardError(f"{where}: start is missing (film seconds or an epoch name)")
    kw = {"start": _when(data["start"], where, "start")}
    if "end" in data:
        kw["end"] = _when(data["end"], where, "end")
    if "view" in data:
        if data["view"] not in VIEWS:
            raise StoryboardError(f"{where}: view must be one of {', '.join(VIEWS)}, got {data['view']!r}")
        kw["view"] = data["view"]
    for key in _BOOLS:
        if key in data:
            if not isinstance(data[key], bool):
                raise StoryboardError(f"{where}: {key} must be true or false, got {data[key]!r}")
            kw[key] = data[key]
    if "lon" in data:
        kw["lon"] = _angle(data["lon"], where, "lon", -MAX_LON, MAX_LON)
    if "lat" in data:
        kw["lat"] = _angle(data["lat"], where, "lat", -90.0, 90.0)
    if "ease" in data:
        if data["ease"] not in EASES:
            raise StoryboardError(f"{where}: ease must be one of {', '.join(EASES)}, got {data['ease']!r}")
        kw["ease"] = data["ease"]
    if "turn" in data:
        if not _number(data["turn"]) or abs(data["turn"]) > MAX_TURN:
            raise StoryboardError(f"{where}: turn must be degrees per film second in [-{MAX_TURN:g}, "
                                  f"{MAX_TURN:g}], got {data['turn']!r}")
        if isinstance(kw.get("lon"), tuple):
            raise StoryboardError(f"{where}: give either turn or lon = [from, to], not both")
        kw["turn"] = float(data["turn"])
    for key in ("wipe", "unwrap", "rewrap"):
        if key in data:
            kw[key] = _seconds(data[key], where, key)
    globe = kw.get("globe", False)
    if not globe and (kw.get("unwrap") or kw.get("rewrap")):
        raise StoryboardError(f"{where}: {'unwrap' if kw.get('unwrap') else 'rewrap'} applies to a globe shot "
                              f"(globe = true)")
    if globe and kw.get("wipe"):
        raise StoryboardError(f"{where}: wipe applies to a map shot (globe = false)")
    if "caption" in data:
        text = data["caption"]
        if not isinstance(text, str) or len(text) > MAX_CAPTION or "\n" in text or "\r" in text:
            raise StoryboardError(f"{where}: caption must be one line of text of at most {MAX_CAPTION} "
                                  f"characters, got {text!r}"[:300])
        kw["caption"] = text
    return Shot(**kw)


def from_dict(data, source: str = "storyboard") -> tuple[Shot, ...]:
    """The shots of a parsed TOML storyboard: ``{"shot": [{...}, ...]}``."""
    if not isinstance(data, dict):
        raise StoryboardError(f"{source} must be a table with a [[shot]] list")
    unknown = [k for k in data if k != "shot"]
    if unknown:
        raise StoryboardError(f"{source}: unknown key {unknown[0]!r}; a storyboard is a list of [[shot]] tables")
    shots = data.get("shot")
    if not isinstance(shots, list) or not shots:
        raise StoryboardError(f"{source}: shot must be a list of 1 to {MAX_SHOTS} [[shot]] tables, got "
                              f"{'none' if shots is None else repr(shots)[:80]}")
    if len(shots) > MAX_SHOTS:
        raise StoryboardError(f"{source}: shot must be a list of 1 to {MAX_SHOTS} [[shot]] tables, got {len(shots)}")
    return tuple(shot_from_dict(s, f"{source}: shot {i}") for i, s in enumerate(shots, 1))


def load(path, option: str = "--storyboard") -> tuple[Shot, ...]:
    """Read and check a TOML storyboard file (``StoryboardError``: one line naming ``option``, the shot
    and the key). Times given as epoch names are checked by :func:`resolve`."""
    import tomllib

    source = f"{option} {path}"
    try:
        with open(path, "rb") as f:
            raw = f.read((1 << 20) + 1)
    except OSError as e:
        raise StoryboardError(f"{source}: {e.strerror}") from None
    if len(raw) > 1 << 20:
        raise StoryboardError(f"{source}: larger than 1 MiB; a storyboard is a short TOML list of shots")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise StoryboardError(f"{source} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise StoryboardError(f"{source} is not valid TOML: {e}") from None
    return from_dict(data, source)


def to_toml(shots=DEFAULT) -> str:
    """The shots as a TOML storyboard (``load`` reads it back into the same shots)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, tuple):
            return f"[{value(v[0])}, {value(v[1])}]"
        if isinstance(v, float):
            return repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return repr(v)

    defaults = Shot(0.0)
    lines = []
    for s in shots:
        lines.append("[[shot]]")
        for f in fields(Shot):
            v = getattr(s, f.name)
            if f.name == "start" or (v is not None and v != getattr(defaults, f.name)):
                lines.append(f"{f.name} = {value(v)}")
        lines.append("")
    return "\n".join(lines)


# -- filming -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Resolved:
    shot: Shot
    t0: float
    t1: float            # math.inf: on to the film's end
    previous_view: int   # the view a wipe starts from (-1: none)

    def wiping(self, t: float) -> bool:
        """Whether this shot's frame at film time ``t`` is in its wipe from ``previous_view`` (maps only)."""
        return not self.shot.globe and self.shot.wipe > 0 and t < self.t0 + self.shot.wipe

    def shows_rivers(self, t: float) -> bool:
        """Whether the frame at ``t`` shows the rivers view (its view, or the one its wipe starts from):
        only those frames need the rivers drawn whole (``scene.pack_fields``' ``river_links``)."""
        return VIEWS["rivers"] in (VIEWS[self.shot.view], self.previous_view if self.wiping(t) else -1)


def resolve(shots, timeline: Timeline, source: str = "storyboard") -> tuple[_Resolved, ...]:
    """Epoch names → film seconds, and the checks that need them: time order, no overlap, an end on
    every shot but the last, transitions that fit their shot, a wipe's previous shot."""
    out = []
    for i, s in enumerate(shots, 1):
        where = f"{source}: shot {i}"
        try:
            t0 = timeline.seconds(s.start)
            t1 = math.inf if s.end is None else timeline.seconds(s.end)
        except ValueError as e:
            raise StoryboardError(f"{where}: {e}") from None
        if s.end is None and i < len(shots):
            raise StoryboardError(f"{where}: end is missing (only the last shot may run on to the film's end)")
        if not t0 < t1:
            raise StoryboardError(f"{where}: end ({t1:g} s) must be after start ({t0:g} s)")
        if out and t0 < out[-1].t1:
            raise StoryboardError(f"{where}: start ({t0:g} s) is before the end of shot {i - 1} ({out[-1].t1:g} s); "
                                  f"shots must be in time order and must not overlap")
        length = t1 - t0
        if s.unwrap + s.rewrap > length:
            raise StoryboardError(f"{where}: unwrap + rewrap ({s.unwrap + s.rewrap:g} s) must fit in the shot "
                                  f"({length:g} s)")
        if s.wipe > length:
            raise StoryboardError(f"{where}: wipe ({s.wipe:g} s) must fit in the shot ({length:g} s)")
        previous = -1
        if s.wipe > 0:
            if not out or out[-1].t1 != t0:
                raise StoryboardError(f"{where}: wipe needs a shot before it that ends where it starts ({t0:g} s)")
            previous = VIEWS[out[-1].shot.view]
        if isinstance(s.lon, tuple) or isinstance(s.lat, tuple):
            if math.isinf(t1):
                raise StoryboardError(f"{where}: a camera path [from, to] needs an end (or use turn)")
        out.append(_Resolved(s, t0, t1, previous))
    return tuple(out)


def _path(value, turn, ease: str, t0: float, t1: float, t: float) -> float:
    """The camera coordinate at ``t`` (see the module docstring's formulas)."""
    if not isinstance(value, tuple):
        return value if turn is None else value + turn * (t - t0)
    a, b = value
    d = t1 - t0
    if ease == "linear":
        return a + (b - a) / d * (t - t0)
    if ease == "in":
        return a + (b - a) / d ** 2 * (t - t0) ** 2
    if ease == "out":
        return b - (b - a) / d ** 2 * (t1 - t) ** 2
    return a + (b - a) * smoothstep(t0, t1, t)


def at(resolved, t: float):
    """The resolved shot whose ``[start, end)`` holds film time ``t`` (None: a cut)."""
    for r in resolved:
        if r.t0 <= t < r.t1:
            return r
    return None


def frames(resolved, start: float, count: int, fps: int) -> list[tuple[float, int]]:
    """``(t, i)`` for each frame ``k < count`` at ``t = start + k / fps`` that shot ``i`` covers (in order)."""
    out, i = [], 0
    for k in range(count):
        t = start + k / fps
        while i < len(resolved) and t >= resolved[i].t1:
            i += 1
        if i == len(resolved):
            break
        if resolved[i].t0 <= t:
            out.append((t, i))
    return out


def frame(r: _Resolved, t: float, size, timeline: Timeline, year: float = 24.0) -> Frame:
    """The frame of resolved shot ``r`` at film time ``t``."""
    s, sched = r.shot, timeline.schedule
    lon = _path(s.lon, s.turn if not isinstance(s.lon, tuple) else None, s.ease, r.t0, r.t1, t)
    lat = _path(s.lat, None, s.ease, r.t0, r.t1, t)
    fade = 1.0 - smoothstep(sched.story_end - FADE, sched.story_end, t) if s.fade else 1.0
    extra = {"captions": s.captions, "caption": s.caption, "shows": s.view}
    if not s.globe:
        cam = Camera(lat=lat, lon=lon, unwrap=1.0)
        view, second, wipe = VIEWS[s.view], -1, -1.0
        if r.wiping(t):
            view, second, wipe = r.previous_view, VIEWS[s.view], -0.03 + 1.06 * (t - r.t0) / s.wipe
        Q = projection_params(size, cam, wipe=wipe, fade=fade)
        return Frame(view, second, 0, 0.0, Q, **extra)
    unwrap = 0.0
    if s.unwrap > 0:
        unwrap = smoothstep(r.t1 - s.unwrap, r.t1, t)
    if s.rewrap > 0:
        unwrap = max(unwrap, 1.0 - smoothstep(r.t0, r.t0 + s.rewrap, t))
    cam = Camera(lat=lat, lon=lon, unwrap=unwrap)
    day = smoothstep(sched.daynight_start, sched.daynight_start + 2.0, t) if s.daynight else 0.0
    overlay = 0.0
    if s.co2:
        overlay = 0.6 * (smoothstep(sched.co2_start, sched.co2_start + 5.0, t)
                         - smoothstep(sched.overlay_end - 5.0, sched.overlay_end, t))
    if day > 0.0:
        Q = projection_params(size, cam, night=day, sun=sun_direction(t, timeline, year), atmosphere=s.atmosphere,
                              fade=fade, lighting=day)
        second = VIEWS["night"]
    else:
        Q = projection_params(size, cam, atmosphere=s.atmosphere, fade=fade)
        second = -1
    return Frame(VIEWS[s.view], second, VIEWS["co2"], max(overlay, 0.0), Q, **extra)
