"""Single scattering of the thin atmosphere seen on the globe (the CPU twin of ``shaders/project.frag``'s
sky): a table ray-marched over (distance from the disc centre, angle to the sun on screen) that every
pixel of the projection pass reads, made again only when the sun moves (``table_key``; the CPU
backend keeps it between frames), each row's sun-independent march once for its columns. Units of
the planet radius; all float32."""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.core.timeline import smoothstep

f32 = np.float32
HALF_PI = f32(np.pi / 2)


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


@njit(cache=True, inline="always")
def _phase(sz):
    """The Rayleigh and Mie (Cornette–Shanks, ``g = MIE_G``) phase functions towards the camera for the sun
    ``s``: the scattering angle's cosine is ``−sz`` (sunlight travels along −s, the ray to the camera along +z)."""
    mu = -sz
    pr = f32(0.0596831) * (f32(1.0) + mu * mu)
    g2 = MIE_G * MIE_G
    pm = f32(0.1193662) * (f32(1.0) - g2) * (f32(1.0) + mu * mu) \
        / ((f32(2.0) + g2) * (f32(1.0) + g2 - f32(2.0) * MIE_G * mu) ** f32(1.5))
    return pr, pm


#: the planes of a ray's sun-independent steps (``_ray_steps``; float32 (len, ATM_STEPS)): per step the
#: depth, radius, Rayleigh and Mie densities times the step, the shadow's grazing term ``√(1 − 1/r²)``,
#: the Chapman ``c = √(π r / 2 H)`` of each, the factors ``ρ H`` before the air mass, and the optical
#: depths to the step's middle
STEP_PLANES = ("z", "r", "rr", "rm", "grazing", "c_r", "c_m", "p_r", "p_m", "tr_at", "tm_at")
S_Z, S_R, S_RR, S_RM, S_GRAZING, S_CR, S_CM, S_PR, S_PM, S_TR, S_TM = range(len(STEP_PLANES))


@njit(cache=True, inline="always")
def _ray_steps(b2, steps):
    """What of ``_atmosphere``'s march along the ray at ``b2 = x² + y²`` does not depend on the sun, per
    step ``n`` into ``steps[:, n]`` (the planes of ``STEP_PLANES``). Returns the whole ray's depths ``(tr, tm)``;
    ``(-1, -1)`` for a ray that misses the atmosphere. ``_atmosphere`` is this and ``_scattered`` for
    one ray; the table shares this part between the suns of a row."""
    top2 = ATM_TOP * ATM_TOP
    if b2 >= top2:
        return f32(-1.0), f32(-1.0)
    zt = np.sqrt(top2 - b2)
    zend = np.sqrt(f32(1.0) - b2) if b2 < f32(1.0) else -zt
    ds = (zt - zend) / f32(ATM_STEPS)
    tr = f32(0.0)
    tm = f32(0.0)
    for n in range(ATM_STEPS):
        z = zt - (f32(n) + f32(0.5)) * ds
        rn = np.sqrt(b2 + z * z)
        hgt = max(rn - f32(1.0), f32(0.0))
        a = np.exp(-hgt / H_R) * ds
        m = np.exp(-hgt / H_M) * ds
        tr += f32(0.5) * a
        tm += f32(0.5) * m
        steps[S_Z, n] = z
        steps[S_R, n] = rn
        steps[S_RR, n] = a
        steps[S_RM, n] = m
        steps[S_GRAZING, n] = np.sqrt(max(f32(1.0) - f32(1.0) / (rn * rn), f32(0.0)))
        steps[S_CR, n] = np.sqrt(HALF_PI * rn / H_R)
        steps[S_CM, n] = np.sqrt(HALF_PI * rn / H_M)
        steps[S_PR, n] = a / ds * H_R
        steps[S_PM, n] = m / ds * H_M
        steps[S_TR, n] = tr
        steps[S_TM, n] = tm
        tr += f32(0.5) * a
        tm += f32(0.5) * m
    return tr, tm


