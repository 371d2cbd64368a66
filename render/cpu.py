"""CPU backend: the two render passes as Numba kernels, parallel over rows.

``shaders/cells.frag`` and ``shaders/project.frag`` are the same maths in
GLSL; the two must be changed together (``tests/test_render_gpu.py`` holds
them to the same picture). All arithmetic is float32.

Colours are linear RGB in [0, 1] until the last step of the projection pass,
which applies ``c^γ`` (γ = 1/1.5) and rounds to uint8.

Three things are done differently from the shaders for speed, each within the
parity tolerance: the pixel geometry is cached between frames (``geometry``:
it depends on the size, the morph and the camera latitude, not on the turning
camera longitude); gamma is a 16 385-entry table (within one level of
``pow``); and the single scattering is ray-marched once per frame into a small
table over (distance from the disc centre, angle to the sun on screen) that
every pixel reads (``atmosphere_table``) instead of per pixel.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.core.timeline import smoothstep
from planet.processes.life.stage import plant_growth


f32 = np.float32
PI = f32(np.pi)
HALF_PI = f32(np.pi / 2)
TWO_PI = f32(2 * np.pi)


@njit(cache=True, inline="always")
def _mix(a0, a1, a2, b0, b1, b2, t):
    return a0 + (b0 - a0) * t, a1 + (b1 - a1) * t, a2 + (b2 - a2) * t


@njit(cache=True, inline="always")
def _hue(q):
    """Fully saturated colour of hue ``q`` in [0, 1) (red at 0, green at 1/3, blue at 2/3)."""
    x = q * f32(6.0)
    r = min(max(abs((x + f32(0.0)) % f32(6.0) - f32(3.0)) - f32(1.0), f32(0.0)), f32(1.0))
    g = min(max(abs((x + f32(4.0)) % f32(6.0) - f32(3.0)) - f32(1.0), f32(0.0)), f32(1.0))
    b = min(max(abs((x + f32(2.0)) % f32(6.0) - f32(3.0)) - f32(1.0), f32(0.0)), f32(1.0))
    return r, g, b


@njit(cache=True, inline="always")
def _neighbours(j, i, H, W):
    """(row, column) of the N, S, E, W neighbours: ``grid.neighbour``'s rule (wrap in longitude, polar
    reflection), written with branches instead of a modulo per access."""
    half = W // 2
    ie = i + 1 if i + 1 < W else 0
    iw = i - 1 if i > 0 else W - 1
    opposite = i + half if i < half else i - half
    if j > 0:
        jn, i_n = j - 1, i
    else:
        jn, i_n = 0, opposite
    if j < H - 1:
        js, i_s = j + 1, i
    else:
        js, i_s = H - 1, opposite
    return jn, i_n, js, i_s, ie, iw


@njit(cache=True)
def _cell(F, view, P, j, i, H, W):
    """Linear RGB of one cell for one view (see ``shaders/cells.frag``)."""
    D = P[1]
    z = F[0, j, i]
    # hill shading: the relief max(z, D) (the sea is flat), light from the north-west
    jn, i_n, js, i_s, i_e, i_w = _neighbours(j, i, H, W)
    k = f32(0.5) * P[5]
    dx = (max(F[0, j, i_e], D) - max(F[0, j, i_w], D)) * k
    dy = (max(F[0, jn, i_n], D) - max(F[0, js, i_s], D)) * k
    shade = max(f32(0.5) * dx - f32(0.5) * dy + f32(0.70710678), f32(0.0)) \
        / (np.sqrt(f32(1.0) + dx * dx + dy * dy) * f32(0.70710678))
    ocean = z < D
    depth = min(max(z / max(D, f32(1e-6)), f32(0.0)), f32(1.0))
    o0, o1, o2 = _mix(f32(0.01), f32(0.02), f32(0.08), f32(0.11), f32(0.28), f32(0.51), depth)
    h = f32(0.4) * max(z - D, f32(0.0))
    T = F[6, j, i]
    if view == 0:  # satellite
        if ocean:
            ice = smoothstep(f32(-6.0), f32(-14.0), T) * P[6] * f32(0.9)
            r, g, b = _mix(o0, o1, o2, f32(0.80) * shade, f32(0.84) * shade, f32(0.90) * shade, ice)
        else:
            r, g, b = f32(0.85), f32(0.87), f32(0.92)                               # snow
            r, g, b = _mix(r, g, b, f32(0.22), f32(0.17), f32(0.12), smoothstep(f32(-12.0), f32(-8.0), T))  # soil
            r, g, b = _mix(r, g, b, f32(0.72), f32(0.60), f32(0.40), smoothstep(f32(8.0), f32(18.0), T))    # sand
            r, g, b = _mix(r, g, b, f32(0.60), f32(0.28), f32(0.12), smoothstep(f32(22.0), f32(32.0), T))   # red desert
            grow = plant_growth(F[10, j, i], T) * P[7]
            v0, v1, v2 = _mix(f32(0.18), f32(0.36), f32(0.08), f32(0.04), f32(0.16), f32(0.04),
                              smoothstep(f32(10.0), f32(25.0), T))
            r, g, b = _mix(r, g, b, v0, v1, v2, grow)
            r, g, b = _mix(r, g, b, f32(0.16), f32(0.14), f32(0.13), P[3])        # bare rock
            r, g, b = r * shade, g * shade, b * shade
        # molten rock: glows where low, fading as 2/(t+1)^2
        low = min(max((f32(15.0) - z) / f32(10.0), f32(0.0)), f32(1.0))
        e = min(P[2] * (f32(0.15) + f32(0.85) * low * low), f32(1.0)) * min(P[3], f32(1.0))
        l0, l1, l2 = _mix(f32(0.35), f32(0.02), f32(0.0), f32(1.0), f32(0.35), f32(0.02), smoothstep(f32(0.0), f32(0.5), e))
        l0, l1, l2 = _mix(l0, l1, l2, f32(1.0), f32(0.85), f32(0.4), smoothstep(f32(0.5), f32(1.0), e))
        r, g, b = _mix(r, g, b, l0, l1, l2, e)
        # clouds from vapour
        a = min(max(f32(0.3) * np.log(f32(1.0) + max(F[7, j, i], f32(0.0))), f32(0.0)), f32(1.0)) * P[4] * P[8]
        return _mix(r, g, b, f32(1.0), f32(1.0), f32(1.0), a)
    if view == 1:  # plates
        q = F[1, j, i]
        if q < f32(0.0):
            c0, c1, c2 = f32(1.0), f32(1.0), f32(1.0)
        else:
            h0, h1, h2 = _hue(q)
            c0, c1, c2 = _mix(f32(1.0), f32(1.0), f32(1.0), h0, h1, h2, f32(0.65))
        lum = (f32(0.45) + f32(0.55) * min(max(z / f32(12.0), f32(0.0)), f32(1.0))) * shade
        if ocean:
            lum = lum * f32(0.7)
        y = min(max(F[2, j, i], f32(0.0)), f32(1.0))
        return _mix(c0 * lum, c1 * lum, c2 * lum, f32(1.0), f32(1.0), f32(1.0), f32(0.6) * y)
    if view == 2:  # rivers
        h0, h1, h2 = _hue(F[4, j, i])
        if ocean:
            return o0, o1, o2
        lum = (f32(0.7) + f32(0.3) * min(h / f32(4.0), f32(1.0))) * shade
        r, g, b = _mix(f32(0.42) * lum, f32(0.40) * lum, f32(0.36) * lum,
                       f32(0.5) * h0 * lum, f32(0.5) * h1 * lum, f32(0.5) * h2 * lum, f32(0.35))
        A = F[3, j, i]
        a = min(max(f32(0.15) * np.log(max(A, f32(1.0))), f32(0.0)), f32(1.0))
        return _mix(r, g, b, h0, h1, h2, a)
    if view == 3:  # temperature, in 2 °C bands
        tb = np.floor(T / f32(2.0)) * f32(2.0) + f32(1.0)
        if tb < f32(0.0):
            c0, c1, c2 = _mix(f32(1.0), f32(1.0), f32(1.0), f32(0.15), f32(0.35), f32(0.95),
                              min(-tb / f32(20.0), f32(1.0)))
        else:
            c0, c1, c2 = _mix(f32(1.0), f32(1.0), f32(1.0), f32(1.0), f32(0.5), f32(0.1),
                              min(tb / f32(25.0), f32(1.0)))
            c0, c1, c2 = _mix(c0, c1, c2, f32(0.75), f32(0.08), f32(0.05),
                              min(max((tb - f32(25.0)) / f32(15.0), f32(0.0)), f32(1.0)))
        lum = f32(0.7) if ocean else shade
        return c0 * lum, c1 * lum, c2 * lum
    if view == 4:  # flow: pressure tint along the wind trails
        if ocean:
            r, g, b = o0 * f32(0.5), o1 * f32(0.5), o2 * f32(0.5)
        else:
            r, g, b = f32(0.12) * shade, f32(0.11) * shade, f32(0.10) * shade
        p = F[5, j, i]
        t0, t1, t2 = _mix(f32(0.85), f32(0.85), f32(0.85), f32(1.0), f32(0.45), f32(0.15),
                          smoothstep(f32(1012.0), f32(1000.0), p))
        t0, t1, t2 = _mix(t0, t1, t2, f32(0.25), f32(0.55), f32(1.0), smoothstep(f32(1012.0), f32(1024.0), p))
        r, g, b = _mix(r, g, b, t0 * f32(0.3), t1 * f32(0.3), t2 * f32(0.3), f32(0.3) * P[9])
        a = min(max(F[9, j, i], f32(0.0)), f32(1.0)) * P[10]
        return _mix(r, g, b, t0, t1, t2, a)
    if view == 5:  # life
        if ocean:
            return o0 * f32(0.6), o1 * f32(0.6), o2 * f32(0.6)
        V = max(F[11, j, i], f32(0.0))
        R = max(F[12, j, i], f32(0.0))
        X = max(F[13, j, i], f32(0.0))
        wv, wr, wx = V * V, R * R, X * X
        s = wv + wr + wx + f32(1e-6)
        c0 = (wv * f32(0.15) + wr * f32(1.0) + wx * f32(0.55)) / s
        c1 = (wv * f32(0.60) + wr * f32(0.55) + wx * f32(0.02)) / s
        c2 = (wv * f32(0.10) + wr * f32(0.10) + wx * f32(0.02)) / s
        amount = min((V + R + X) / f32(4.0), f32(1.0)) * P[11]
        r, g, b = _mix(f32(0.2), f32(0.18), f32(0.15), c0, c1, c2, f32(0.3) + f32(0.7) * amount)
        r, g, b = _mix(r, g, b, f32(0.2), f32(0.18), f32(0.15), f32(1.0) - P[11])
        hm = min(max(F[14, j, i], f32(0.0)), f32(1.0)) * P[12]
        r, g, b = _mix(r, g, b, f32(0.95), f32(0.95), f32(0.85), f32(0.7) * hm)
        return r * shade, g * shade, b * shade
    if view == 6:  # night: city lights, red where heat-stressed
        if ocean:
            r, g, b = f32(0.004), f32(0.008), f32(0.02)
        else:
            r, g, b = f32(0.012) * shade, f32(0.012) * shade, f32(0.016) * shade
        hm = min(max(F[14, j, i], f32(0.0)), f32(1.0)) * P[12]
        # lights as points: a cell is lit where its fixed seeded sparkle sp (uniform in [0, 1)) falls
        # under a density-weighted chance, so settlement reads as scattered cities that stay put;
        # brighter on low coasts (0-1 unit above the sea), dimmer with heat stress (30-42 degC)
        sp = F[15, j, i]
        coast = f32(1.0) - smoothstep(f32(0.0), f32(1.0), z - D)
        heat = f32(1.0) - f32(0.7) * smoothstep(f32(30.0), f32(42.0), T)
        chance = min(hm * (f32(0.6) + f32(0.4) * coast), f32(0.45))
        lit = f32(1.0) if (not ocean and sp < chance) else f32(0.0)
        light = lit * (f32(0.6) + f32(0.9) * hm) * (f32(0.7) + f32(0.6) * coast) * heat
        r, g, b = r + f32(1.0) * light, g + f32(0.75) * light, b + f32(0.4) * light
        if not ocean:
            stress = smoothstep(f32(35.0), f32(42.0), T) * P[6] * (f32(0.25) + f32(0.75) * hm)
            r, g, b = _mix(r, g, b, f32(0.7), f32(0.05), f32(0.02), stress)
        return r, g, b
    # co2: ppm = 377 + 3c in 1 ppm bands
    if ocean:
        r, g, b = o0 * f32(0.7), o1 * f32(0.7), o2 * f32(0.7)
    else:
        r, g, b = f32(0.35) * shade, f32(0.33) * shade, f32(0.30) * shade
    band = np.floor(f32(3.0) * min(max(F[8, j, i], f32(0.0)), f32(3.0))) / f32(9.0)
    c0, c1, c2 = _mix(f32(1.0), f32(0.9), f32(0.3), f32(0.55), f32(0.0), f32(0.15), band)
    return _mix(r, g, b, c0, c1, c2, _co2_alpha(F[8, j, i], P))


@njit(cache=True, inline="always")
def _co2_alpha(c, P):
    """Opacity of the CO2 bands (ppm = 377 + 3c, 1 ppm bands; none below 378 ppm)."""
    band = np.floor(f32(3.0) * min(max(c, f32(0.0)), f32(3.0))) / f32(9.0)
    return (f32(0.3) + f32(0.6) * band) * min(band * f32(9.0), f32(1.0)) * P[13]


@njit(cache=True, parallel=True, nogil=True)
def cell_colours(F, view, overlay_view, overlay, P, vis, out):
    """Fill ``out`` (H, W, 3) with the linear colours of ``view`` for the field stack ``F`` (16, H, W),
    with ``overlay_view`` blended over it at opacity ``overlay`` (when ``overlay`` > 0).

    ``vis`` (float32[8], ``cell_visibility``) skips cells no pixel will sample: a cell with unit
    normal ``n`` is drawn where ``n·vis[0:3] >= vis[3]`` and ``n·vis[4:7] <= vis[7]``; the others
    are set to 0."""
    H, W = F.shape[1], F.shape[2]
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
                continue
            r, g, b = _cell(F, view, P, j, i, H, W)
            if overlay > f32(0.0):
                r2, g2, b2 = _cell(F, overlay_view, P, j, i, H, W)
                a = overlay
                if overlay_view == 7:   # the CO2 view as an overlay: only its bands
                    a = a * _co2_alpha(F[8, j, i], P)
                r, g, b = _mix(r, g, b, r2, g2, b2, a)
            out[j, i, 0] = r
            out[j, i, 1] = g
            out[j, i, 2] = b


#: draw every cell
ALL_CELLS = np.array([0.0, 0.0, 0.0, -2.0, 0.0, 0.0, 0.0, 2.0], dtype=np.float32)


def cell_visibility(Q, columns: int, night_side: bool = False) -> np.ndarray:
    """``vis`` for ``cell_colours``: on the whole globe (``Q[0]`` = 1) only the hemisphere facing
    the camera, and with ``night_side`` only cells where ``project`` blends in the night view (the
    sun's elevation sine below 0.08), each with a margin of three cells for the bilinear sampling.
    Every cell while the globe unwraps and on the map."""
    vis = ALL_CELLS.copy()
    if Q[0] < 1.0:
        return vis
    margin = float(np.sin(3 * 2 * np.pi / columns))
    lat, lon = float(Q[3]), float(Q[4])
    vis[0:3] = (np.cos(lat) * np.sin(lon), np.sin(lat), np.cos(lat) * np.cos(lon))
    vis[3] = -margin
    if night_side and Q[7] > 0:
        vis[4:7] = Q[8:11]
        vis[7] = 0.08 + margin
    return vis


# -- projection ------------------------------------------------------------------

@njit(cache=True, inline="always")
def _sample(C, lat, lon):
    """Bilinear sample of cell colours at (lat, lon) radians: wrap in longitude, clamp in latitude."""
    H, W = C.shape[0], C.shape[1]
    u = lon / TWO_PI * f32(W) - f32(0.5)
    v = (HALF_PI - lat) / PI * f32(H) - f32(0.5)
    if not (abs(u) < f32(1e9) and abs(v) < f32(1e9)):   # NaN or huge: no float becomes an index
        u = f32(0.0)
        v = f32(0.0)
    fi = np.floor(u)
    fj = np.floor(v)
    fu = u - fi
    fv = v - fj
    i0 = np.int64(fi)            # lon in (-π, 3π): at most one wrap either way
    if i0 < 0:
        i0 += W
    elif i0 >= W:
        i0 -= W
    if i0 < 0 or i0 >= W:
        i0 = i0 % W
    i1 = i0 + 1 if i0 + 1 < W else 0
    j0 = min(max(np.int64(fj), 0), H - 1)
    j1 = min(max(np.int64(fj) + 1, 0), H - 1)
    return _blend(C, j0, j1, i0, i1, fu, fv)


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


# atmosphere (units of the planet radius; heights exaggerated ~8× so the limb reads on screen)
ATM_TOP = f32(1.035)
H_R = f32(0.010)
H_M = f32(0.0015)
BETA_R = (f32(4.6), f32(10.8), f32(26.4))
BETA_M = f32(8.0)
MIE_G = f32(0.76)
SUN = f32(6.0)
ATM_STEPS = 8


@njit(cache=True, inline="always")
def _chapman(mu, c):
    """Relative air mass towards the sun (Schüler's approximation, mu clamped to the horizon)."""
    return c / ((c - f32(1.0)) * max(mu, f32(0.0)) + f32(1.0))


@njit(cache=True)
def _atmosphere(x, y, sx, sy, sz):
    """Single Rayleigh + Mie scattering along the orthographic ray through (x, y) in the camera frame
    (sun ``s`` in that frame). Returns (sky r, g, b, ground transmittance r, g, b)."""
    b2 = x * x + y * y
    top2 = ATM_TOP * ATM_TOP
    if b2 >= top2:
        return f32(0.0), f32(0.0), f32(0.0), f32(1.0), f32(1.0), f32(1.0)
    zt = np.sqrt(top2 - b2)
    zend = np.sqrt(f32(1.0) - b2) if b2 < f32(1.0) else -zt
    ds = (zt - zend) / f32(ATM_STEPS)
    tr = f32(0.0)
    tm = f32(0.0)
    ir0 = f32(0.0)
    ir1 = f32(0.0)
    ir2 = f32(0.0)
    im0 = f32(0.0)
    im1 = f32(0.0)
    im2 = f32(0.0)
    for n in range(ATM_STEPS):
        zs = zt - (f32(n) + f32(0.5)) * ds
        r = np.sqrt(b2 + zs * zs)
        hgt = max(r - f32(1.0), f32(0.0))
        rr = np.exp(-hgt / H_R) * ds
        rm = np.exp(-hgt / H_M) * ds
        tr += f32(0.5) * rr
        tm += f32(0.5) * rm
        mu = (x * sx + y * sy + zs * sz) / r
        # in the planet's shadow beyond the grazing angle (softened over a few degrees)
        lit = smoothstep(f32(-0.04), f32(0.04), mu + np.sqrt(max(f32(1.0) - f32(1.0) / (r * r), f32(0.0))))
        if lit > f32(0.0):
            sr = rr / ds * H_R * _chapman(mu, np.sqrt(HALF_PI * r / H_R))
            sm = rm / ds * H_M * _chapman(mu, np.sqrt(HALF_PI * r / H_M))
            em = f32(1.1) * BETA_M * (tm + sm)
            a0 = np.exp(-(BETA_R[0] * (tr + sr) + em)) * lit
            a1 = np.exp(-(BETA_R[1] * (tr + sr) + em)) * lit
            a2 = np.exp(-(BETA_R[2] * (tr + sr) + em)) * lit
            ir0 += rr * a0
            ir1 += rr * a1
            ir2 += rr * a2
            im0 += rm * a0
            im1 += rm * a1
            im2 += rm * a2
        tr += f32(0.5) * rr
        tm += f32(0.5) * rm
    mu = -sz   # cosine of the scattering angle between the sunlight (travelling along -s) and the ray to the camera
    pr = f32(0.0596831) * (f32(1.0) + mu * mu)
    g2 = MIE_G * MIE_G
    pm = f32(0.1193662) * (f32(1.0) - g2) * (f32(1.0) + mu * mu) \
        / ((f32(2.0) + g2) * (f32(1.0) + g2 - f32(2.0) * MIE_G * mu) ** f32(1.5))
    em = f32(1.1) * BETA_M * tm
    return (SUN * (BETA_R[0] * pr * ir0 + BETA_M * pm * im0),
            SUN * (BETA_R[1] * pr * ir1 + BETA_M * pm * im1),
            SUN * (BETA_R[2] * pr * ir2 + BETA_M * pm * im2),
            np.exp(-(BETA_R[0] * tr + em)), np.exp(-(BETA_R[1] * tr + em)), np.exp(-(BETA_R[2] * tr + em)))


ATM_ROWS = 192     # table rows: ground rays by cos of the view zenith at the ground; sky rays by impact parameter
ATM_ANGLES = 32    # table columns: cos of the angle between the pixel's and the sun's directions on screen


@njit(cache=True, inline="always")
def _sun_screen_axis(sx, sy):
    n = np.sqrt(sx * sx + sy * sy)
    if n > f32(1e-6):
        return sx / n, sy / n
    return f32(1.0), f32(0.0)


@njit(cache=True, parallel=True, nogil=True)
def atmosphere_table(sx, sy, sz, T):
    """``T`` (2, ATM_ROWS, ATM_ANGLES, 6): ``_atmosphere`` (sky, transmittance) tabulated for this sun.

    For orthographic rays the scattering depends on the pixel only through its distance ``b`` from
    the disc's centre and the angle ``φ`` between its direction and the sun's on the screen (mirror
    symmetric), so one table per frame replaces a ray march per pixel. ``T[0]``: rays that hit the
    ground, rows uniform in ``c = sqrt(1 - b²)``; ``T[1]``: rays that miss it, rows uniform in
    ``b`` from 1 to the top of the atmosphere.
    """
    ex, ey = _sun_screen_axis(sx, sy)
    for n in prange(2 * ATM_ROWS):
        kind = n // ATM_ROWS
        row = n - kind * ATM_ROWS
        a = f32(row) / f32(ATM_ROWS - 1)
        if kind == 0:
            b = min(np.sqrt(max(f32(1.0) - a * a, f32(0.0))), f32(0.9999999))
        else:
            b = f32(1.0) + (ATM_TOP - f32(1.0)) * a * f32(0.9999)
        for col in range(ATM_ANGLES):
            cphi = f32(-1.0) + f32(2.0) * f32(col) / f32(ATM_ANGLES - 1)
            sphi = np.sqrt(max(f32(1.0) - cphi * cphi, f32(0.0)))
            x = b * (cphi * ex - sphi * ey)
            y = b * (cphi * ey + sphi * ex)
            v = _atmosphere(x, y, sx, sy, sz)
            for c in range(6):
                T[kind, row, col, c] = v[c]


@njit(cache=True, inline="always")
def _atmosphere_row(x, y):
    """(row coordinate in ``atmosphere_table``, or −1 outside the atmosphere; unit screen direction)
    of the orthographic ray through (x, y). Rows ``0..ATM_ROWS-1`` are ground rays, the next
    ``ATM_ROWS`` sky rays. Geometry only: ``geometry`` caches it per pixel."""
    b2 = x * x + y * y
    if b2 >= ATM_TOP * ATM_TOP:
        return f32(-1.0), f32(1.0), f32(0.0)
    b = np.sqrt(b2)
    ux, uy = (x / b, y / b) if b > f32(1e-7) else (f32(1.0), f32(0.0))
    if b2 < f32(1.0):
        return np.sqrt(f32(1.0) - b2) * f32(ATM_ROWS - 1), ux, uy
    fr = min((b - f32(1.0)) / ((ATM_TOP - f32(1.0)) * f32(0.9999)), f32(1.0)) * f32(ATM_ROWS - 1)
    return f32(ATM_ROWS) + fr, ux, uy


@njit(cache=True, inline="always")
def _atmosphere_lookup(row, ux, uy, T, ex, ey):
    """Bilinear lookup of ``atmosphere_table`` at a pixel's cached row coordinate and screen direction."""
    kind = 0
    fr = row
    if fr >= f32(ATM_ROWS):
        kind = 1
        fr = fr - f32(ATM_ROWS)
    cphi = ux * ex + uy * ey
    fc = (min(max(cphi, f32(-1.0)), f32(1.0)) + f32(1.0)) * f32(0.5) * f32(ATM_ANGLES - 1)
    if not (fr >= f32(0.0) and fr <= f32(ATM_ROWS)):      # NaN or inf: no float becomes an index
        fr = f32(0.0)
    if not (fc >= f32(0.0) and fc <= f32(ATM_ANGLES)):
        fc = f32(0.0)
    r0 = min(np.int64(fr), ATM_ROWS - 2)
    c0 = min(np.int64(fc), ATM_ANGLES - 2)
    wr = fr - f32(r0)
    wc = fc - f32(c0)
    w00 = (f32(1.0) - wr) * (f32(1.0) - wc)
    w01 = (f32(1.0) - wr) * wc
    w10 = wr * (f32(1.0) - wc)
    w11 = wr * wc
    o0 = T[kind, r0, c0, 0] * w00 + T[kind, r0, c0 + 1, 0] * w01 + T[kind, r0 + 1, c0, 0] * w10 + T[kind, r0 + 1, c0 + 1, 0] * w11
    o1 = T[kind, r0, c0, 1] * w00 + T[kind, r0, c0 + 1, 1] * w01 + T[kind, r0 + 1, c0, 1] * w10 + T[kind, r0 + 1, c0 + 1, 1] * w11
    o2 = T[kind, r0, c0, 2] * w00 + T[kind, r0, c0 + 1, 2] * w01 + T[kind, r0 + 1, c0, 2] * w10 + T[kind, r0 + 1, c0 + 1, 2] * w11
    o3 = T[kind, r0, c0, 3] * w00 + T[kind, r0, c0 + 1, 3] * w01 + T[kind, r0 + 1, c0, 3] * w10 + T[kind, r0 + 1, c0 + 1, 3] * w11
    o4 = T[kind, r0, c0, 4] * w00 + T[kind, r0, c0 + 1, 4] * w01 + T[kind, r0 + 1, c0, 4] * w10 + T[kind, r0 + 1, c0 + 1, 4] * w11
    o5 = T[kind, r0, c0, 5] * w00 + T[kind, r0, c0 + 1, 5] * w01 + T[kind, r0 + 1, c0, 5] * w10 + T[kind, r0 + 1, c0 + 1, 5] * w11
    return o0, o1, o2, o3, o4, o5


@njit(cache=True)
def pixel_position(px, py, Wo, Ho, Q):
    """(inside, lat, lon, x, y) of output pixel (px, py): see ``scene.Camera``."""
    k = Q[0]
    x = (f32(px) + f32(0.5) - f32(Wo) * f32(0.5)) / Q[1]
    y = (f32(Ho) * f32(0.5) - f32(py) - f32(0.5)) / Q[2]
    if k <= f32(0.0):
        inside = abs(y) <= HALF_PI and abs(x) <= PI
        return inside, y, x + Q[4], x, y
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
    clat, slat = np.cos(Q[3]), np.sin(Q[3])
    clon, slon = np.cos(Q[4]), np.sin(Q[4])
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
    never becomes an index (``np.int64(nan)`` is undefined and read far outside the table)."""
    if not c > f32(0.0):         # also NaN
        return np.int64(0)
    if c >= f32(1.0):
        return np.int64(n)
    return np.int64(c * n + f32(0.5))


def gamma_table(gamma: float) -> np.ndarray:
    """uint8 of ``(n / LUT_SIZE)^γ`` rounded, n = 0..LUT_SIZE: the last step of the projection without a
    power per pixel (within one level of the exact value the GPU computes)."""
    x = np.arange(LUT_SIZE + 1, dtype=np.float64) / LUT_SIZE
    return np.floor(x ** gamma * 255.0 + 0.5).astype(np.uint8)


@njit(cache=True, parallel=True, nogil=True)
def geometry(Q, G):
    """Per output pixel of ``G`` (8, Ho, Wo): latitude (NaN outside the picture), longitude relative
    to the camera's, the surface normal in the camera-longitude frame (cos φ sin λ, sin φ, cos φ cos λ),
    and the pixel's ray through the atmosphere (``_atmosphere_row``: table row, screen direction).
    Depends only on the size, the morph ``k``, the scales and the camera latitude (``Q[0:4]``), so a
    turning globe or a fixed map reuses it from frame to frame.

    The same numbers as ``pixel_position`` (with the camera longitude 0), with what depends only on
    the row or the frame computed once: the globe's unwrapping recomputes this every frame."""
    Ho, Wo = G.shape[1], G.shape[2]
    k = Q[0]
    clat, slat = np.cos(Q[3]), np.sin(Q[3])
    for py in prange(Ho):
        y = (f32(Ho) * f32(0.5) - f32(py) - f32(0.5)) / Q[2]
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
            x = (f32(px) + f32(0.5) - f32(Wo) * f32(0.5)) / Q[1]
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
            row, ux, uy = _atmosphere_row(x, y)
            # the picture is mirror symmetric about the centre column: x → −x gives λ → −λ, the
            # normal's first component and the ray's screen x change sign, nothing else
            for side in range(2):
                q = px if side == 0 else Wo - 1 - px
                sg = f32(1.0) if side == 0 else f32(-1.0)
                G[0, py, q] = lat if inside else np.nan
                G[1, py, q] = sg * lon
                G[2, py, q] = sg * n0
                G[3, py, q] = n1
                G[4, py, q] = n2
                G[5, py, q] = row
                G[6, py, q] = sg * ux
                G[7, py, q] = uy


@njit(cache=True, parallel=True, nogil=True)
def project(A, B, G, Q, lut, T, out):
    """Fill ``out`` (Ho, Wo, 3) uint8 from cell colours ``A`` (and ``B``), the pixel geometry ``G``
    (``geometry``), the parameters ``Q``, the gamma table ``lut`` and the atmosphere table ``T``
    (``atmosphere_table``, read when ``Q[11]`` > 0)."""
    Ho, Wo = out.shape[0], out.shape[1]
    wipe, soft, night, light = Q[5], Q[6], Q[7], Q[17]
    k = Q[0]
    atm = Q[11] * smoothstep(f32(0.85), f32(1.0), k)
    bg0, bg1, bg2 = f32(0.004), f32(0.005), f32(0.012)
    cb, sb = np.cos(Q[4]), np.sin(Q[4])
    # the sun in the camera-longitude frame of G's normals
    s0 = Q[8] * cb - Q[10] * sb
    s1 = Q[9]
    s2 = Q[8] * sb + Q[10] * cb
    n = f32(LUT_SIZE)
    ex, ey = _sun_screen_axis(Q[14], Q[15])
    H, W = A.shape[0], A.shape[1]
    flat = k <= f32(0.0) and wipe < f32(0.0)      # the plain map: separable sampling tables
    col_i0 = np.zeros(Wo, np.int64)
    col_i1 = np.zeros(Wo, np.int64)
    col_fu = np.zeros(Wo, np.float32)
    row_j0 = np.zeros(Ho, np.int64)
    row_j1 = np.zeros(Ho, np.int64)
    row_fv = np.zeros(Ho, np.float32)
    if flat:
        for px in range(Wo):
            lon = G[1, 0, px] + Q[4]
            u = lon / TWO_PI * f32(W) - f32(0.5)
            if not abs(u) < f32(1e9):                 # NaN or inf: no float becomes an index
                u = f32(0.0)
            fi = np.floor(u)
            i0 = np.int64(fi) % W
            col_i0[px] = i0
            col_i1[px] = i0 + 1 if i0 + 1 < W else 0
            col_fu[px] = u - fi
        for py in range(Ho):
            lat = G[0, py, Wo // 2]
            v = (HALF_PI - lat) / PI * f32(H) - f32(0.5)
            if not abs(v) < f32(1e9):                 # a row outside the picture (NaN): never drawn
                v = f32(0.0)
            fj = np.floor(v)
            row_j0[py] = min(max(np.int64(fj), 0), H - 1)
            row_j1[py] = min(max(np.int64(fj) + 1, 0), H - 1)
            row_fv[py] = v - fj
    for py in prange(Ho):
        if flat and G[0, py, Wo // 2] == G[0, py, Wo // 2] and atm <= f32(0.0):
            j0 = row_j0[py]
            j1 = row_j1[py]
            fv = row_fv[py]
            for px in range(Wo):
                lat = G[0, py, px]
                if lat == lat:
                    i0 = col_i0[px]
                    i1 = col_i1[px]
                    fu = col_fu[px]
                    r, g, b = _blend(A, j0, j1, i0, i1, fu, fv)
                else:
                    r, g, b = bg0, bg1, bg2
                out[py, px, 0] = lut[_level(r * Q[12], n)]
                out[py, px, 1] = lut[_level(g * Q[12], n)]
                out[py, px, 2] = lut[_level(b * Q[12], n)]
            continue
        for px in range(Wo):
            lat = G[0, py, px]
            if lat == lat:
                lon = G[1, py, px] + Q[4]
                r, g, b = _sample(A, lat, lon)
                if wipe >= f32(0.0):
                    wb = min(max((wipe - (f32(px) + f32(0.5)) / f32(Wo)) / soft + f32(0.5), f32(0.0)), f32(1.0))
                    if wb > f32(0.0):
                        r2, g2, b2 = _sample(B, lat, lon)
                        r, g, b = _mix(r, g, b, r2, g2, b2, wb)
                elif night > f32(0.0) or light > f32(0.0):
                    d = G[2, py, px] * s0 + G[3, py, px] * s1 + G[4, py, px] * s2
                    lam = f32(1.0) - light + light * min(max(f32(0.2) + d, f32(0.0)), f32(1.0))
                    r, g, b = r * lam, g * lam, b * lam
                    wn = night * smoothstep(f32(0.08), f32(-0.08), d)
                    if wn > f32(0.0):
                        r2, g2, b2 = _sample(B, lat, lon)
                        r, g, b = _mix(r, g, b, r2, g2, b2, wn)
            else:
                r, g, b = bg0, bg1, bg2
            if atm > f32(0.0) and G[5, py, px] >= f32(0.0):
                a0, a1, a2, t0, t1, t2 = _atmosphere_lookup(G[5, py, px], G[6, py, px], G[7, py, px], T, ex, ey)
                r = r + (r * t0 - r + a0) * atm
                g = g + (g * t1 - g + a1) * atm
                b = b + (b * t2 - b + a2) * atm
            out[py, px, 0] = lut[_level(r * Q[12], n)]
            out[py, px, 1] = lut[_level(g * Q[12], n)]
            out[py, px, 2] = lut[_level(b * Q[12], n)]
