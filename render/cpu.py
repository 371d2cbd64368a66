"""CPU backend, first pass: the colour of every cell for a view (Numba, parallel over rows).

The second pass (projection to the map or the globe, gamma) is ``render/projection.py``, the
atmosphere's scattering table ``render/atmosphere.py``. ``shaders/cells.frag`` and
``shaders/project.frag`` are the same maths in GLSL; the two must be changed together
(``tests/test_render_gpu.py`` holds them to the same picture). All arithmetic is float32.

Colours are linear RGB in [0, 1] until the last step of the projection pass, which applies
``c^γ`` (γ = 1/1.5) and rounds to uint8.

The palettes are inlined into ``cell_colours`` (``inline="always"``; as calls, passing the planes
and a tuple cost more than their arithmetic: 14.5 → 6.3 ms per 512×256 satellite frame); the
arithmetic they share (mixing, hues, hill shading, the sea's colour by its depth) is in
``render/shading.py``.
Three things are done differently from the shaders for speed, each within the parity tolerance:
the pixel geometry is cached between frames (``projection.geometry``); gamma is a 16 385-entry
table (within one level of ``pow``); and the single scattering is ray-marched once per frame into
a small table that every pixel reads (``atmosphere.atmosphere_table``) instead of per pixel.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.core.timeline import smoothstep
from planet.processes.life.stage import plant_growth

from .scene import (F_BASIN, F_CO2, F_DRAINAGE_AREA, F_ELEVATION, F_HUMANS, F_MOISTURE, F_PLATE, F_PREDATORS,
                    F_PRESSURE, F_PREY, F_TEMPERATURE, F_TRAILS, F_UPLIFT, F_VAPOUR, F_VEGETATION,
                    P_CLOUDS, P_HAS_CO2, P_HAS_HUMANS, P_HAS_LIFE, P_HAS_MOISTURE, P_HAS_PRESSURE, P_HAS_TEMPERATURE,
                    P_HAS_TRAILS, P_HAS_VAPOUR, P_HEAT, P_RELIEF, P_ROCK, P_SEA_LEVEL, Q_CAM_LAT, Q_CAM_LON, Q_K,
                    Q_NIGHT, Q_SUN, VIEW_CO2, VIEW_FLOW, VIEW_LIFE, VIEW_NIGHT, VIEW_PLATES, VIEW_RIVERS,
                    VIEW_SATELLITE, VIEW_TEMPERATURE, check_layout)
from .shading import _hue, _mix, _neighbours, _sea, _shade, depth_planes

#: ``scene.LAYOUT`` the kernels below are compiled for: a new order of the field stack or the
#: parameters in render/scene.py stops the import here until this line changes (see ``scene.LAYOUT``)
LAYOUT = "f3753a58f58b"
check_layout(LAYOUT, __name__)

f32 = np.float32
PI = f32(np.pi)
HALF_PI = f32(np.pi / 2)
TWO_PI = f32(2 * np.pi)


# Each view's palette: the linear RGB of cell (j, i) from the fields ``F``, the parameters ``P``,
# the cell's elevation ``z``, the sea level ``D`` and the hill shading ``shade``.

@njit(cache=True, inline="always")
def _satellite(F, S, P, j, i, z, D, shade):
    """Ice on cold seas; snow, soil, sand and red desert by temperature, plants by moisture and
    temperature, bare rock before land end; molten rock glowing where low (fading as 2/(t+1)²);
    clouds from vapour."""
    T = F[F_TEMPERATURE][j, i]
    if z < D:
        o0, o1, o2 = _sea(S, j, i)
        ice = smoothstep(f32(-6.0), f32(-14.0), T) * P[P_HAS_TEMPERATURE] * f32(0.9)
        r, g, b = _mix(o0, o1, o2, f32(0.80) * shade, f32(0.84) * shade, f32(0.90) * shade, ice)
    else:
        r, g, b = f32(0.85), f32(0.87), f32(0.92)                               # snow
        r, g, b = _mix(r, g, b, f32(0.22), f32(0.17), f32(0.12), smoothstep(f32(-12.0), f32(-8.0), T))  # soil
        r, g, b = _mix(r, g, b, f32(0.72), f32(0.60), f32(0.40), smoothstep(f32(8.0), f32(18.0), T))    # sand
        r, g, b = _mix(r, g, b, f32(0.60), f32(0.28), f32(0.12), smoothstep(f32(22.0), f32(32.0), T))   # red desert
        grow = plant_growth(F[F_MOISTURE][j, i], T) * P[P_HAS_MOISTURE]
        v0, v1, v2 = _mix(f32(0.18), f32(0.36), f32(0.08), f32(0.04), f32(0.16), f32(0.04),
                          smoothstep(f32(10.0), f32(25.0), T))
        r, g, b = _mix(r, g, b, v0, v1, v2, grow)
        r, g, b = _mix(r, g, b, f32(0.16), f32(0.14), f32(0.13), P[P_ROCK])        # bare rock
        r, g, b = r * shade, g * shade, b * shade
    # molten rock: glows where low, fading as 2/(t+1)^2
    low = min(max((f32(15.0) - z) / f32(10.0), f32(0.0)), f32(1.0))
    e = min(P[P_HEAT] * (f32(0.15) + f32(0.85) * low * low), f32(1.0)) * min(P[P_ROCK], f32(1.0))
    l0, l1, l2 = _mix(f32(0.35), f32(0.02), f32(0.0), f32(1.0), f32(0.35), f32(0.02), smoothstep(f32(0.0), f32(0.5), e))
    l0, l1, l2 = _mix(l0, l1, l2, f32(1.0), f32(0.85), f32(0.4), smoothstep(f32(0.5), f32(1.0), e))
    r, g, b = _mix(r, g, b, l0, l1, l2, e)
    # clouds from vapour
    vapour = max(F[F_VAPOUR][j, i], f32(0.0))
    a = min(max(f32(0.3) * np.log(f32(1.0) + vapour), f32(0.0)), f32(1.0)) * P[P_CLOUDS] * P[P_HAS_VAPOUR]
    return _mix(r, g, b, f32(1.0), f32(1.0), f32(1.0), a)


@njit(cache=True, inline="always")
def _plates(F, S, P, j, i, z, D, shade):
    """A hue per plate (white where none), brighter with height, whitened along uplift."""
    q = F[F_PLATE][j, i]
    if q < f32(0.0):
        c0, c1, c2 = f32(1.0), f32(1.0), f32(1.0)
    else:
        h0, h1, h2 = _hue(q)
        c0, c1, c2 = _mix(f32(1.0), f32(1.0), f32(1.0), h0, h1, h2, f32(0.65))
    lum = (f32(0.45) + f32(0.55) * min(max(z / f32(12.0), f32(0.0)), f32(1.0))) * shade
    if z < D:
        lum = lum * f32(0.7)
    y = min(max(F[F_UPLIFT][j, i], f32(0.0)), f32(1.0))
    return _mix(c0 * lum, c1 * lum, c2 * lum, f32(1.0), f32(1.0), f32(1.0), f32(0.6) * y)


@njit(cache=True, inline="always")
def _rivers(F, S, P, j, i, z, D, shade):
    """Land tinted by its basin's hue, rivers in that hue with opacity log(drainage area in equatorial cells)."""
    h0, h1, h2 = _hue(F[F_BASIN][j, i])
    if z < D:
        return _sea(S, j, i)
    h = f32(0.4) * max(z - D, f32(0.0))
    lum = (f32(0.7) + f32(0.3) * min(h / f32(4.0), f32(1.0))) * shade
    r, g, b = _mix(f32(0.42) * lum, f32(0.40) * lum, f32(0.36) * lum,
                   f32(0.5) * h0 * lum, f32(0.5) * h1 * lum, f32(0.5) * h2 * lum, f32(0.35))
    A = F[F_DRAINAGE_AREA][j, i]
    a = min(max(f32(0.15) * np.log(max(A, f32(1.0))), f32(0.0)), f32(1.0))
    return _mix(r, g, b, h0, h1, h2, a)


