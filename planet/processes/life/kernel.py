"""The life step in one parallel pass over bands of rows (``planet.processes.life.stage`` has the rules).

Per band of ``BAND`` rows, and for one halo row either side: the cells **ride** (each reads its
values at the plate's source cell, ``source.flat[j W + i]``, instead of a ridden copy of five fields
being made first), then moisture, plant growth and the Lotka–Volterra update are computed into
band-sized row buffers; humans for the band's own rows; then the populations' land diffusion
(``planet.processes.life.diffusion``'s 5-point stencil, the land mask read from the elevation)
writes the band's output rows from the buffers. The halo rows are computed twice (by their own
band and by their neighbour's), the same arithmetic each time, so the result does not depend on the
band size nor on the threads; no full-size temporary is allocated (the old passes wrote five ridden
fields, three undiffused populations and a float land mask per step). Every operation is the one
the separate kernels did, in the same float32 order, so the results are theirs bit for bit.

Humans go in two parts per row (``_humans_row``): a loop without branches over the cells (the
ridden value, the sea, the heat decline, and which cells could be settled), then the settlement
candidates alone, or, in rows next to humans, the cells that could be settled; the rows next to
humans are only looked for in the settlement window, and not at all while nobody lives anywhere.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.core.noise import STREAM_SETTLE, STREAM_SPREAD, random_bits, uniform
from planet.core.timeline import smoothstep
from planet.processes.life.diffusion import _diffuse_row
from planet.processes.zeros import flushed, or_bits

f32 = np.float32

#: rows per band of the fused pass (a halo row either side is computed twice), up to 1024 columns; 16 beyond,
#: so that a band's five row buffers stay within a core's L2 (the result does not depend on the band size)
BAND = 32

#: the float32 constants of the step (its vector ``k``), by name
K_D, K_DT, K_POP_MIN, K_POP_MAX, K_M_MAX, K_M_LOSS, K_M_GAIN, K_W_CAP, K_SETTLE_M, K_T_MIN, K_T_MAX, \
    K_HEAT_LIMIT, K_HEAT_DECLINE, K_RAIN = range(14)


@njit(cache=True, nogil=True, inline="always")
def plant_growth(m, T):
    """Plant growth ``G(m, T) = clamp(m/3, 0, 1) (smoothstep(0, 25, T) − smoothstep(25, 35, T))``
    for float32 scalars (the atmosphere's CO2 uptake and the renderer use it too)."""
    return (min(max(m / f32(3.0), f32(0.0)), f32(1.0))
            * (smoothstep(f32(0.0), f32(25.0), T) - smoothstep(f32(25.0), f32(35.0), T)))


@njit(cache=True, nogil=True, inline="always")
def _at(src, ride, n):
    """The flat cell whose values cell ``n`` takes: ``src[n]`` when riding, else ``n``."""
    return src[n] if ride else n


@njit(cache=True, nogil=True, inline="always")
def _skip(seed, step, j, k, log_q, W):
    """Cells to skip before the next candidate: geometric with success probability ``1 − e^{log_q}``."""
    if log_q == -np.inf:
        return np.int64(0)
    u = uniform(seed, STREAM_SETTLE, step, -(j * 1048576 + k) - 1)
    g = np.floor(np.log1p(-u) / log_q)
    return np.int64(min(g, np.float64(W)))


@njit(cache=True, nogil=True, inline="always")
def _settled_neighbours(hf, src, ride, j, i, H, W):
    """Bit d set if the 4-neighbour d (N, E, S, W; polar reflection) holds humans (after riding)."""
    half = W // 2
    opposite = i + half if i < W - half else i + half - W   # the column half a turn away
    jn = j - 1 if j > 0 else 0
    i_n = i if j > 0 else opposite
    js = j + 1 if j < H - 1 else H - 1
    i_s = i if j < H - 1 else opposite
    ie = i + 1 if i + 1 < W else 0
    iw = i - 1 if i > 0 else W - 1
    mask = 0
    if hf[_at(src, ride, jn * W + i_n)] > 0:
        mask |= 1
    if hf[_at(src, ride, j * W + ie)] > 0:
        mask |= 2
    if hf[_at(src, ride, js * W + i_s)] > 0:
        mask |= 4
    if hf[_at(src, ride, j * W + iw)] > 0:
        mask |= 8
    return mask


@njit(cache=True, nogil=True)
def _human_rows(hf, src, ride, H, W, settle_window):
    """Per row: ``near``, humans in it or next to it after riding (looked for in the settlement window
    only; quiet rows skip the neighbour look-up), and ``quiet``, every ridden value +0 (all bits clear) and
    not near, so that the row's humans are +0 but for new settlements (``_settle_quiet_row``)."""
    bits = hf.view(np.uint32)
    near = np.zeros(H, dtype=np.bool_)
    quiet = np.ones(H, dtype=np.bool_)
    if or_bits(bits) == 0:          # +0 everywhere: nobody anywhere (the ridden values are some of these)
        return near, quiet
    occupied = np.zeros(H, dtype=np.bool_)
    for j in range(H):
        row_bits = np.uint32(0)
        occ = False
        for i in range(W):
            v = _at(src, ride, j * W + i)
            row_bits |= bits[v]
            occ |= hf[v] > f32(0.0)
        occupied[j] = occ
        quiet[j] = row_bits == 0
    if settle_window:
        for j in range(H):
            near[j] = occupied[j] or (j > 0 and occupied[j - 1]) or (j < H - 1 and occupied[j + 1]) \
                or ((j == 0 or j == H - 1) and occupied[j])
    for j in range(H):
        quiet[j] = quiet[j] and not near[j]
    return near, quiet


@njit(cache=True, nogil=True, inline="always")
def _moisture_row(j, m_in, temperature, vapour, rain, elevation, m_row, k, gain):
    """Soil moisture along row ``j`` into ``m_row`` from the ridden ``m_in``: loss with warmth, gain from
    the vapour and the rain (``gain`` 0 before ocean end); the sea holds ``m_max``."""
    D, m_max, m_loss, w_cap, k_rain = k[K_D], k[K_M_MAX], k[K_M_LOSS], k[K_W_CAP], k[K_RAIN]
    W = m_row.shape[0]
    zero = f32(0.0)
    for i in range(np.uint64(W)):
        T = temperature[j, i]
        m = m_in[i]
        m *= f32(1.0) - m_loss * m * min(max(T, zero), f32(15.0))
        m += gain * min(max(vapour[j, i] + k_rain * rain[j, i], zero), w_cap)
        m = min(max(m, zero), m_max)
        m = flushed(m)                                # no subnormal floats (zeros.ZERO_BELOW)
        m_row[i] = m if elevation[j, i] >= D else m_max


@njit(cache=True, nogil=True, inline="always")
def _populations_row(j, init, initial, v_in, r_in, x_in, temperature, elevation, m_row, v_row, r_row, x_row, k):
    """Plants, prey and predators along row ``j`` (Lotka–Volterra, ``stage`` docstring) from the ridden
    ``v_in, r_in, x_in``; the initial populations before ocean end; 0 at sea. Selects, no branches."""
    D, dt, pop_min, pop_max = k[K_D], k[K_DT], k[K_POP_MIN], k[K_POP_MAX]
    W = m_row.shape[0]
    zero = f32(0.0)
    one = f32(1.0)
    if init:
        for i in range(np.uint64(W)):
            land = elevation[j, i] >= D
            v_row[i] = initial[0, j, i] if land else zero
            r_row[i] = initial[1, j, i] if land else zero
            x_row[i] = initial[2, j, i] if land else zero
        return
    for i in range(np.uint64(W)):
        T = temperature[j, i]
        z = elevation[j, i]
        V = v_in[i]
        R = r_in[i]
        X = x_in[i]
        G = plant_growth(m_row[i], T)
        rho = f32(2.0) + min(max(T, f32(-15.0)), f32(15.0)) / f32(30.0)
        pi = f32(2.0) - min(max(f32(0.4) * max(z - D, zero), f32(0.5)), f32(1.5))
        V += dt * V * (G - R)
        R += dt * R * (rho * V - pi * X - f32(0.5))
        X += dt * X * (pi * R - one)
        land = z >= D
        v_row[i] = min(max(V, pop_min), pop_max) if land else zero
        r_row[i] = min(max(R, pop_min), pop_max) if land else zero
        x_row[i] = min(max(X, pop_min), pop_max) if land else zero


@njit(cache=True, nogil=True, inline="always")
def _ride_row(j, src, mf, vf, rf, xf, init, gm, gv, gr, gx):
    """Row ``j`` of moisture (and, after ocean end, the populations) as they ride: ``f.flat[src[j W + i]]``
    (where nothing rides, ``life_step`` reads the fields' own rows instead)."""
    W = gm.shape[0]
    base = np.uint64(j * W)
    # unsigned indices, here and in the other row loops: a signed index is tested for wrapping around from
    # the end of its axis on every access, and those tests kept the loops from vectorising
    for i in range(np.uint64(W)):
        s = src[base + i]
        gm[i] = mf[s]
        if not init:
            gv[i] = vf[s]
            gr[i] = rf[s]
            gx[i] = xf[s]


@njit(cache=True, nogil=True, inline="always")
def _settle_quiet_row(j, temperature, elevation, m_row, h_row, seed, step, log_q, settle_window, k):
    """``_humans_row`` for a quiet row (``_human_rows``): every ridden value +0 and no humans next to the row,
    so every cell's humans stay +0 (the heat decline of 0 is +0) but for the settlement candidates (the same
    draws) where the cell can be settled."""
    D, settle_m, t_min, t_max = k[K_D], k[K_SETTLE_M], k[K_T_MIN], k[K_T_MAX]
    W = h_row.shape[0]
    for i in range(W):
        h_row[i] = f32(0.0)
    if not settle_window:
        return
    next_c = _skip(seed, step, j, 0, log_q, W)
    draws = 1
    while next_c < W:
        T = temperature[j, next_c]
        land = not (elevation[j, next_c] < D)
        if land and m_row[next_c] > settle_m and t_min < T and T < t_max:
            h_row[next_c] = f32(1.0)
        next_c += 1 + _skip(seed, step, j, draws, log_q, W)
        draws += 1


@njit(cache=True, nogil=True, inline="always")
def _humans_row(j, hf, src, ride, temperature, elevation, m_row, h_row, ok_row, row_near, seed, step, log_q,
                settle_window, k):
    """Humans along row ``j``: new settlements at candidate cells drawn with probability
    ``settle_p`` each by geometric skipping along the row (one draw per row plus one per
    candidate), spread from a random settled 4-neighbour, decline under lethal heat.

    First every cell as if it were not settled anew (the ridden value, 0 at sea, the heat decline where
    the cell cannot be settled), in a loop without branches that vectorises, which also marks in ``ok_row``
    the cells that can be settled; then the candidates and, in rows near humans, the settled neighbours of
    those cells only (the same rules and draws, so the same result as one loop over the cells)."""
    D, settle_m, t_min, t_max = k[K_D], k[K_SETTLE_M], k[K_T_MIN], k[K_T_MAX]
    heat_limit, heat_decline = k[K_HEAT_LIMIT], k[K_HEAT_DECLINE]
    H, W = elevation.shape
    zero = f32(0.0)
    one = f32(1.0)
    base = j * W
    ubase = np.uint64(base)         # (unsigned indices: ``_ride_row``)
    if ride:
        for i in range(np.uint64(W)):
            h_row[i] = hf[src[ubase + i]]
    else:
        for i in range(np.uint64(W)):
            h_row[i] = hf[ubase + i]
    any_ok = False
    for i in range(W):
        hum = h_row[i]
        T = temperature[j, i]
        land = not (elevation[j, i] < D)
        ok = settle_window & land & (hum < one) & (m_row[i] > settle_m) & (t_min < T) & (T < t_max)
        hot = land & (not ok) & (T > heat_limit)
        h = max(hum - heat_decline, zero) if hot else hum
        h_row[i] = h if land else zero
        ok_row[i] = ok
        any_ok |= ok
    if not settle_window:
        return
    draws = 0
    next_c = _skip(seed, step, j, draws, log_q, W)
    draws += 1
    if any_ok and not row_near:      # only the candidates can be settled: visit them alone
        while next_c < W:
            if ok_row[next_c]:
                h_row[next_c] = one
            next_c += 1 + _skip(seed, step, j, draws, log_q, W)
            draws += 1
    elif any_ok:
        for i in range(W):
            if not ok_row[i]:
                if i == next_c:
                    next_c += 1 + _skip(seed, step, j, draws, log_q, W)
                    draws += 1
                continue
            if i == next_c:
                next_c += 1 + _skip(seed, step, j, draws, log_q, W)
                draws += 1
                h_row[i] = one
            elif row_near:
                mask = _settled_neighbours(hf, src, ride, j, i, H, W)
                if mask != 0:  # look at one random 4-neighbour (drawn only when it can matter)
                    pick = random_bits(seed, STREAM_SPREAD, step, base + i) >> np.uint64(62)
                    if (mask >> np.int64(pick)) & 1:
                        h_row[i] = one


@njit(cache=True, nogil=True, parallel=True)
def life_step(src, ride, moisture, vegetation, prey, predators, humans, elevation, temperature, vapour, rain,
              initial, seed, step, settle_p, init, wet, settle_window, no_humans, k, kv, kr, kx,
              m_out, v_out, r_out, x_out, h_out):
    """The whole life step into ``m_out … h_out`` (module docstring). ``src``: the flat source cell of
    each cell (``ride``), ``k``: the float32 constants (``K_*``), ``kv, kr, kx``: ``dt · D`` of the
    diffusion (applied after ocean end, ``not init``); flags as ``LifeStage.advance`` sets them. ``h_out`` with
    no rows: the humans are known to be 0 everywhere after this step (nobody settles, rides or declines),
    and are not written."""
    H, W = elevation.shape
    mf = moisture.ravel()
    vf = vegetation.ravel()
    rf = prey.ravel()
    xf = predators.ravel()
    hf = humans.ravel()
    gain = k[K_M_GAIN] if wet else f32(0.0)
    D = k[K_D]
    pop_min = k[K_POP_MIN]
    log_q = np.log1p(-settle_p) if settle_p < 1.0 else -np.inf
    humans_zero = h_out.shape[0] == 0
    if humans_zero or no_humans:
        near = quiet = np.zeros(H, dtype=np.bool_)
    else:
        near, quiet = _human_rows(hf, src, ride, H, W, settle_window)
    diffuse = not init
    band_rows = BAND if W <= 1024 else 16
    nb = (H + band_rows - 1) // band_rows
    for band in prange(nb):
        j0 = band * band_rows
        j1 = min(j0 + band_rows, H)
        lo = max(j0 - 1, 0) if diffuse else j0
        hi = min(j1 + 1, H) if diffuse else j1
        n = hi - lo
        mb = np.empty((n, W), dtype=np.float32)
        vb = np.empty((n, W), dtype=np.float32)
        rb = np.empty((n, W), dtype=np.float32)
        xb = np.empty((n, W), dtype=np.float32)
        lb = np.empty((n, W), dtype=np.float32)
        gm = np.empty(W, dtype=np.float32)
        gv = np.empty(W, dtype=np.float32)
        gr = np.empty(W, dtype=np.float32)
        gx = np.empty(W, dtype=np.float32)
        ok_row = np.empty(W, dtype=np.bool_)
        hz = np.zeros(W, dtype=np.float32)          # the humans' row when they are known to be 0
        for r in range(lo, hi):
            b = r - lo
            if ride:
                _ride_row(r, src, mf, vf, rf, xf, init, gm, gv, gr, gx)
                m_in, v_in, r_in, x_in = gm, gv, gr, gx
            else:           # the fields' own rows (a copy into the buffers was a tenth of the pass)
                m_in, v_in, r_in, x_in = moisture[r], vegetation[r], prey[r], predators[r]
            _moisture_row(r, m_in, temperature, vapour, rain, elevation, mb[b], k, gain)
            _populations_row(r, init, initial, v_in, r_in, x_in, temperature, elevation, mb[b], vb[b], rb[b], xb[b],
                             k)
            for i in range(W):
                lb[b, i] = f32(1.0) if elevation[r, i] >= D else f32(0.0)
        for j in range(j0, j1):
            b = j - lo
            for i in range(W):
                m_out[j, i] = mb[b, i]
            h_row = hz
            if humans_zero:
                pass
            elif no_humans:
                h_row = h_out[j]
                for i in range(W):
                    h_row[i] = f32(0.0)
            elif quiet[j]:
                h_row = h_out[j]
                _settle_quiet_row(j, temperature, elevation, mb[b], h_row, seed, step, log_q, settle_window, k)
            else:
                h_row = h_out[j]
                _humans_row(j, hf, src, ride, temperature, elevation, mb[b], h_row, ok_row, near[j], seed, step,
                            log_q, settle_window, k)
            if diffuse:
                _diffuse_row(j, lo, H, W, vb, rb, xb, lb, h_row, kv, kr, kx, pop_min, v_out[j], r_out[j], x_out[j])
            else:
                for i in range(W):
                    v_out[j, i] = vb[b, i]
                    r_out[j, i] = rb[b, i]
                    x_out[j, i] = xb[b, i]
