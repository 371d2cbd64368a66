"""Wind-particle trails for the flow view (spec §6; the atmosphere stage's ``trails`` field).

See ``planet.processes.atmosphere`` for the rule: trails fade, heads die, move with the wind
(stochastic rounding per axis) and are born by geometric skipping; every draw is a pure function of
(seed, step, cell).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from planet.core.noise import STREAM_PARTICLE, uniform, unit24
from planet.processes.sampling import _clamp_wind, _reflect
from planet.processes.zeros import flushed

f32 = np.float32


# ---------------------------------------------------------------------------
# Wind-particle trails

@njit(cache=True, nogil=True)
def _stochastic_round(x, r):
    f = np.floor(x)
    return np.int64(f) + (1 if r < x - f else 0)


@njit(cache=True, nogil=True, parallel=True)
def _trails(trails, wind_u, wind_v, scale, vmax, fade, death, birth, seed, step):
    H, W = trails.shape
    out = np.empty((H, W), dtype=np.float32)
    # every trail fades; the row's heads (``τ`` not below 1) are listed while the row is in the cache, so
    # that the heads' pass below reads only them, not the whole field again
    heads = np.empty((H, W), dtype=np.int32)
    count = np.empty(H, dtype=np.int64)
    for j in prange(H):
        for i in range(W):                 # (no subnormal floats: zeros.ZERO_BELOW)
            out[j, i] = flushed(trails[j, i] * fade)
        # a branch per cell, not the branch-free listing (every column written, a head's kept) this was: the
        # heads are about 1 % of the cells, so the branch is nearly always predicted (at 512 columns the
        # kernel took 96 µs against 110 on one thread, the same heads); unsigned indices, no wrap-around tests
        n = np.uint64(0)
        row = heads[j]
        tr = trails[j]
        for i in range(np.uint64(W)):
            if not tr[i] < f32(1.0):
                row[n] = np.int32(i)
                n += np.uint64(1)
        count[j] = n
    # heads move (writes of the same value 1.0 commute: the result does not depend on threads)
    for j in prange(H):
        for h in range(count[j]):
            i = heads[j, h]
            key = 3 * (j * W + i)
            if unit24(seed, STREAM_PARTICLE, step, key) < death:
                continue
            u, v = _clamp_wind(wind_u[j, i], wind_v[j, i], vmax)
            if not (abs(u) <= f32(1e6) and abs(v) <= f32(1e6)):   # NaN/inf wind: the head stays put
                u = f32(0.0)
                v = f32(0.0)
            di = _stochastic_round(u * scale, unit24(seed, STREAM_PARTICLE, step, key + 1))
            dj = -_stochastic_round(v * scale, unit24(seed, STREAM_PARTICLE, step, key + 2))
            r, c = _reflect(j + dj, i + di, H, W)
            out[r, c] = f32(1.0)
    # births: geometric skipping along each row (one draw per birth, plus one per row)
    if birth > 0.0:
        log_q = math.log1p(-birth) if birth < 1.0 else -math.inf
        for j in prange(H):
            i = -1
            k = 0
            while True:
                u = uniform(seed, STREAM_PARTICLE, step, -(j * 1048576 + k) - 1)
                k += 1
                # the gap to the next birth, kept a float until it is known to be small: a tiny
                # birth rate gives gaps beyond int64 (which once wrapped to a negative index)
                gap = 0.0 if log_q == -math.inf else math.log1p(-u) / log_q
                if gap >= W:
                    break
                i += int(gap) + 1
                if i >= W:
                    break
                out[j, i] = f32(1.0)
    return out


def trails_step(trails, wind_u, wind_v, *, scale=1.0, wind_max=1.0, fade=0.96, death=8e-3, birth=1e-4,
                seed=0, step=0):
    """One step of the particle-trail field (see the module docstring)."""
    trails = np.ascontiguousarray(trails, dtype=np.float32)
    return _trails(trails, np.ascontiguousarray(wind_u, dtype=np.float32),
                   np.ascontiguousarray(wind_v, dtype=np.float32), f32(scale), f32(wind_max),
                   f32(fade), f32(death), float(birth), int(seed), int(step))