@njit(cache=True, inline="always")
def _temperature(F, S, P, j, i, z, D, shade):
    """Temperature in 2 °C bands: blue below 0 °C, white to orange to red above."""
    T = F[F_TEMPERATURE][j, i]
    tb = np.floor(T / f32(2.0)) * f32(2.0) + f32(1.0)
    if tb < f32(0.0):
        c0, c1, c2 = _mix(f32(1.0), f32(1.0), f32(1.0), f32(0.15), f32(0.35), f32(0.95),
                          min(-tb / f32(20.0), f32(1.0)))
    else:
        c0, c1, c2 = _mix(f32(1.0), f32(1.0), f32(1.0), f32(1.0), f32(0.5), f32(0.1),
                          min(tb / f32(25.0), f32(1.0)))
        c0, c1, c2 = _mix(c0, c1, c2, f32(0.75), f32(0.08), f32(0.05),
                          min(max((tb - f32(25.0)) / f32(15.0), f32(0.0)), f32(1.0)))
    lum = f32(0.7) if z < D else shade
    return c0 * lum, c1 * lum, c2 * lum


@njit(cache=True, inline="always")
def _flow(F, S, P, j, i, z, D, shade):
    """Pressure tint (orange lows below 1012 hPa, blue highs above) along the wind trails."""
    if z < D:
        o0, o1, o2 = _sea(S, j, i)
        r, g, b = o0 * f32(0.5), o1 * f32(0.5), o2 * f32(0.5)
    else:
        r, g, b = f32(0.12) * shade, f32(0.11) * shade, f32(0.10) * shade
    p = F[F_PRESSURE][j, i]
    t0, t1, t2 = _mix(f32(0.85), f32(0.85), f32(0.85), f32(1.0), f32(0.45), f32(0.15),
                      smoothstep(f32(1012.0), f32(1000.0), p))
    t0, t1, t2 = _mix(t0, t1, t2, f32(0.25), f32(0.55), f32(1.0), smoothstep(f32(1012.0), f32(1024.0), p))
    r, g, b = _mix(r, g, b, t0 * f32(0.3), t1 * f32(0.3), t2 * f32(0.3), f32(0.3) * P[P_HAS_PRESSURE])
    a = min(max(F[F_TRAILS][j, i], f32(0.0)), f32(1.0)) * P[P_HAS_TRAILS]
    return _mix(r, g, b, t0, t1, t2, a)


