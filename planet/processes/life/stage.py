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
  up to rounding. Ocean cells hold no land life (0). Riding, the local rules and the diffusion
  run as one pass over bands of rows (``planet.processes.life.kernel``).
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
from planet.core.noise import hash32, seed_offset
from planet.processes.life.kernel import (K_D, K_DT, K_HEAT_DECLINE, K_HEAT_LIMIT, K_M_GAIN, K_M_LOSS, K_M_MAX,
                                          K_POP_MAX, K_POP_MIN, K_RAIN, K_SETTLE_M, K_T_MAX, K_T_MIN, K_W_CAP,
                                          life_step, plant_growth)
from planet.processes.zeros import KeptZeros, zero_bits

f32 = np.float32

FIELDS = owned_by("life")


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
_NO_SOURCE = np.zeros(1, dtype=np.int64)
_NO_HUMANS = np.zeros((0, 1), dtype=np.float32)      # ``life_step``'s ``h_out`` when the humans are known 0


def local_constants(cfg, sea_level: float) -> np.ndarray:
    """``kernel.life_step``'s vector ``k`` from the life configuration and the sea level now."""
    k = np.empty(14, dtype=np.float32)
    k[K_D], k[K_DT], k[K_POP_MIN], k[K_POP_MAX] = sea_level, cfg.dt, cfg.population_min, cfg.population_max
    k[K_M_MAX], k[K_M_LOSS], k[K_M_GAIN], k[K_W_CAP] = (cfg.moisture_max, cfg.moisture_loss, cfg.moisture_gain,
                                                     cfg.moisture_vapour_cap)
    k[K_SETTLE_M], k[K_T_MIN], k[K_T_MAX] = cfg.settle_moisture, cfg.settle_t_min, cfg.settle_t_max
    k[K_HEAT_LIMIT], k[K_HEAT_DECLINE], k[K_RAIN] = cfg.heat_limit, cfg.heat_decline, cfg.moisture_rain
    return k


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
        self._zero_humans = KeptZeros()   # the humans, while they are 0 everywhere and not written

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
        source = ctx.scratch.get("source")     # ride on the plates: each cell reads its source cell
        ride = source is not None
        src = np.ascontiguousarray(source, dtype=np.int64).ravel() if ride else _NO_SOURCE
        shape = fields["elevation"].shape
        m, V, R, X = (np.empty(shape, np.float32) for _ in range(4))
        settle_window = sched.human_start <= t < sched.warming_start
        no_humans = t > sched.story_end
        humans = fields["humans"]
        hum = hum_arg = None
        if not settle_window:
            # nobody settles: with nobody anywhere (before human start) or after story end, the humans stay 0
            # everywhere; the zeros this stage returned last time are returned again, not written anew
            anyone, plus_zero = zero_bits(humans)
            if not anyone or no_humans:
                hum = self._zero_humans(humans, plus_zero, shape)
                hum_arg = _NO_HUMANS
        if hum is None:
            hum = hum_arg = np.empty(shape, np.float32)
        dt = cfg.dt
        life_step(src, ride, fields["moisture"], fields["vegetation"], fields["prey"], fields["predators"],
                  humans, fields["elevation"], fields["temperature"], fields["vapour"], _rain(fields),
                  initial, int(ctx.seed), int(ctx.step), settle_probability(cfg.settle_probability, ctx.grid.columns),
                  init, t >= sched.ocean_end, settle_window, no_humans,
                  local_constants(cfg, D), f32(dt * cfg.diffusion_vegetation), f32(dt * cfg.diffusion_prey),
                  f32(dt * cfg.diffusion_predators), m, V, R, X, hum_arg)
        return {"moisture": m, "vegetation": V, "prey": R, "predators": X, "humans": hum}
