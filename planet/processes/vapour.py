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

The climate-map sources are blended to each full column reading the climate columns in order
(``climate.coarse.expand_parts``) where the grid is 2 or 4 times the map. Away from the poles the
advection first computes every departure cell's weights along the row (a loop that vectorises). Where
the wind moves at most a cell a step (``vmax · scale ≤ 1``: up to 512 columns) every corner is then
usually among the nine cells around the cell, and the samples read those nine and choose the corners
by selects, a loop that vectorises too (``_near_row``; a row where some corner is not among them is
gathered); else the corners' values are gathered (scalar loads) and weighed in one loop. Either way
the products and sums are ``sampling._interior_sample``'s. (Gathering into four row buffers first and
weighing them in a second, vectorised loop was no faster: on one thread at 1024 columns the pass
took 2.9–3.0 ms either way, at 512 columns 0.71–0.73 against 0.75–0.76 ms. The nine cells took the
pass at 512 columns from 0.46 to 0.42 ms at t = 130 s, 0.58 to 0.48–0.51 ms at t = 200 s with the
CO2, on two threads, same bits.)

The climate map's divergence (``divergence``) clamps each cell's wind once, not once per neighbour.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.processes.climate.coarse import column_pattern, expand_parts
from planet.processes.life.stage import plant_growth
from planet.processes.sampling import _bilinear, _interior_sample, _interior_weights
from planet.processes.zeros import flushed, or_bits

f32 = np.float32

#: rows per chunk of ``vapour_step`` (the row buffers are allocated once per chunk)
CHUNK = 8


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _wind_row(j, wind_u, wind_v, vmax, scale, ry, rx, cu, cv):
    """Departure points ``x − v`` (``|v|`` clamped, the NaN/inf guard of ``atmosphere._departure``) and
    the clamped wind (``sampling._clamp_wind``) along row ``j``; branch-free, so that it vectorises."""
    W = ry.shape[0]
    zero = f32(0.0)
    one = f32(1.0)
    vmax2 = vmax * vmax
    fj = f32(j)
    for i in range(W):
        u0 = wind_u[j, i]
        v0 = wind_v[j, i]
        s2 = u0 * u0 + v0 * v0
        s = np.sqrt(s2)
        q = vmax / s
        k = q if s2 > vmax2 else one
        dy = v0 * k * scale
        dx = u0 * k * scale
        ok = (abs(dy) <= f32(1e6)) & (abs(dx) <= f32(1e6))   # NaN/inf wind: no float becomes an index
        ry[i] = fj + (dy if ok else zero)
        rx[i] = f32(i) - (dx if ok else zero)
        kc = q if s > vmax else one
        cu[i] = u0 * kc if s > vmax else u0
        cv[i] = v0 * kc if s > vmax else v0


@njit(cache=True, nogil=True, inline="always")
def _gather_row(flat, n0, n1, q00, q01, q10, q11, W, out):
    """``out[i]``: the bilinear sample of ``flat`` (a field's cells in row order) with the corners at
    ``n0[i]``, ``n1[i]`` and one row below (``W`` further), weights ``q``: ``_interior_sample``'s sum."""
    w = np.uint64(W)
    n = out.shape[0]
    for i in range(n):
        a = n0[i]
        b = n1[i]
        out[i] = flat[a] * q00[i] + flat[b] * q01[i] + flat[a + w] * q10[i] + flat[b + w] * q11[i]


@njit(cache=True, nogil=True, inline="always")
def _near_row(j, field, sel, q00, q01, q10, q11, out):
    """``out[i]`` for ``0 < i < W − 1``: the bilinear sample of ``field`` whose corners are among the nine
    cells around ``(j, i)``: the top-left corner at row ``j − 1 + sel[0, i]`` (0 or 1), column
    ``i − 1 + sel[1, i]`` (0 or 1, or 2 where the departure point lies on the next column, whose east
    corners weigh 0: they are then read from that column, which changes no bit of a sum of finite values
    ≥ 0), weights ``q``. The nine cells are read unconditionally and the corners chosen by selects, so
    that the loop vectorises; the products and sums are ``_gather_row``'s."""
    W = out.shape[0]
    up = field[j - 1]
    mid = field[j]
    dn = field[j + 1]
    rs = sel[0]
    cs = sel[1]
    one = np.uint64(1)
    two = np.uint64(2)
    for k in range(W - 2):
        u = np.uint64(k)
        i = u + one
        r = rs[i] != 0
        c = cs[i] != 0
        c2 = cs[i] == 2
        ul = up[u]
        uc = up[i]
        ur = up[u + two]
        ml = mid[u]
        mc = mid[i]
        mr = mid[u + two]
        dl = dn[u]
        dc = dn[i]
        dr = dn[u + two]
        top_l = ml if r else ul
        top_c = mc if r else uc
        top_r = mr if r else ur
        bot_l = dl if r else ml
        bot_c = dc if r else mc
        bot_r = dr if r else mr
        a00 = top_r if c2 else (top_c if c else top_l)
        a01 = top_r if c else top_c
        a10 = bot_r if c2 else (bot_c if c else bot_l)
        a11 = bot_r if c else bot_c
        out[i] = a00 * q00[i] + a01 * q01[i] + a10 * q10[i] + a11 * q11[i]