@njit(cache=True, inline="always")
def _life(F, S, P, j, i, z, D, shade):
    """Plants green, prey yellow, predators red (weights ∝ the squares), settlements white."""
    if z < D:
        o0, o1, o2 = _sea(S, j, i)
        return o0 * f32(0.6), o1 * f32(0.6), o2 * f32(0.6)
    V = max(F[F_VEGETATION][j, i], f32(0.0))
    R = max(F[F_PREY][j, i], f32(0.0))
    X = max(F[F_PREDATORS][j, i], f32(0.0))
    wv, wr, wx = V * V, R * R, X * X
    s = wv + wr + wx + f32(1e-6)
    c0 = (wv * f32(0.15) + wr * f32(1.0) + wx * f32(0.55)) / s
    c1 = (wv * f32(0.60) + wr * f32(0.55) + wx * f32(0.02)) / s
    c2 = (wv * f32(0.10) + wr * f32(0.10) + wx * f32(0.02)) / s
    amount = min((V + R + X) / f32(4.0), f32(1.0)) * P[P_HAS_LIFE]
    r, g, b = _mix(f32(0.2), f32(0.18), f32(0.15), c0, c1, c2, f32(0.3) + f32(0.7) * amount)
    r, g, b = _mix(r, g, b, f32(0.2), f32(0.18), f32(0.15), f32(1.0) - P[P_HAS_LIFE])
    hm = min(max(F[F_HUMANS][j, i], f32(0.0)), f32(1.0)) * P[P_HAS_HUMANS]
    r, g, b = _mix(r, g, b, f32(0.95), f32(0.95), f32(0.85), f32(0.7) * hm)
    return r * shade, g * shade, b * shade


@njit(cache=True, inline="always")
def _night(F, S, P, j, i, z, D, shade):
    """The night ground, red where heat-stressed; the lights are points (``lights._lights``)."""
    ocean = z < D
    T = F[F_TEMPERATURE][j, i]
    if ocean:
        return f32(0.004), f32(0.008), f32(0.02)
    r, g, b = f32(0.012) * shade, f32(0.012) * shade, f32(0.016) * shade
    hm = min(max(F[F_HUMANS][j, i], f32(0.0)), f32(1.0)) * P[P_HAS_HUMANS]
    stress = smoothstep(f32(35.0), f32(42.0), T) * P[P_HAS_TEMPERATURE] * (f32(0.25) + f32(0.75) * hm)
    return _mix(r, g, b, f32(0.7), f32(0.05), f32(0.02), stress)


