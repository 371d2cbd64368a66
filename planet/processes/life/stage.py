"""Life stage (spec §7): soil moisture, vegetation, prey, predators and humans.

Everything here **rides on the plates**: each cell first takes the values of
the cell its plate content came from this step (``ctx.scratch["source"]``, written by
the lithosphere). Then, per cell, with ``T`` the surface temperature, ``w``
the vapour (both of this step), ``h = 0.4 max(0, z − D)`` and ocean ``z < D``:

* Moisture ``m ∈ [0, 5]``: ``m *= 1 − 1e-5 m clamp(T, 0, 15)``; after ocean
  end ``m += 3 clamp(w + k · rain, 0, 0.01)``; clamp; ocean cells ``m = 5``. **The rain reaches the
  soil** (``k = life.moisture_rain``, 1 by default; 0 is the spec): the spec wets the soil from the
  vapour ``w`` left *after* the atmosphere's sinks, so the vapour that rained out this step
  (``rain``, the atmosphere's diagnostic) never wet the ground it fell on. Since rising air rains
  out (``atmosphere.convergence_rain``), that was most of the rain over the tropics: the land with
  vapour ≥ 0.01 fell from 16 % to 7 % at 256 columns. Counting ``w + rain`` (the vapour the cell
  held before it rained) lets every shower wet the soil.
* Plant growth ``G(m, T) = clamp(m/3, 0, 1) (smoothstep(0, 25, T) −
  smoothstep(25, 35, T))``.
* Before ocean end: random populations ``(V, R, X) = hash32(cell) ⊙ (0.5, 1, 2)``
  (the spec's float32 hash at the cell centre ``(i + ½, j + ½)`` plus the
  seed's noise-domain offset, zero for seed 0); a function of the cell only,
  so it is computed once per grid and seed and cached.
* After it, on land, Lotka–Volterra with ``dt = 0.1``, reproduction
  ``ρ = 2 + clamp(T, −15, 15)/30``, evasion ``ε = clamp(h, 0.5, 1.5)``,
  predation ``π = 2 − ε``, each line using the values updated above it:

      V += dt V (G − R)
      R += dt R (ρ V − π X − 0.5)
      X += dt X (π R − 1)

  each clamped to ``[0.01, 5]``; then diffusion ``f += dt D Δf`` with
  ``D = (0.25, 0.5, 1)`` for ``(V, R, X)`` and the 5-point Laplacian over
  **land** neighbours (no flux into the sea; polar reflection across the
  poles; ``planet.processes.life.diffusion``), which conserves each total exactly
  up to rounding. Ocean cells hold no land life (0).
* Humans ``∈ [0, 1]`` (after human start, before warming start): a land cell
  with ``m > 4.9`` and ``5 < T < 30`` is settled (1) with probability 7e-7
  per step, or when the random 4-neighbour it looks at is settled. The
  settlement draws are made by geometric skipping along each row (the same
  independent per-cell probability, about one draw per row), and the
  neighbour is drawn only for cells with a settled neighbour, so quiet
  cells cost no hashing.
  Otherwise, where ``T > 35 °C``, settlements decline by 0.01 per step.
  After story end there are no humans. Settled cells hold no predators
  (they are kept at the floor 0.01): humans take their place, as in the
  reference.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.core.fields import owned_by
from planet.core.timeline import smoothstep
from planet.processes.life.diffusion import _diffuse
from planet.core.noise import STREAM_SETTLE, STREAM_SPREAD, hash32, random_bits, seed_offset, uniform

f32 = np.float32

FIELDS = owned_by("life")


@njit(cache=True, nogil=True, inline="always")
def plant_growth(m, T):
    """Plant growth ``G(m, T) = clamp(m/3, 0, 1) (smoothstep(0, 25, T) − smoothstep(25, 35, T))``
    for float32 scalars (the atmosphere's CO2 uptake and the renderer use it too)."""
    return (min(max(m / f32(3.0), f32(0.0)), f32(1.0))
            * (smoothstep(f32(0.0), f32(25.0), T) - smoothstep(f32(25.0), f32(35.0), T)))


def growth(moisture, temperature):
    """Plant growth ``G(m, T)`` elementwise (float32)."""
    return _growth_array(np.ascontiguousarray(moisture, dtype=np.float32),
                         np.ascontiguousarray(temperature, dtype=np.float32))


@njit(cache=True, nogil=True)
def _growth_array(m, T):
    out = np.empty(m.shape, dtype=np.float32)
    mf = m.ravel()
    Tf = T.ravel()
    of = out.ravel()
    for k in range(mf.size):
        of[k] = plant_growth(mf[k], Tf[k])
    return out


@njit(cache=True, nogil=True, inline="always")
def _skip(seed, step, j, k, log_q, W):
    """Cells to skip before the next candidate: geometric with success probability ``1 − e^{log_q}``."""
    if log_q == -np.inf:
        return np.int64(0)
    u = uniform(seed, STREAM_SETTLE, step, -(j * 1048576 + k) - 1)
    g = np.floor(np.log1p(-u) / log_q)
    return np.int64(min(g, np.float64(W)))


@njit(cache=True, nogil=True, inline="always")
def _settled_neighbours(hf, j, i, H, W):
    """Bit d set if the 4-neighbour d (N, E, S, W; polar reflection) holds humans."""
    half = W // 2
    opposite = i + half if i < W - half else i + half - W   # the column half a turn away
    jn = j - 1 if j > 0 else 0
    i_n = i if j > 0 else opposite
    js = j + 1 if j < H - 1 else H - 1
    i_s = i if j < H - 1 else opposite
    ie = i + 1 if i + 1 < W else 0
    iw = i - 1 if i > 0 else W - 1
    mask = 0
    if hf[jn * W + i_n] > 0:
        mask |= 1
    if hf[j * W + ie] > 0:
        mask |= 2
    if hf[js * W + i_s] > 0:
        mask |= 4
    if hf[j * W + iw] > 0:
        mask |= 8
    return mask


@njit(cache=True, nogil=True, parallel=True)
def _initial_populations(H, W, ox, oy):
    """``hash32(i + ½ + ox, j + ½ + oy) ⊙ (0.5, 1, 2)`` per cell: ``(3, H, W)`` (V, R, X)."""
    out = np.empty((3, H, W), dtype=np.float32)
    for j in prange(H):
        for i in range(W):
            a, b, c = hash32(f32(i) + f32(0.5) + ox, f32(j) + f32(0.5) + oy)
            out[0, j, i] = f32(0.5) * a
            out[1, j, i] = b
            out[2, j, i] = f32(2.0) * c
    return out


def settle_probability(p512: float, columns: int) -> float:
    """Per cell-step settlement probability at ``columns``: ``p512 · (512 / W)²`` (capped at 1), so
    settlements start at the same rate per unit area at any resolution (spec §4 [beyond])."""
    return min(1.0, p512 * (512.0 / columns) ** 2)


def initial_populations(grid, seed: int) -> np.ndarray:
    """The random populations before ocean end, ``(3, H, W)``: a function of the cell and seed only."""
    off = seed_offset(seed)
    return _initial_populations(grid.rows, grid.columns, off[0], off[1])


_NO_POPULATIONS = np.zeros((3, 1, 1), dtype=np.float32)


@njit(cache=True, nogil=True, parallel=True)
def _ride(source, a, b, c, d, e):
    """Each cell takes the values of the cell its plate content came from: ``out = field.flat[source]``."""
    H, W = source.shape
    outs = (np.empty((H, W), dtype=np.float32), np.empty((H, W), dtype=np.float32),
            np.empty((H, W), dtype=np.float32), np.empty((H, W), dtype=np.float32),
            np.empty((H, W), dtype=np.float32))
    af, bf, cf, df, ef = a.ravel(), b.ravel(), c.ravel(), d.ravel(), e.ravel()
    oa, ob, oc, od, oe = outs
    for j in prange(H):
        for i in range(W):
            s = source[j, i]
            oa[j, i] = af[s]
            ob[j, i] = bf[s]
            oc[j, i] = cf[s]
            od[j, i] = df[s]
            oe[j, i] = ef[s]
    return outs


#: the float32 constants of ``_local`` (its vector ``k``), by name
K_D, K_DT, K_POP_MIN, K_POP_MAX, K_M_MAX, K_M_LOSS, K_M_GAIN, K_W_CAP, K_SETTLE_M, K_T_MIN, K_T_MAX, \
    K_HEAT_LIMIT, K_HEAT_DECLINE, K_RAIN = range(14)


def local_constants(cfg, sea_level: float) -> np.ndarray:
    """``_local``'s vector ``k`` from the life configuration and the sea level now."""
    k = np.empty(14, dtype=np.float32)
    k[K_D], k[K_DT], k[K_POP_MIN], k[K_POP_MAX] = sea_level, cfg.dt, cfg.population_min, cfg.population_max
    k[K_M_MAX], k[K_M_LOSS], k[K_M_GAIN], k[K_W_CAP] = (cfg.moisture_max, cfg.moisture_loss, cfg.moisture_gain,
                                                     cfg.moisture_vapour_cap)
    k[K_SETTLE_M], k[K_T_MIN], k[K_T_MAX] = cfg.settle_moisture, cfg.settle_t_min, cfg.settle_t_max
    k[K_HEAT_LIMIT], k[K_HEAT_DECLINE], k[K_RAIN] = cfg.heat_limit, cfg.heat_decline, cfg.moisture_rain
    return k


@njit(cache=True, nogil=True)
def _near_rows(hf, H, W):
    """Rows with humans in them or next to them (quiet rows skip the neighbour look-up)."""
    occupied = np.zeros(H, dtype=np.bool_)
    for j in range(H):
        for i in range(W):
            if hf[j * W + i] > f32(0.0):
                occupied[j] = True
                break
    near = np.zeros(H, dtype=np.bool_)
    for j in range(H):
        near[j] = occupied[j] or (j > 0 and occupied[j - 1]) or (j < H - 1 and occupied[j + 1]) \
            or ((j == 0 or j == H - 1) and occupied[j])
    return near


@njit(cache=True, nogil=True, inline="always")
def _moisture_row(j, mf, temperature, vapour, rain, elevation, m_out, k, gain):
    """Soil moisture along row ``j``: loss with warmth, gain from the vapour and the rain
    (``k``: ``_local``'s constants; ``gain`` 0 before ocean end); the sea holds ``m_max``."""
    D, m_max, m_loss, w_cap, k_rain = k[K_D], k[K_M_MAX], k[K_M_LOSS], k[K_W_CAP], k[K_RAIN]
    W = m_out.shape[1]
    zero = f32(0.0)
    for i in range(W):
        T = temperature[j, i]
        m = mf[j * W + i]
        m *= f32(1.0) - m_loss * m * min(max(T, zero), f32(15.0))
        m += gain * min(max(vapour[j, i] + k_rain * rain[j, i], zero), w_cap)
        m = min(max(m, zero), m_max)
        m_out[j, i] = m if elevation[j, i] >= D else m_max


@njit(cache=True, nogil=True, inline="always")
def _populations_row(j, init, initial, vf, rf, xf, temperature, elevation, m_out, v_out, r_out, x_out, k):
    """Plants, prey and predators along row ``j`` (Lotka–Volterra, module docstring); the initial
    populations before ocean end; 0 at sea."""
    D, dt, pop_min, pop_max = k[K_D], k[K_DT], k[K_POP_MIN], k[K_POP_MAX]
    W = m_out.shape[1]
    zero = f32(0.0)
    one = f32(1.0)
    if init:
        for i in range(W):
            land = elevation[j, i] >= D
            v_out[j, i] = initial[0, j, i] if land else zero
            r_out[j, i] = initial[1, j, i] if land else zero
            x_out[j, i] = initial[2, j, i] if land else zero
        return
    for i in range(W):
        s = j * W + i
        T = temperature[j, i]
        z = elevation[j, i]
        V = vf[s]
        R = rf[s]
        X = xf[s]
        G = plant_growth(m_out[j, i], T)
        rho = f32(2.0) + min(max(T, f32(-15.0)), f32(15.0)) / f32(30.0)
        pi = f32(2.0) - min(max(f32(0.4) * max(z - D, zero), f32(0.5)), f32(1.5))
        V += dt * V * (G - R)
        R += dt * R * (rho * V - pi * X - f32(0.5))
        X += dt * X * (pi * R - one)
        land = z >= D
        v_out[j, i] = min(max(V, pop_min), pop_max) if land else zero
        r_out[j, i] = min(max(R, pop_min), pop_max) if land else zero
        x_out[j, i] = min(max(X, pop_min), pop_max) if land else zero


@njit(cache=True, nogil=True, inline="always")
def _humans_row(j, hf, temperature, elevation, m_out, h_out, row_near, seed, step, log_q, settle_window, k):
    """Humans along row ``j``: new settlements at candidate cells drawn with probability
    ``settle_p`` each by geometric skipping along the row (one draw per row plus one per
    candidate), spread from a random settled 4-neighbour, decline under lethal heat."""
    D, settle_m, t_min, t_max = k[K_D], k[K_SETTLE_M], k[K_T_MIN], k[K_T_MAX]
    heat_limit, heat_decline = k[K_HEAT_LIMIT], k[K_HEAT_DECLINE]
    H, W = h_out.shape
    zero = f32(0.0)
    one = f32(1.0)
    base = j * W
    draws = 0
    next_c = W
    if settle_window:
        next_c = _skip(seed, step, j, draws, log_q, W)
        draws += 1
    for i in range(W):
        candidate = False
        if i == next_c:
            candidate = True
            next_c += 1 + _skip(seed, step, j, draws, log_q, W)
            draws += 1
        hum = hf[base + i]
        T = temperature[j, i]
        if elevation[j, i] < D:
            hum = zero
        elif settle_window and hum < one and m_out[j, i] > settle_m and t_min < T < t_max:
            if candidate:
                hum = one
            elif row_near:
                mask = _settled_neighbours(hf, j, i, H, W)
                if mask != 0:  # look at one random 4-neighbour (drawn only when it can matter)
                    pick = random_bits(seed, STREAM_SPREAD, step, base + i) >> np.uint64(62)
                    if (mask >> np.int64(pick)) & 1:
                        hum = one
        elif T > heat_limit:
            hum = max(hum - heat_decline, zero)
        h_out[j, i] = hum


@njit(cache=True, nogil=True, parallel=True)
def _local(moisture, vegetation, prey, predators, humans, elevation, temperature, vapour, rain,
           initial, seed, step, settle_p, init, wet, settle_window, no_humans, k):
    """Everything but diffusion: moisture, populations, humans. Returns 5 new arrays.

    ``k``: the float32 constants (``K_*``); ``init``: before ocean end (initial populations);
    ``wet``: after ocean end (vapour wets the soil); ``settle_window``: humans may settle;
    ``no_humans``: after story end. Per row (the three row passes are inlined), moisture, then the
    populations (every cell is computed, the sea then set to its values by a select), then humans.
    """
    H, W = elevation.shape
    m_out = np.empty((H, W), dtype=np.float32)
    v_out = np.empty((H, W), dtype=np.float32)
    r_out = np.empty((H, W), dtype=np.float32)
    x_out = np.empty((H, W), dtype=np.float32)
    h_out = np.empty((H, W), dtype=np.float32)
    mf = moisture.ravel()
    vf = vegetation.ravel()
    rf = prey.ravel()
    xf = predators.ravel()
    hf = humans.ravel()
    gain = k[K_M_GAIN] if wet else f32(0.0)
    log_q = np.log1p(-settle_p) if settle_p < 1.0 else -np.inf
    near = _near_rows(hf, H, W)
    for j in prange(H):
        _moisture_row(j, mf, temperature, vapour, rain, elevation, m_out, k, gain)
        _populations_row(j, init, initial, vf, rf, xf, temperature, elevation, m_out, v_out, r_out, x_out, k)
        if no_humans:
            for i in range(W):
                h_out[j, i] = f32(0.0)
        else:
            _humans_row(j, hf, temperature, elevation, m_out, h_out, near[j], seed, step, log_q, settle_window, k)
    return m_out, v_out, r_out, x_out, h_out


def _rain(fields):
    """This step's rain (the atmosphere's diagnostic), zeros where the state has none."""
    rain = fields.get("rain")
    return rain if rain is not None else np.zeros_like(fields["vapour"])


class LifeStage:
    """Soil moisture, vegetation, prey, predators and humans (spec §7)."""

    name = "life"
    reads = ("elevation", "temperature", "vapour", "rain") + FIELDS
    writes = FIELDS

    def __init__(self):
        self._populations: dict = {}

    def initial(self, grid, config, seed, fields):
        zeros = np.zeros(grid.shape, dtype=np.float32)
        return {name: zeros.copy() for name in FIELDS}

    def _initial_populations(self, grid, seed):
        key = (grid.rows, grid.columns, seed)
        if key not in self._populations:
            self._populations = {key: initial_populations(grid, seed)}
        return self._populations[key]

    def advance(self, fields, ctx):
        cfg = ctx.config.life
        sched = ctx.config.schedule
        t = ctx.time
        D = f32(ctx.sea_level)
        init = t < sched.ocean_end
        initial = self._initial_populations(ctx.grid, ctx.seed) if init else _NO_POPULATIONS
        life = tuple(fields[name] for name in FIELDS)
        source = ctx.scratch.get("source")
        if source is not None:                 # ride on the plates first
            life = _ride(np.ascontiguousarray(source, dtype=np.int64), *life)
        m, V, R, X, hum = _local(
            *life, fields["elevation"], fields["temperature"], fields["vapour"], _rain(fields), initial, int(ctx.seed),
            int(ctx.step), settle_probability(cfg.settle_probability, ctx.grid.columns), init,
            t >= sched.ocean_end, sched.human_start <= t < sched.warming_start, t > sched.story_end,
            local_constants(cfg, D))
        if not init:
            land = (fields["elevation"] >= D).astype(np.float32)
            dt = cfg.dt
            V, R, X = _diffuse(V, R, X, land, hum, f32(dt * cfg.diffusion_vegetation),
                               f32(dt * cfg.diffusion_prey), f32(dt * cfg.diffusion_predators),
                               f32(cfg.population_min))
        return {"moisture": m, "vegetation": V, "prey": R, "predators": X, "humans": hum}