@njit(cache=True, nogil=True, inline="always")
def _advect_row(j, vapour, co2, with_co2, polar, near, ry, rx, wr, cr, n0, n1, q00, q01, q10, q11, sel):
    """Bilinear samples of vapour (and CO2) at the departure points of row ``j`` (``_advected``);
    ``n0 … q11``: row buffers (the corners and the weights), ``sel`` an int32 ``(2, W)`` buffer. ``near``:
    the wind moves at most a cell a step, so away from the poles each sample's corners are usually among
    the nine cells around it (``_near_row``); a row where one is not is gathered, and so are its end
    cells, whose corners may wrap."""
    H, W = vapour.shape
    zero = f32(0.0)
    if not with_co2:
        for i in range(W):
            cr[i] = zero
    if polar:
        for i in range(W):
            y = ry[i]
            x = rx[i]
            wr[i] = _bilinear(vapour, y, x, H, W)
            if with_co2:
                cr[i] = _bilinear(co2, y, x, H, W)
        return
    w32 = np.int32(W)             # 32-bit indices: the loops vectorise (``sampling._interior_weights``)
    if near and W > 2:
        # the weights, and each cell's top-left corner relative to the cell north-west of it, counting the
        # cells whose corners are not among the nine around them (a loop that vectorises)
        j0 = np.int32(j) - np.int32(1)
        one32 = np.int32(1)
        not01 = np.int32(-2)
        not03 = np.int32(-4)
        far = np.int32(0)      # cells whose corners are not among the nine
        east = np.int32(0)     # cells whose corners are in the columns east of them
        for i in range(W):
            r0, c0, c1, w00, w01, w10, w11 = _interior_weights(ry[i], rx[i], w32)
            q00[i] = w00
            q01[i] = w01
            q10[i] = w10
            q11[i] = w11
            rs = r0 - j0
            cs = c0 - (np.int32(i) - np.int32(1))
            sel[0, i] = rs
            sel[1, i] = cs
            far += np.int32(((rs & not01) | (cs & not03)) != 0)     # (integers only: it vectorises)
            east += np.int32(cs > one32)
        for i in (0, W - 1):
            far -= np.int32(((sel[0, i] & not01) | (sel[1, i] & not03)) != 0)
            east -= np.int32(sel[1, i] > one32)
        if east > 0:    # the column 2 only where the east weights are 0 (``_near_row``), never 3
            for i in range(1, W - 1):
                cs = sel[1, i]
                if cs > one32 and (cs > np.int32(2) or q01[i] != f32(0.0) or q11[i] != f32(0.0)):
                    far += np.int32(1)
        if far == 0:
            _near_row(j, vapour, sel, q00, q01, q10, q11, wr)
            if with_co2:
                _near_row(j, co2, sel, q00, q01, q10, q11, cr)
            for i in (0, W - 1):
                r0, c0, c1, w00, w01, w10, w11 = _interior_weights(ry[i], rx[i], w32)
                wr[i] = _interior_sample(vapour, r0, c0, c1, w00, w01, w10, w11)
                if with_co2:
                    cr[i] = _interior_sample(co2, r0, c0, c1, w00, w01, w10, w11)
            return
    # the corners' flat cells and the weights first (a loop that vectorises), then the samples (gathers):
    # the same weights and sums as ``_interior_sample``
    for i in range(W):
        r0, c0, c1, w00, w01, w10, w11 = _interior_weights(ry[i], rx[i], w32)
        n0[i] = np.uint64(r0 * w32 + c0)
        n1[i] = np.uint64(r0 * w32 + c1)
        q00[i] = w00
        q01[i] = w01
        q10[i] = w10
        q11[i] = w11
    _gather_row(vapour.ravel(), n0, n1, q00, q01, q10, q11, W, wr)
    if with_co2:
        _gather_row(co2.ravel(), n0, n1, q00, q01, q10, q11, W, cr)