@njit(cache=True, inline="always")
def light_density(F, P, j, i, H, W):
    """The chance that a light site (``lights._lights``) in cell (j, i) is a city, also its
    brightness: ``h (0.35 + 0.65 max(coast, river)) (1 − 0.7 smoothstep(30, 42, T))`` with ``h``
    the settlement in [0, 1], ``coast`` 1 on a land cell with a sea neighbour (N, S, E, W),
    ``river`` = smoothstep(2.5, 5.5, ln A) of the drainage area ``A`` (in equatorial cells), ``T``
    in °C: people crowd on coasts and rivers, and fewer, dimmer lights burn where the heat is lethal. 0 at sea."""
    D = P[P_SEA_LEVEL]
    if F[F_ELEVATION][j, i] < D:
        return f32(0.0)
    hm = min(max(F[F_HUMANS][j, i], f32(0.0)), f32(1.0)) * P[P_HAS_HUMANS]
    if hm <= f32(0.0):
        return f32(0.0)
    jn, i_n, js, i_s, i_e, i_w = _neighbours(j, i, H, W)
    coast = f32(0.0)
    if (F[F_ELEVATION][jn, i_n] < D or F[F_ELEVATION][js, i_s] < D or F[F_ELEVATION][j, i_e] < D
            or F[F_ELEVATION][j, i_w] < D):
        coast = f32(1.0)
    river = smoothstep(f32(2.5), f32(5.5), np.log(max(F[F_DRAINAGE_AREA][j, i], f32(1.0))))
    heat = f32(1.0) - f32(0.7) * smoothstep(f32(30.0), f32(42.0), F[F_TEMPERATURE][j, i]) * P[P_HAS_TEMPERATURE]
    return hm * (f32(0.35) + f32(0.65) * max(coast, river)) * heat


@njit(cache=True, inline="always")
def _co2(F, S, P, j, i, z, D, shade):
    """CO2: ppm = 377 + 3c in 1 ppm bands, yellow to crimson (``_co2_alpha``)."""
    if z < D:
        o0, o1, o2 = _sea(S, j, i)
        r, g, b = o0 * f32(0.7), o1 * f32(0.7), o2 * f32(0.7)
    else:
        r, g, b = f32(0.35) * shade, f32(0.33) * shade, f32(0.30) * shade
    band = np.floor(f32(3.0) * min(max(F[F_CO2][j, i], f32(0.0)), f32(3.0))) / f32(9.0)
    c0, c1, c2 = _mix(f32(1.0), f32(0.9), f32(0.3), f32(0.55), f32(0.0), f32(0.15), band)
    return _mix(r, g, b, c0, c1, c2, _co2_alpha(F[F_CO2][j, i], P))


@njit(cache=True, inline="always")
def _cell(F, S, view, P, j, i, H, W):
    """Linear RGB of one cell for one view (see ``shaders/cells.frag``): the view's palette
    (``_satellite`` … ``_co2``) of the cell's fields under the hill shading (``_shade``)."""
    D = P[P_SEA_LEVEL]
    z = F[F_ELEVATION][j, i]
    shade = _shade(F, D, P[P_RELIEF], j, i, H, W)
    if view == VIEW_SATELLITE:
        return _satellite(F, S, P, j, i, z, D, shade)
    if view == VIEW_PLATES:
        return _plates(F, S, P, j, i, z, D, shade)
    if view == VIEW_RIVERS:
        return _rivers(F, S, P, j, i, z, D, shade)
    if view == VIEW_TEMPERATURE:
        return _temperature(F, S, P, j, i, z, D, shade)
    if view == VIEW_FLOW:
        return _flow(F, S, P, j, i, z, D, shade)
    if view == VIEW_LIFE:
        return _life(F, S, P, j, i, z, D, shade)
    if view == VIEW_NIGHT:
        return _night(F, S, P, j, i, z, D, shade)
    return _co2(F, S, P, j, i, z, D, shade)


@njit(cache=True, inline="always")
def _shows_sea(view):
    """Whether ``view`` colours the sea by its depth (``_sea``, which reads ``shading.depth_planes``)."""
    return view != VIEW_PLATES and view != VIEW_TEMPERATURE and view != VIEW_NIGHT


