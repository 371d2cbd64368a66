"""The built-in film's schedule as it was written before storyboards (render/film.py up to issue 15):
the independent reference that ``storyboard.DEFAULT`` must reproduce frame for frame."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planet.core.timeline import Timeline, smoothstep
from planet.render.scene import VIEWS, Camera, projection_params, sun_direction

#: (film seconds, view) of the map's wipes; each takes WIPE seconds
MAP_VIEWS = ((35.0, "plates"), (43.0, "rivers"), (51.0, "temperature"), (67.0, "flow"),
             (83.0, "life"), (101.0, "satellite"))
WIPE = 2.0
UNWRAP = (10.0, 20.0)
REWRAP = (103.0, 113.0)
CAMERA_LAT = 20.0
TURN = 6.0            # degrees per film second of the globe's turn after the rewrap
FADE = 5.0            # seconds of the final fade


@dataclass(frozen=True)
class Shot:
    """What one frame shows: views, blends and camera (inputs of ``backend.frame``)."""

    view: int
    second: int
    overlay_view: int
    overlay: float
    Q: np.ndarray


def _camera_lon(t: float) -> float:
    if t < UNWRAP[1]:
        return 180.0 - 1.35 * (UNWRAP[1] - t) ** 2          # two turns, slowing to rest at the map's centre
    if t < REWRAP[0]:
        return 180.0
    a = TURN / (2.0 * (REWRAP[1] - REWRAP[0]))
    if t < REWRAP[1]:
        return 180.0 + a * (t - REWRAP[0]) ** 2
    return 180.0 + a * (REWRAP[1] - REWRAP[0]) ** 2 + TURN * (t - REWRAP[1])


def shot(t: float, size, timeline: Timeline, year: float = 24.0) -> Shot:
    """The frame at film time ``t`` (see the module docstring)."""
    s = timeline.schedule
    if UNWRAP[1] <= t < REWRAP[0]:
        cam = Camera(lat=0.0, lon=180.0, unwrap=1.0)
        view, second, wipe = VIEWS["satellite"], -1, -1.0
        for start, name in MAP_VIEWS:
            if t >= start:
                second_name = name
                if t < start + WIPE:
                    second, wipe = VIEWS[second_name], -0.03 + 1.06 * (t - start) / WIPE
                else:
                    view, second, wipe = VIEWS[second_name], -1, -1.0
        Q = projection_params(size, cam, wipe=wipe)
        return Shot(view, second, 0, 0.0, Q)
    if t < UNWRAP[1]:
        unwrap = smoothstep(*UNWRAP, t)
    else:
        unwrap = 1.0 - smoothstep(*REWRAP, t)
    cam = Camera(lat=CAMERA_LAT, lon=_camera_lon(t), unwrap=unwrap)
    day = smoothstep(s.daynight_start, s.daynight_start + 2.0, t)
    fade = 1.0 - smoothstep(s.story_end - FADE, s.story_end, t)
    overlay = 0.6 * (smoothstep(s.co2_start, s.co2_start + 5.0, t)
                     - smoothstep(s.overlay_end - 5.0, s.overlay_end, t))
    if day > 0.0:
        Q = projection_params(size, cam, night=day, sun=sun_direction(t, timeline, year), atmosphere=True,
                              fade=fade, lighting=day)
        second = VIEWS["night"]
    else:
        Q = projection_params(size, cam, atmosphere=True, fade=fade)
        second = -1
    return Shot(VIEWS["satellite"], second, VIEWS["co2"], max(overlay, 0.0), Q)