@njit(cache=True, inline="always")
def _scattered(xy_s, sz, steps):
    """The in-scattered Rayleigh and Mie light ``(ir0, ir1, ir2, im0, im1, im2)`` along a ray whose
    sun-independent ``steps`` are ``_ray_steps``', for the sun with ``x·sx + y·sy = xy_s`` and ``sz``."""
    ir0 = f32(0.0)
    ir1 = f32(0.0)
    ir2 = f32(0.0)
    im0 = f32(0.0)
    im1 = f32(0.0)
    im2 = f32(0.0)
    for n in range(ATM_STEPS):
        mu = (xy_s + steps[S_Z, n] * sz) / steps[S_R, n]
        # in the planet's shadow beyond the grazing angle (softened over a few degrees)
        lit = smoothstep(f32(-0.04), f32(0.04), mu + steps[S_GRAZING, n])
        if lit > f32(0.0):
            sr = steps[S_PR, n] * _chapman(mu, steps[S_CR, n])
            sm = steps[S_PM, n] * _chapman(mu, steps[S_CM, n])
            em = f32(1.1) * BETA_M * (steps[S_TM, n] + sm)
            tr = steps[S_TR, n]
            a0 = np.exp(-(BETA_R[0] * (tr + sr) + em)) * lit
            a1 = np.exp(-(BETA_R[1] * (tr + sr) + em)) * lit
            a2 = np.exp(-(BETA_R[2] * (tr + sr) + em)) * lit
            rr = steps[S_RR, n]
            rm = steps[S_RM, n]
            ir0 += rr * a0
            ir1 += rr * a1
            ir2 += rr * a2
            im0 += rm * a0
            im1 += rm * a1
            im2 += rm * a2
    return ir0, ir1, ir2, im0, im1, im2


@njit(cache=True, inline="always")
def _sky(pr, pm, light):
    """The sky's colour from the in-scattered ``light`` (``_scattered``) and the phase functions (``_phase``)."""
    ir0, ir1, ir2, im0, im1, im2 = light
    return (SUN * (BETA_R[0] * pr * ir0 + BETA_M * pm * im0),
            SUN * (BETA_R[1] * pr * ir1 + BETA_M * pm * im1),
            SUN * (BETA_R[2] * pr * ir2 + BETA_M * pm * im2))


@njit(cache=True)
def _atmosphere(x, y, sx, sy, sz):
    """Single Rayleigh + Mie scattering along the orthographic ray through (x, y) in the camera frame
    (sun ``s`` in that frame). Returns (sky r, g, b, ground transmittance r, g, b).

    The ray enters the atmosphere's top at depth ``zt = √(top² − b²)`` (``b² = x² + y²``) and ends on
    the ground or leaves again; ``ATM_STEPS`` midpoint steps sum the densities ``e^{−h/H}`` (the optical
    depths ``tr``, ``tm`` towards the camera) and, where the sun is above the step's horizon, the light
    scattered there: attenuated on its way in by the Chapman air mass towards the sun and on its way
    out by the depth to the camera. ``atmosphere_table`` tabulates this; it takes the sun-independent
    part of each ray once for all its suns (``_ray_steps``, ``_scattered``)."""
    steps = np.empty((len(STEP_PLANES), ATM_STEPS), np.float32)
    tr, tm = _ray_steps(x * x + y * y, steps)
    if tr < f32(0.0):
        return f32(0.0), f32(0.0), f32(0.0), f32(1.0), f32(1.0), f32(1.0)
    pr, pm = _phase(sz)
    s0, s1, s2 = _sky(pr, pm, _scattered(x * sx + y * sy, sz, steps))
    t0, t1, t2 = _transmittance(tr, tm)
    return s0, s1, s2, t0, t1, t2