@njit(cache=True, nogil=True, inline="always")
def _source_row(j, sources, row0, row1, row_w, col0, col1, col_w, f, relief, D, precipitation, with_all, f_all0,
                f_all1, f_sea, f_rain, h, s_all, s_sea, s_rain, ext):
    """The climate map's three source fields blended to row ``j`` and then to each column (the two
    terms of the source everywhere apart, as the old pass added them one by one; ``coarse.expand_parts``,
    ``f`` its column pattern; the source everywhere only ``with_all``, else ``f_all0``, ``f_all1`` are
    left as they are), and the row's ``max(relief − D, 0)`` with one wrapped cell either side
    (``s_all … ext``: climate-row buffers, ``Wc`` and ``Wc + 2``)."""
    W = f_all0.shape[0]
    Wc = sources.shape[2]
    zero = f32(0.0)
    one = f32(1.0)
    a = row0[j]
    b = row1[j]
    wy = row_w[j]
    if with_all:
        for ic in range(Wc):
            s_all[ic] = sources[0, a, ic] * (one - wy) + sources[0, b, ic] * wy
        expand_parts(s_all, ext, f, col0, col1, col_w, f_all0, f_all1)
    for ic in range(Wc):
        s_sea[ic] = sources[1, a, ic] * (one - wy) + sources[1, b, ic] * wy
        s_rain[ic] = sources[2, a, ic] * (one - wy) + sources[2, b, ic] * wy
    expand_parts(s_sea, ext, f, col0, col1, col_w, f_sea, h)
    for i in range(W):
        f_sea[i] = f_sea[i] + h[i]
    expand_parts(s_rain, ext, f, col0, col1, col_w, f_rain, h)
    for i in range(W):
        f_rain[i] = precipitation + f_rain[i] + h[i]
    for i in range(W):
        h[i + 1] = max(relief[j, i] - D, zero)
    h[0] = h[W]
    h[W + 1] = h[1]


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")  # x / 0 is inf, then not selected
def vapour_step(vapour, co2, advect, w_out, c_out, rain, rain_before, elevation, relief, humans, moisture,
                temperature, wind_u, wind_v, sources, row0, row1, row_w, col0, col1, col_w, D, scale,
                precipitation, orographic, vapour_max, emission, uptake, co2_max, with_co2, transpiration,
                upslope, vmax, lift_scale, co2_zero=False, source_zero=False):
    """Advect (if ``advect``) and apply the sources and sinks: new vapour into ``w_out``, CO2 into ``c_out``
    (0 unless ``with_co2``; not written when it has no rows and ``with_co2`` is false), the vapour the sinks
    removed into ``rain``. ``co2_zero``: ``co2`` is +0 everywhere (every bit clear; the caller's word), so it is
    not sampled; ``source_zero``: so is ``sources[0]`` (the early oceans' source), so it is not blended (checked
    here, not trusted). Vapour and rain below ``zeros.ZERO_BELOW`` are written as +0 (no subnormal floats). Per
    row, simple loops over row buffers that stay in L1 (the conditional rules as selects: they vectorise)."""
    H, W = vapour.shape
    zero = f32(0.0)
    one = f32(1.0)
    reach = min(np.int64(np.ceil(vmax * scale)) + 1, H)   # rows this close to a pole may sample over it
    near = vmax * scale <= one      # a departure point is at most a cell from its cell's centre
    grad_scale = f32(0.5) * f32(0.4) * scale         # central difference of h = 0.4 (z − D), per 512-column cell
    f = column_pattern(col0, col1, col_w, sources.shape[2])
    Wc = sources.shape[2]
    # CO2 +0 everywhere: its samples are +0 (weighted sums of +0, weights >= 0), so it is not sampled
    sample_co2 = with_co2 and not co2_zero
    # ``source_zero`` checked: a source with any bit set is blended all the same (an OR over the climate map)
    skip_source = source_zero and or_bits(sources[0].ravel().view(np.uint32)) == 0
    for chunk in prange((H + CHUNK - 1) // CHUNK):
        # the row buffers, once per chunk of rows (one allocation per row and buffer cost a tenth of the pass)
        fb = np.empty((16, W), dtype=np.float32)
        h = np.empty(W + 2, dtype=np.float32)       # the row's h / 0.4 with one wrapped cell either side
        sb = np.empty((3, Wc), dtype=np.float32)
        ext = np.empty(Wc + 2, dtype=np.float32)
        nb = np.empty((2, W), dtype=np.uint64)
        sel = np.empty((2, W), dtype=np.int32)
        f_all0, f_all1, f_sea, f_rain, ry, rx, cu, cv = fb[0], fb[1], fb[2], fb[3], fb[4], fb[5], fb[6], fb[7]
        wr, cr, w_in, growth = fb[8], fb[9], fb[10], fb[15]
        q00, q01, q10, q11 = fb[11], fb[12], fb[13], fb[14]
        if skip_source:
            fb[0:2] = zero      # f_all0, f_all1: the terms of a +0 source are +0 (weights >= 0), whatever the row
        for j in range(chunk * CHUNK, min(chunk * CHUNK + CHUNK, H)):
            _source_row(j, sources, row0, row1, row_w, col0, col1, col_w, f, relief, D, precipitation,
                        not skip_source, f_all0, f_all1, f_sea, f_rain, h, sb[0], sb[1], sb[2], ext)
            _wind_row(j, wind_u, wind_v, vmax, scale, ry, rx, cu, cv)
            if advect:
                _advect_row(j, vapour, co2, sample_co2, j < reach or j >= H - reach, near, ry, rx, wr, cr, nb[0],
                            nb[1], q00, q01, q10, q11, sel)
            else:
                for i in range(W):
                    wr[i] = vapour[j, i]
                    cr[i] = co2[j, i] if with_co2 else zero
            # sources, precipitation and rain-out (atmosphere module docstring)
            jn = max(j - 1, 0)
            js = min(j + 1, H - 1)
            for i in range(W):
                w = wr[i] + f_all0[i] + f_all1[i]
                m = moisture[j, i]
                T = temperature[j, i]
                w_sea = w + f_sea[i]
                # evapotranspiration: wet, growing land gives vapour back
                G = plant_growth(m, T)
                growth[i] = G           # (the CO2's uptake below reads it too)
                w_land = w + transpiration * G * rain_before[j, i]
                w = w_sea if elevation[j, i] <= D else (w_land if transpiration > zero else w)
                w_in[i] = w
                w -= min(max(f_rain[i], zero), one) * w
                # orographic lift: |∇h| with h = 0.4 max(0, z − D); rain shadows: only air blowing up the slope
                gx = (h[i + 2] - h[i]) * grad_scale
                gy = (max(relief[jn, i] - D, zero) - max(relief[js, i] - D, zero)) * grad_scale
                slope = np.sqrt(gx * gx + gy * gy)
                up = slope * (one - upslope) + upslope * max(cu[i] * gx + cv[i] * gy, zero)
                wr[i] = w
                rx[i] = up if upslope > zero else slope
            if lift_scale > zero:     # lifted air condenses a share of its vapour (inland.py)
                for i in range(W):
                    wr[i] -= (one - np.exp(-rx[i] / lift_scale)) * wr[i]
            else:
                for i in range(W):
                    wr[i] -= orographic * rx[i]
            for i in range(W):
                w = min(max(wr[i], zero), vapour_max)
                w = flushed(w)                             # no subnormal floats (zeros.ZERO_BELOW)
                rain[j, i] = flushed(max(w_in[i] - w, zero))
                w_out[j, i] = w
            if with_co2:
                for i in range(W):                  # (plant growth of this row's moisture and temperature)
                    hum = humans[j, i]
                    c = cr[i]
                    up_c = c + emission * hum
                    down_c = c - uptake * growth[i]
                    c = up_c if hum > zero else down_c
                    c_out[j, i] = min(max(c, zero), co2_max)
            elif c_out.shape[0] > 0:
                for i in range(W):
                    c_out[j, i] = zero


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")  # x / 0 is inf, not selected
def divergence(wind_u, wind_v, vmax):
    """``div v`` of the clamped wind by central differences in climate cells (y north; wrap in
    longitude, polar reflection: the row beyond a pole is that row at the opposite longitude with
    its meridional wind reversed). Each cell's wind is clamped once (``sampling._clamp_wind``)."""
    H, W = wind_u.shape
    cu = np.empty((H, W), dtype=np.float32)
    cv = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        for i in range(W):                # branch-free (selects), so that it vectorises
            u = wind_u[j, i]
            v = wind_v[j, i]
            s = np.sqrt(u * u + v * v)
            k = vmax / s
            cu[j, i] = u * k if s > vmax else u
            cv[j, i] = v * k if s > vmax else v
    out = np.empty((H, W), dtype=np.float32)
    half = W // 2
    for j in prange(H):
        # interior columns, then the two wrapped ones; the polar rows read the reflected row
        for i in range(1, W - 1):
            out[j, i] = (cu[j, i + 1] - cu[j, i - 1]) * f32(0.5)
        out[j, 0] = (cu[j, 1 if W > 1 else 0] - cu[j, W - 1]) * f32(0.5)
        out[j, W - 1] = (cu[j, 0] - cu[j, W - 2 if W > 1 else 0]) * f32(0.5)
        if j == 0 or j == H - 1:
            for i in range(W):
                io = i + half if i + half < W else i + half - W
                vn = -cv[0, io] if j == 0 else cv[j - 1, i]
                vs = -cv[H - 1, io] if j == H - 1 else cv[j + 1, i]
                out[j, i] = out[j, i] + (vn - vs) * f32(0.5)
        else:
            for i in range(W):
                out[j, i] = out[j, i] + (cv[j - 1, i] - cv[j + 1, i]) * f32(0.5)
    return out
