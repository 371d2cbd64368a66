"""The CPU backend's second pass: cell colours projected to the map or the globe, with the
atmosphere, night lights and the gamma table (the CPU twin of ``shaders/project.frag``; float32).

The pixel geometry is cached between frames (``geometry``: it depends on the size, the morph and
the camera latitude, not on the turning camera longitude); gamma is a 16 385-entry table (within
one level of ``pow``). The night lights' search (``lights._lights``) is inlined here: a change there needs this
file touched, or Numba keeps the cached kernel."""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.core.timeline import smoothstep

from .atmosphere import ATM_ANGLES, ATM_ROWS, _atmosphere_lookup, _atmosphere_row, _sun_screen_axis  # noqa: F401
from .lights import (HALF_PI, LIGHT_BOXES, LIGHT_COLOUR, LIGHT_ROWS, NO_SEED, PI, TWO_PI, _corners, _lights,
                     _lit_corners, site_places, sites_at)
from .scene import (Q_ATMOSPHERE, Q_CAM_LAT, Q_CAM_LON, Q_FADE, Q_K, Q_LIGHTING, Q_NIGHT, Q_SCALE_X, Q_SCALE_Y,
                    Q_SUN_CAM_X, Q_SUN_CAM_Y, Q_SUN_X, Q_SUN_Y, Q_SUN_Z, Q_WIPE, Q_WIPE_SOFT, check_layout)
from .shading import _mix

#: ``scene.LAYOUT`` the kernels below are compiled for: a new order of the field stack or the
#: parameters in render/scene.py stops the import here until this line changes (see ``scene.LAYOUT``)
LAYOUT = "f3753a58f58b"
check_layout(LAYOUT, __name__)

f32 = np.float32


@njit(cache=True, inline="always")
def _sample(C, lat, lon):
    """Bilinear sample of cell colours at (lat, lon) radians: wrap in longitude, clamp in latitude."""
    j0, j1, i0, i1, fu, fv = _corners(C, lat, lon)
    return _blend(C, j0, j1, i0, i1, fu, fv)


@njit(cache=True, inline="always")
def _sample_lit(C, S, lat, lon, pixel, lit, j0, j1, i0, i1, fu, fv):
    """``_sample`` at the corners ``_corners(C, lat, lon)`` with the night lights (``_lights``,
    sites ``S``) added in their warm colour where ``lit`` (``_has_lights``: ``C`` carries a light
    density somewhere) and the cells around the point do."""
    r, g, b = _blend(C, j0, j1, i0, i1, fu, fv)
    if not lit or not _lit_corners(C, j0, j1, i0, i1):
        return r, g, b
    e = _lights(S, lat, lon, pixel)
    return r + LIGHT_COLOUR[0] * e, g + LIGHT_COLOUR[1] * e, b + LIGHT_COLOUR[2] * e


@njit(cache=True)
def _has_lights(C):
    """Whether the cell colours ``C`` carry a light density (a positive fourth channel) anywhere:
    only the night view does, and every other frame then skips the per-pixel light search."""
    if C.shape[2] < 4:
        return False
    for j in range(C.shape[0]):
        for i in range(C.shape[1]):
            if C[j, i, 3] > f32(0.0):
                return True
    return False


@njit(cache=True, inline="always")
def _blend(C, j0, j1, i0, i1, fu, fv):
    """Bilinear blend of the RGB cell colours ``C`` at the four corners (rows j0/j1, columns i0/i1)."""
    w00 = (f32(1.0) - fu) * (f32(1.0) - fv)
    w01 = fu * (f32(1.0) - fv)
    w10 = (f32(1.0) - fu) * fv
    w11 = fu * fv
    r = C[j0, i0, 0] * w00 + C[j0, i1, 0] * w01 + C[j1, i0, 0] * w10 + C[j1, i1, 0] * w11
    g = C[j0, i0, 1] * w00 + C[j0, i1, 1] * w01 + C[j1, i0, 1] * w10 + C[j1, i1, 1] * w11
    b = C[j0, i0, 2] * w00 + C[j0, i1, 2] * w01 + C[j1, i0, 2] * w10 + C[j1, i1, 2] * w11
    return r, g, b


