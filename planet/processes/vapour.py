"""The atmosphere's full-resolution vapour and CO2 step in one pass per row (``planet.processes.atmosphere``
has the rules; this module only fuses them).

Per cell, in the order of the rules: the semi-Lagrangian advection ``w ← w_prev(x − v)`` (bilinear,
wrap in longitude, polar reflection near the poles), then the sources and sinks of the vapour
(climate-map sources sampled bilinearly, ocean test per cell, evapotranspiration, precipitation,
rain-out, orographic lift, clamp) and the CO2 sources and sinks. Advected values stay in registers:
no advected field is written and read back, and the wind's length is taken once per cell for both
the departure point and the upslope clamp. Every operation is the one the separate kernels
(``atmosphere._advect_pair``, then the sources and sinks) did, in the same float32 order, so the
results are those kernels' bit for bit (``tests/test_atmosphere.py`` compares them).

With eddy mixing (``atmosphere.eddy_mixing_deg > 0``, ``planet.earth``) the advected vapour is
blurred over the whole grid before the sources; then ``advect = False`` and ``vapour``/``co2`` are
the already advected (and mixed) fields.

The climate map's divergence (``divergence``) clamps each cell's wind once, not once per neighbour.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.processes.life.stage import plant_growth
from planet.processes.sampling import _bilinear

f32 = np.float32


@njit(cache=True, nogil=True, inline="always")
def _sample(a, r0, c0, c1, w00, w01, w10, w11):
    return a[r0, c0] * w00 + a[r0, c1] * w01 + a[r0 + 1, c0] * w10 + a[r0 + 1, c1] * w11


@njit(cache=True, nogil=True, inline="always")
def _advected(vapour, co2, with_co2, u0, v0, s2, s, vmax, vmax2, scale, polar, j, i, fw):
    """Vapour and CO2 (0 unless ``with_co2``) at the departure point of cell ``(j, i)``: ``x − v`` with
    ``|v|`` clamped to ``vmax`` (``s2``, ``s``: the wind's squared length and length), bilinear."""
    H, W = vapour.shape
    zero = f32(0.0)
    one = f32(1.0)
    k = one
    if s2 > vmax2:
        k = vmax / s
    dy = v0 * k * scale
    dx = u0 * k * scale
    if not (abs(dy) <= f32(1e6) and abs(dx) <= f32(1e6)):   # NaN/inf wind: no float becomes an index
        dy = zero
        dx = zero
    y = f32(j) + dy
    x = f32(i) - dx
    if polar:
        return _bilinear(vapour, y, x, H, W), (_bilinear(co2, y, x, H, W) if with_co2 else zero)
    # y > 0 here and x + W > 0, so truncation is floor
    r0 = np.int64(y)
    fy = y - f32(r0)
    xs = x + fw
    c0 = np.int64(xs)
    fx = xs - f32(c0)
    c0 -= W
    if c0 < 0:
        c0 += W
    elif c0 >= W:
        c0 -= W
    c1 = c0 + 1
    if c1 == W:
        c1 = 0
    w00 = (one - fy) * (one - fx)
    w01 = (one - fy) * fx
    w10 = fy * (one - fx)
    w11 = fy * fx
    w = _sample(vapour, r0, c0, c1, w00, w01, w10, w11)
    return w, (_sample(co2, r0, c0, c1, w00, w01, w10, w11) if with_co2 else zero)


@njit(cache=True, nogil=True, parallel=True)
def vapour_step(vapour, co2, advect, w_out, c_out, rain, rain_before, elevation, relief, humans, moisture,
                temperature, wind_u, wind_v, sources, row0, row1, row_w, col0, col1, col_w, D, scale,
                precipitation, orographic, vapour_max, emission, uptake, co2_max, with_co2, transpiration,
                upslope, vmax, lift_scale):
    """Advect (if ``advect``) and apply the sources and sinks: new vapour into ``w_out``, CO2 into
    ``c_out`` (0 unless ``with_co2``), the vapour the sinks removed into ``rain``."""
    H, W = vapour.shape
    zero = f32(0.0)
    one = f32(1.0)
    vmax2 = vmax * vmax
    reach = min(np.int64(np.ceil(vmax * scale)) + 1, H)   # rows this close to a pole may sample over it
    fw = f32(W)
    grad_scale = f32(0.5) * f32(0.4) * scale         # central difference of h = 0.4 (z − D), per 512-column cell
    Wc = sources.shape[2]
    for j in prange(H):
        a = row0[j]
        b = row1[j]
        wy = row_w[j]
        # the three climate source fields interpolated to this row (the column blend follows per cell)
        s_all = np.empty(Wc, dtype=np.float32)
        s_sea = np.empty(Wc, dtype=np.float32)
        s_rain = np.empty(Wc, dtype=np.float32)
        for ic in range(Wc):
            s_all[ic] = sources[0, a, ic] * (one - wy) + sources[0, b, ic] * wy
            s_sea[ic] = sources[1, a, ic] * (one - wy) + sources[1, b, ic] * wy
            s_rain[ic] = sources[2, a, ic] * (one - wy) + sources[2, b, ic] * wy
        jn = max(j - 1, 0)
        js = min(j + 1, H - 1)
        polar = j < reach or j >= H - reach
        for i in range(W):
            u0 = wind_u[j, i]
            v0 = wind_v[j, i]
            s2 = u0 * u0 + v0 * v0
            s = np.sqrt(s2)
            if advect:                # atmosphere._departure and _advect_pair
                w, c = _advected(vapour, co2, with_co2, u0, v0, s2, s, vmax, vmax2, scale, polar, j, i, fw)
            else:
                w = vapour[j, i]
                c = co2[j, i] if with_co2 else zero
            # ---- vapour sources and sinks (atmosphere module docstring)
            ca = col0[i]
            cb = col1[i]
            wx = col_w[i]
            w = w + s_all[ca] * (one - wx) + s_all[cb] * wx
            z = elevation[j, i]
            if z <= D:
                w += s_sea[ca] * (one - wx) + s_sea[cb] * wx
            elif transpiration > zero:       # evapotranspiration: wet, growing land gives vapour back
                w += transpiration * plant_growth(moisture[j, i], temperature[j, i]) * rain_before[j, i]
            w_in = w
            w -= min(max(precipitation + s_rain[ca] * (one - wx) + s_rain[cb] * wx, zero), one) * w
            # orographic lift: |∇h| with h = 0.4 max(0, z − D)
            ie = i + 1 if i + 1 < W else 0
            iw = i - 1 if i > 0 else W - 1
            gx = (max(relief[j, ie] - D, zero) - max(relief[j, iw] - D, zero)) * grad_scale
            gy = (max(relief[jn, i] - D, zero) - max(relief[js, i] - D, zero)) * grad_scale
            slope = np.sqrt(gx * gx + gy * gy)
            if upslope > zero:        # rain shadows: only air blowing up the slope is lifted
                u = u0
                v = v0
                if s > vmax:          # sampling._clamp_wind
                    kc = vmax / s
                    u = u0 * kc
                    v = v0 * kc
                slope = slope * (one - upslope) + upslope * max(u * gx + v * gy, zero)
            if lift_scale > zero:     # lifted air condenses a share of its vapour (inland.py)
                w -= (one - np.exp(-slope / lift_scale)) * w
            else:
                w -= orographic * slope
            w = min(max(w, zero), vapour_max)
            rain[j, i] = max(w_in - w, zero)
            w_out[j, i] = w
            # ---- CO2
            if with_co2:
                hum = humans[j, i]
                if hum > zero:
                    c += emission * hum
                else:
                    c -= uptake * plant_growth(moisture[j, i], temperature[j, i])
                c = min(max(c, zero), co2_max)
            c_out[j, i] = c


@njit(cache=True, nogil=True)  # climate map only: too small to pay for threads
def divergence(wind_u, wind_v, vmax):
    """``div v`` of the clamped wind by central differences in climate cells (y north; wrap in
    longitude, polar reflection: the row beyond a pole is that row at the opposite longitude with
    its meridional wind reversed). Each cell's wind is clamped once (``sampling._clamp_wind``)."""
    H, W = wind_u.shape
    cu = np.empty((H, W), dtype=np.float32)
    cv = np.empty((H, W), dtype=np.float32)
    for j in range(H):
        for i in range(W):
            u = wind_u[j, i]
            v = wind_v[j, i]
            s = np.sqrt(u * u + v * v)
            if s > vmax:
                k = vmax / s
                u = u * k
                v = v * k
            cu[j, i] = u
            cv[j, i] = v
    out = np.empty((H, W), dtype=np.float32)
    half = W // 2
    for j in range(H):
        for i in range(W):
            ie = i + 1 if i + 1 < W else 0
            iw = i - 1 if i > 0 else W - 1
            io = i + half if i + half < W else i + half - W
            vn = -cv[0, io] if j == 0 else cv[j - 1, i]
            vs = -cv[H - 1, io] if j == H - 1 else cv[j + 1, i]
            out[j, i] = (cu[j, ie] - cu[j, iw]) * f32(0.5) + (vn - vs) * f32(0.5)
    return out