@njit(cache=True, inline="always")
def _co2_alpha(c, P):
    """Opacity of the CO2 bands (ppm = 377 + 3c, 1 ppm bands; none below 378 ppm)."""
    band = np.floor(f32(3.0) * min(max(c, f32(0.0)), f32(3.0))) / f32(9.0)
    return (f32(0.3) + f32(0.6) * band) * min(band * f32(9.0), f32(1.0)) * P[P_HAS_CO2]


@njit(cache=True, parallel=True, nogil=True)
def cell_colours(F, view, overlay_view, overlay, P, vis, out):
    """Fill ``out`` (H, W, 4) with the linear colours of ``view`` for the planes ``F`` (``scene.pack_fields``),
    with ``overlay_view`` blended over it at opacity ``overlay`` (when ``overlay`` > 0), and in the
    fourth channel the night view's ``light_density`` (0 in every other view), blended alike.

    ``vis`` (float32[8], ``cell_visibility``) skips cells no pixel will sample: a cell with unit
    normal ``n`` is drawn where ``n·vis[0:3] >= vis[3]`` and ``n·vis[4:7] <= vis[7]``; the others
    are set to 0."""
    H, W = F[0].shape
    sea = _shows_sea(view) or (overlay > f32(0.0) and _shows_sea(overlay_view))
    S = np.empty((H, W) if sea else (1, 1), np.float32)      # the sea's shallowness (``shading.depth_planes``)
    if sea:
        depth_planes(F, P[P_SEA_LEVEL], np.empty((H, W), np.float32), S)
    sin_lon = np.empty(W, np.float32)
    cos_lon = np.empty(W, np.float32)
    for i in range(W):
        lon = (f32(i) + f32(0.5)) * TWO_PI / f32(W)
        sin_lon[i] = np.sin(lon)
        cos_lon[i] = np.cos(lon)
    for j in prange(H):
        lat = HALF_PI - (f32(j) + f32(0.5)) * PI / f32(H)
        cl, sl = np.cos(lat), np.sin(lat)
        for i in range(W):
            n0 = cl * sin_lon[i]
            n2 = cl * cos_lon[i]
            if n0 * vis[0] + sl * vis[1] + n2 * vis[2] < vis[3] or n0 * vis[4] + sl * vis[5] + n2 * vis[6] > vis[7]:
                out[j, i, 0] = f32(0.0)
                out[j, i, 1] = f32(0.0)
                out[j, i, 2] = f32(0.0)
                out[j, i, 3] = f32(0.0)
                continue
            r, g, b = _cell(F, S, view, P, j, i, H, W)
            lights = light_density(F, P, j, i, H, W) if view == VIEW_NIGHT else f32(0.0)
            if overlay > f32(0.0):
                r2, g2, b2 = _cell(F, S, overlay_view, P, j, i, H, W)
                a = overlay
                if overlay_view == VIEW_CO2:   # the CO2 view as an overlay: only its bands
                    a = a * _co2_alpha(F[F_CO2][j, i], P)
                r, g, b = _mix(r, g, b, r2, g2, b2, a)
                l2 = light_density(F, P, j, i, H, W) if overlay_view == VIEW_NIGHT else f32(0.0)
                lights = lights + (l2 - lights) * a
            out[j, i, 0] = r
            out[j, i, 1] = g
            out[j, i, 2] = b
            out[j, i, 3] = lights


#: draw every cell
ALL_CELLS = np.array([0.0, 0.0, 0.0, -2.0, 0.0, 0.0, 0.0, 2.0], dtype=np.float32)


def cell_visibility(Q, columns: int, night_side: bool = False) -> np.ndarray:
    """``vis`` for ``cell_colours``: on the whole globe (``Q[Q_K]`` = 1) only the hemisphere facing
    the camera, and with ``night_side`` only cells where ``project`` blends in the night view (the
    sun's elevation sine below 0.08), each with a margin of three cells for the bilinear sampling.
    Every cell while the globe unwraps and on the map."""
    vis = ALL_CELLS.copy()
    if Q[Q_K] < 1.0:
        return vis
    margin = float(np.sin(3 * 2 * np.pi / columns))
    lat, lon = float(Q[Q_CAM_LAT]), float(Q[Q_CAM_LON])
    vis[0:3] = (np.cos(lat) * np.sin(lon), np.sin(lat), np.cos(lat) * np.cos(lon))
    vis[3] = -margin
    if night_side and Q[Q_NIGHT] > 0:
        vis[4:7] = Q[Q_SUN]
        vis[7] = 0.08 + margin
    return vis