@njit(cache=True)
def pixel_position(px, py, Wo, Ho, Q):
    """(inside, lat, lon, x, y) of output pixel (px, py): see ``scene.Camera``."""
    k = Q[Q_K]
    x = (f32(px) + f32(0.5) - f32(Wo) * f32(0.5)) / Q[Q_SCALE_X]
    y = (f32(Ho) * f32(0.5) - f32(py) - f32(0.5)) / Q[Q_SCALE_Y]
    if k <= f32(0.0):
        inside = abs(y) <= HALF_PI and abs(x) <= PI
        return inside, y, x + Q[Q_CAM_LON], x, y
    ky = k * y
    if abs(ky) > f32(1.0):
        return False, f32(0.0), f32(0.0), x, y
    latc = np.arcsin(ky) / k
    c = np.sqrt(f32(1.0) - ky * ky)
    s = k * x / max(c, f32(1e-7))
    if abs(s) > f32(1.0):
        return False, f32(0.0), f32(0.0), x, y
    lonc = np.arcsin(s) / k
    if abs(lonc) > PI:
        return False, f32(0.0), f32(0.0), x, y
    cl = np.cos(latc)
    p0 = np.sin(lonc) * cl
    p1 = np.sin(latc)
    p2 = np.cos(lonc) * cl
    # camera axes (right, up, toward) in world coordinates
    clat, slat = np.cos(Q[Q_CAM_LAT]), np.sin(Q[Q_CAM_LAT])
    clon, slon = np.cos(Q[Q_CAM_LON]), np.sin(Q[Q_CAM_LON])
    w0 = p0 * clon - p1 * slat * slon + p2 * clat * slon
    w1 = p1 * clat + p2 * slat
    w2 = -p0 * slon - p1 * slat * clon + p2 * clat * clon
    lat = np.arcsin(min(max(w1, f32(-1.0)), f32(1.0)))
    lon = np.arctan2(w0, w2)
    return True, lat, lon, x, y


LUT_SIZE = 16384


@njit(cache=True, inline="always")
def _level(c, n):
    """Index into the gamma table of the linear colour ``c``: ``c`` clamped to [0, 1], times ``n``,
    rounded. NaN (a NaN cell, a NaN camera) maps to 0 and +inf to ``n``: a float that is not finite
    never becomes an index (``np.int64(nan)`` is undefined and read far outside the table).

    Written as two selects on ``c · n + ½`` rather than branches on ``c``, which the projection's
    inner loops run three times a pixel (a fifth of the map's drawing): the same index for every
    float (``tests/test_render_costs.py``: c ≤ 0 and NaN give at most ½, then 0; c ≥ 1 gives at least
    ``n`` + ½, clamped to ``n``; in between the rounding is the same product and sum)."""
    v = c * n + f32(0.5)
    v = v if v > f32(0.0) else f32(0.0)       # also NaN
    v = v if v < n else n
    return np.int64(v)


def gamma_table(gamma: float) -> np.ndarray:
    """uint8 of ``(n / LUT_SIZE)^γ`` rounded, n = 0..LUT_SIZE: the last step of the projection without a
    power per pixel (within one level of the exact value the GPU computes)."""
    x = np.arange(LUT_SIZE + 1, dtype=np.float64) / LUT_SIZE
    return np.floor(x ** gamma * 255.0 + 0.5).astype(np.uint8)