@njit(cache=True, inline="always")
def _transmittance(tr, tm):
    """The ground's transmittance ``e^{−(β_R tr + 1.1 β_M tm)}`` per colour for the ray's optical depths."""
    em = f32(1.1) * BETA_M * tm
    return np.exp(-(BETA_R[0] * tr + em)), np.exp(-(BETA_R[1] * tr + em)), np.exp(-(BETA_R[2] * tr + em))


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
    """``T`` (2, ATM_ROWS, ATM_ANGLES, 6): ``_atmosphere`` (sky, transmittance) tabulated for the sun
    ``(sx, sy, sz)``, the unit vector to it in the camera's (right, up, toward) frame
    (``Q[Q_SUN_CAM]`` of ``scene.projection_params``).

    For orthographic rays the scattering depends on the pixel only through its distance ``b`` from
    the disc's centre and the angle ``φ`` between its direction and the sun's on the screen (mirror
    symmetric), so one table per frame replaces a ray march per pixel. ``T[0]``: rays that hit the
    ground, rows uniform in ``c = sqrt(1 - b²)``; ``T[1]``: rays that miss it, rows uniform in
    ``b`` from 1 to the top of the atmosphere. A row's rays share ``b² = b·b``, so what of the march
    does not depend on the sun (``_ray_steps``: depths, densities, air-mass factors, the
    transmittance) is taken once per row, and each column adds only the sun's part (``_scattered``):
    ``_atmosphere(x, y, …)``'s values wherever ``x² + y²`` rounds to ``b·b``, and within float32
    rounding of them elsewhere.
    """
    ex, ey = _sun_screen_axis(sx, sy)
    pr, pm = _phase(sz)
    for n in prange(2 * ATM_ROWS):
        kind = n // ATM_ROWS
        row = n - kind * ATM_ROWS
        a = f32(row) / f32(ATM_ROWS - 1)
        if kind == 0:
            b = min(np.sqrt(max(f32(1.0) - a * a, f32(0.0))), f32(0.9999999))
        else:
            b = f32(1.0) + (ATM_TOP - f32(1.0)) * a * f32(0.9999)
        steps = np.empty((len(STEP_PLANES), ATM_STEPS), np.float32)
        tr, tm = _ray_steps(b * b, steps)
        if tr < f32(0.0):                    # a ray above the atmosphere: no sky, the ground seen whole
            for col in range(ATM_ANGLES):
                for c in range(6):
                    T[kind, row, col, c] = f32(0.0) if c < 3 else f32(1.0)
            continue
        t0, t1, t2 = _transmittance(tr, tm)
        for col in range(ATM_ANGLES):
            cphi = f32(-1.0) + f32(2.0) * f32(col) / f32(ATM_ANGLES - 1)
            sphi = np.sqrt(max(f32(1.0) - cphi * cphi, f32(0.0)))
            x = b * (cphi * ex - sphi * ey)
            y = b * (cphi * ey + sphi * ex)
            s0, s1, s2 = _sky(pr, pm, _scattered(x * sx + y * sy, sz, steps))
            T[kind, row, col, 0] = s0
            T[kind, row, col, 1] = s1
            T[kind, row, col, 2] = s2
            T[kind, row, col, 3] = t0
            T[kind, row, col, 4] = t1
            T[kind, row, col, 5] = t2


#: below this, the sun's screen components do not change the table (``table_key``)
BEHIND_CAMERA = 1e-12


def table_key(sx, sy, sz) -> tuple[float, float, float]:
    """The key of ``atmosphere_table`` for the sun ``(sx, sy, sz)``: two suns with one key give the
    same table bit for bit. The sun itself, except a sun behind the camera (|sx|, |sy| <=
    ``BEHIND_CAMERA``, |sz| >= ½: before day and night ``scene.projection_params`` puts it there,
    with components of 1e-16 that change as the globe turns), whose key is ``(0, 0, sz)``: its
    screen axis is ``(1, 0)`` whatever they are (``_sun_screen_axis``), and in ``_atmosphere``'s
    ``x·sx + y·sy + zs·sz`` their terms (at most 2.1e-12) are below a quarter of a float32 step of
    ``zs·sz`` (|zs| >= 3.3e-4 on every ray of the table), so every sum rounds as with 0
    (``tests/test_render_costs.py`` holds tables of such suns equal)."""
    sx, sy, sz = float(sx), float(sy), float(sz)
    if abs(sx) <= BEHIND_CAMERA and abs(sy) <= BEHIND_CAMERA and abs(sz) >= 0.5:
        return 0.0, 0.0, sz
    return sx, sy, sz


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