#: the planes of the pixel geometry ``G`` (``geometry``), in order: latitude (NaN outside the
#: picture), longitude relative to the camera's, the surface normal in the camera-longitude frame,
#: and the ray through the atmosphere (``atmosphere._atmosphere_row``: table row, screen direction)
GEOMETRY = ("lat", "lon", "normal_x", "normal_y", "normal_z", "atm_row", "ray_x", "ray_y")
G_LAT = GEOMETRY.index("lat")
G_LON = GEOMETRY.index("lon")
G_NORMAL_X = GEOMETRY.index("normal_x")
G_NORMAL_Y = GEOMETRY.index("normal_y")
G_NORMAL_Z = GEOMETRY.index("normal_z")
G_ATM_ROW = GEOMETRY.index("atm_row")
G_RAY_X = GEOMETRY.index("ray_x")
G_RAY_Y = GEOMETRY.index("ray_y")


@njit(cache=True, parallel=True, nogil=True)
def geometry(Q, G, air=True):
    """Per output pixel of ``G`` (8, Ho, Wo), the planes in the order of ``GEOMETRY``: latitude
    (NaN outside the picture), longitude relative to the camera's, the surface normal in the
    camera-longitude frame (cos φ sin λ, sin φ, cos φ cos λ), and the pixel's ray through the
    atmosphere (``_atmosphere_row``: table row, screen direction; without ``air``, row −1 and
    direction (1, 0) everywhere, as outside the atmosphere: for frames that draw none, which then
    also leave its ring out of the spans). Depends only on the size, the morph ``k``, the scales
    and the camera latitude (``Q[Q_GEOMETRY]``), so a turning globe or a fixed map reuses it from
    frame to frame.

    The same numbers as ``pixel_position`` (with the camera longitude 0), with what depends only on
    the row or the frame computed once: the globe's unwrapping recomputes this every frame."""
    Ho, Wo = G.shape[1], G.shape[2]
    k = Q[Q_K]
    clat, slat = np.cos(Q[Q_CAM_LAT]), np.sin(Q[Q_CAM_LAT])
    for py in prange(Ho):
        y = (f32(Ho) * f32(0.5) - f32(py) - f32(0.5)) / Q[Q_SCALE_Y]
        ky = k * y
        row_in = k > f32(0.0) and abs(ky) <= f32(1.0)
        c = f32(1.0)
        cl = f32(1.0)
        p1 = f32(0.0)
        if row_in:
            latc = np.arcsin(ky) / k
            c = np.sqrt(f32(1.0) - ky * ky)
            cl = np.cos(latc)
            p1 = np.sin(latc)
        half = (Wo + 1) // 2
        for px in range(half):
            x = (f32(px) + f32(0.5) - f32(Wo) * f32(0.5)) / Q[Q_SCALE_X]
            inside = False
            lat = f32(0.0)
            lon = f32(0.0)
            n0 = f32(0.0)
            n1 = f32(0.0)
            n2 = f32(0.0)
            if k <= f32(0.0):                            # the map
                inside = abs(y) <= HALF_PI and abs(x) <= PI
                lat, lon = y, x
                if inside:
                    cy = np.cos(lat)
                    n0 = cy * np.sin(lon)
                    n1 = np.sin(lat)
                    n2 = cy * np.cos(lon)
            elif row_in:
                s = k * x / max(c, f32(1e-7))
                if abs(s) <= f32(1.0):
                    lonc = np.arcsin(s) / k
                    if abs(lonc) <= PI:
                        inside = True
                        n0 = np.sin(lonc) * cl
                        p2 = np.cos(lonc) * cl
                        n1 = p1 * clat + p2 * slat
                        n2 = -p1 * slat + p2 * clat
                        lat = np.arcsin(min(max(n1, f32(-1.0)), f32(1.0)))
                        lon = np.arctan2(n0, n2)
            row, ux, uy = _atmosphere_row(x, y) if air else (f32(-1.0), f32(1.0), f32(0.0))
            # the picture is mirror symmetric about the centre column: x → −x gives λ → −λ, the
            # normal's first component and the ray's screen x change sign, nothing else
            for side in range(2):
                q = px if side == 0 else Wo - 1 - px
                sg = f32(1.0) if side == 0 else f32(-1.0)
                G[G_LAT, py, q] = lat if inside else np.nan
                G[G_LON, py, q] = sg * lon
                G[G_NORMAL_X, py, q] = sg * n0
                G[G_NORMAL_Y, py, q] = n1
                G[G_NORMAL_Z, py, q] = n2
                G[G_ATM_ROW, py, q] = row
                G[G_RAY_X, py, q] = sg * ux
                G[G_RAY_Y, py, q] = uy


@njit(cache=True)
def _map_tables(G, cam_lon, H, W, flat):
    """The plain map's separable sampling tables for ``_blend`` (filled when ``flat``, zeros
    otherwise): per output column the cell columns ``i0``, ``i1`` and the weight ``fu``, per output
    row the cell rows ``j0``, ``j1`` and the weight ``fv`` (the map's longitude depends on the column
    only, its latitude on the row only)."""
    Ho, Wo = G.shape[1], G.shape[2]
    col_i0 = np.zeros(Wo, np.int64)
    col_i1 = np.zeros(Wo, np.int64)
    col_fu = np.zeros(Wo, np.float32)
    row_j0 = np.zeros(Ho, np.int64)
    row_j1 = np.zeros(Ho, np.int64)
    row_fv = np.zeros(Ho, np.float32)
    if flat:
        for px in range(Wo):
            lon = G[G_LON, 0, px] + cam_lon
            u = lon / TWO_PI * f32(W) - f32(0.5)
            if not abs(u) < f32(1e9):                 # NaN or inf: no float becomes an index
                u = f32(0.0)
            fi = np.floor(u)
            i0 = np.int64(fi) % W
            col_i0[px] = i0
            col_i1[px] = i0 + 1 if i0 + 1 < W else 0
            col_fu[px] = u - fi
        for py in range(Ho):
            lat = G[G_LAT, py, Wo // 2]
            v = (HALF_PI - lat) / PI * f32(H) - f32(0.5)
            if not abs(v) < f32(1e9):                 # a row outside the picture (NaN): never drawn
                v = f32(0.0)
            fj = np.floor(v)
            row_j0[py] = min(max(np.int64(fj), 0), H - 1)
            row_j1[py] = min(max(np.int64(fj) + 1, 0), H - 1)
            row_fv[py] = v - fj
    return col_i0, col_i1, col_fu, row_j0, row_j1, row_fv


@njit(cache=True, parallel=True, nogil=True)
def spans(G, S):
    """``S`` (Ho, 2) int64: per row of the pixel geometry ``G``, the first pixel and one past the last
    that shows the planet (a finite latitude) or its atmosphere (a table row >= 0); every pixel
    outside is the background. ``[0, 0)`` for a row of background only. Geometry only: cached with it."""
    Ho, Wo = G.shape[1], G.shape[2]
    for py in prange(Ho):
        first = Wo
        for px in range(Wo):
            if G[G_LAT, py, px] == G[G_LAT, py, px] or G[G_ATM_ROW, py, px] >= f32(0.0):
                first = px
                break
        last = first
        for px in range(Wo - 1, first - 1, -1):
            if G[G_LAT, py, px] == G[G_LAT, py, px] or G[G_ATM_ROW, py, px] >= f32(0.0):
                last = px + 1
                break
        S[py, 0] = first if first < Wo else 0
        S[py, 1] = last if first < Wo else 0


@njit(cache=True, inline="always")
def _background(out, py, x0, x1, r, g, b):
    """Pixels ``x0`` to ``x1`` (excluded) of row ``py`` of ``out`` in the background colour."""
    for px in range(x0, x1):
        out[py, px, 0] = r
        out[py, px, 1] = g
        out[py, px, 2] = b


@njit(cache=True)
def _site_table(C, SP, SI):
    """(whether the cell colours ``C`` carry lights (``_has_lights``), their site table (``sites_at``;
    a dummy where they carry none))."""
    lit = _has_lights(C)
    S = np.zeros((LIGHT_ROWS if lit else 1, LIGHT_BOXES, 3), f32)
    if lit:
        sites_at(C, SP, SI, S)
    return lit, S


@njit(cache=True, nogil=True)
def project(A, B, G, Q, lut, T, out, seed=NO_SEED):
    """Fill ``out`` (Ho, Wo, 3) uint8 from cell colours ``A`` (and ``B``), the pixel geometry ``G``
    (``geometry``), the parameters ``Q``, the gamma table ``lut``, the atmosphere table ``T``
    (``atmosphere_table``, read when ``Q[Q_ATMOSPHERE]`` > 0) and the night lights' ``seed``
    (``scene.lights_seed``; lights are drawn from a fourth channel of ``A``, ``B``, if any).
    ``project_spans`` with every pixel of every row in its span."""
    S = np.empty((out.shape[0], 2), np.int64)
    S[:, 0] = 0
    S[:, 1] = out.shape[1]
    SP, SI = site_places(seed, A.shape[0], A.shape[1])
    project_spans(A, B, G, Q, lut, T, out, seed, S, SP, SI)


@njit(cache=True, parallel=True, nogil=True)
def project_spans(A, B, G, Q, lut, T, out, seed, S, SP, SI):
    """``project``, drawing only the pixels of each row's span ``S`` (``spans``: the planet and its
    atmosphere) and the background colour elsewhere, which is what every pixel there would get:
    the turning globe fills under two fifths of a 16:9 frame. ``SP``, ``SI``: the light sites'
    places (``lights.site_places`` of ``seed`` and the grid of ``A`` and ``B``)."""
    Ho, Wo = out.shape[0], out.shape[1]
    wipe, soft, night, light = Q[Q_WIPE], Q[Q_WIPE_SOFT], Q[Q_NIGHT], Q[Q_LIGHTING]
    k = Q[Q_K]
    atm = Q[Q_ATMOSPHERE] * smoothstep(f32(0.85), f32(1.0), k)
    bg0, bg1, bg2 = f32(0.004), f32(0.005), f32(0.012)
    cb, sb = np.cos(Q[Q_CAM_LON]), np.sin(Q[Q_CAM_LON])
    # the sun in the camera-longitude frame of G's normals
    s0 = Q[Q_SUN_X] * cb - Q[Q_SUN_Z] * sb
    s1 = Q[Q_SUN_Y]
    s2 = Q[Q_SUN_X] * sb + Q[Q_SUN_Z] * cb
    n = f32(LUT_SIZE)
    ex, ey = _sun_screen_axis(Q[Q_SUN_CAM_X], Q[Q_SUN_CAM_Y])
    H, W = A.shape[0], A.shape[1]
    pixel = f32(1.0) / Q[Q_SCALE_Y]              # radians per pixel (at the centre of the globe)
    same = A.shape[0] == B.shape[0] and A.shape[1] == B.shape[1]
    flat = k <= f32(0.0) and (wipe < f32(0.0) or same)   # the map, or a wipe on it: separable sampling tables
    col_i0, col_i1, col_fu, row_j0, row_j1, row_fv = _map_tables(G, Q[Q_CAM_LON], H, W, flat)
    lit_a, SA = _site_table(A, SP, SI)
    lit_b, SB = _site_table(B, SP, SI)
    fade = Q[Q_FADE]
    bgr, bgg, bgb = lut[_level(bg0 * fade, n)], lut[_level(bg1 * fade, n)], lut[_level(bg2 * fade, n)]
    for py in prange(Ho):
        x0 = min(max(S[py, 0], 0), Wo)
        x1 = min(max(S[py, 1], x0), Wo)
        _background(out, py, 0, x0, bgr, bgg, bgb)
        _background(out, py, x1, Wo, bgr, bgg, bgb)
        if flat and G[G_LAT, py, Wo // 2] == G[G_LAT, py, Wo // 2] and atm <= f32(0.0):
            j0 = row_j0[py]
            j1 = row_j1[py]
            fv = row_fv[py]
            for px in range(x0, x1):
                lat = G[G_LAT, py, px]
                if lat == lat:
                    i0 = col_i0[px]
                    i1 = col_i1[px]
                    fu = col_fu[px]
                    lon = G[G_LON, py, px] + Q[Q_CAM_LON]
                    r, g, b = _sample_lit(A, SA, lat, lon, pixel, lit_a, j0, j1, i0, i1, fu, fv)
                    if wipe >= f32(0.0):        # B's corners are A's (``flat`` asks for one shape)
                        wb = min(max((wipe - (f32(px) + f32(0.5)) / f32(Wo)) / soft + f32(0.5), f32(0.0)), f32(1.0))
                        if wb > f32(0.0):
                            r2, g2, b2 = _sample_lit(B, SB, lat, lon, pixel, lit_b, j0, j1, i0, i1, fu, fv)
                            r, g, b = _mix(r, g, b, r2, g2, b2, wb)
                else:
                    r, g, b = bg0, bg1, bg2
                out[py, px, 0] = lut[_level(r * Q[Q_FADE], n)]
                out[py, px, 1] = lut[_level(g * Q[Q_FADE], n)]
                out[py, px, 2] = lut[_level(b * Q[Q_FADE], n)]
            continue
        for px in range(x0, x1):
            lat = G[G_LAT, py, px]
            if lat == lat:
                lon = G[G_LON, py, px] + Q[Q_CAM_LON]
                j0, j1, i0, i1, fu, fv = _corners(A, lat, lon)
                r, g, b = _sample_lit(A, SA, lat, lon, pixel, lit_a, j0, j1, i0, i1, fu, fv)
                if not same:                       # B's corners: A's where the two have one shape
                    j0, j1, i0, i1, fu, fv = _corners(B, lat, lon)
                if wipe >= f32(0.0):
                    wb = min(max((wipe - (f32(px) + f32(0.5)) / f32(Wo)) / soft + f32(0.5), f32(0.0)), f32(1.0))
                    if wb > f32(0.0):
                        r2, g2, b2 = _sample_lit(B, SB, lat, lon, pixel, lit_b, j0, j1, i0, i1, fu, fv)
                        r, g, b = _mix(r, g, b, r2, g2, b2, wb)
                elif night > f32(0.0) or light > f32(0.0):
                    d = G[G_NORMAL_X, py, px] * s0 + G[G_NORMAL_Y, py, px] * s1 + G[G_NORMAL_Z, py, px] * s2
                    lam = f32(1.0) - light + light * min(max(f32(0.2) + d, f32(0.0)), f32(1.0))
                    r, g, b = r * lam, g * lam, b * lam
                    wn = night * smoothstep(f32(0.08), f32(-0.08), d)
                    if wn > f32(0.0):
                        r2, g2, b2 = _sample_lit(B, SB, lat, lon, pixel, lit_b, j0, j1, i0, i1, fu, fv)
                        r, g, b = _mix(r, g, b, r2, g2, b2, wn)
            else:
                r, g, b = bg0, bg1, bg2
            if atm > f32(0.0) and G[G_ATM_ROW, py, px] >= f32(0.0):
                a0, a1, a2, t0, t1, t2 = _atmosphere_lookup(G[G_ATM_ROW, py, px], G[G_RAY_X, py, px],
                                                            G[G_RAY_Y, py, px], T, ex, ey)
                r = r + (r * t0 - r + a0) * atm
                g = g + (g * t1 - g + a1) * atm
                b = b + (b * t2 - b + a2) * atm
            out[py, px, 0] = lut[_level(r * Q[Q_FADE], n)]
            out[py, px, 1] = lut[_level(g * Q[Q_FADE], n)]
            out[py, px, 2] = lut[_level(b * Q[Q_FADE], n)]
