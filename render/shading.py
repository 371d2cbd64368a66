"""The arithmetic the cell palettes of ``render/cpu.py`` share: colour mixing, hues, the four
neighbours, the hill shading and the sea's colour by its depth (``shaders/cells.frag`` has the
same in GLSL). Float32 throughout; every function is inlined into ``cpu.cell_colours``."""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .scene import F_ELEVATION

f32 = np.float32


@njit(cache=True, inline="always")
def _mix(a0, a1, a2, b0, b1, b2, t):
    return a0 + (b0 - a0) * t, a1 + (b1 - a1) * t, a2 + (b2 - a2) * t


@njit(cache=True, inline="always")
def _mod6(a):
    """``a % 6`` (Python's float modulo): for ``0 ≤ a < 12`` it is ``a`` or ``a − 6``, exactly (Sterbenz:
    ``a − 6`` is exact for ``a`` in [3, 12]), without the libm ``fmod`` call (about a third of the plate
    and river views' cost per cell); any other value takes the modulo."""
    six = f32(6.0)
    if f32(0.0) <= a < f32(12.0):
        return a - six if a >= six else a
    return a % six


@njit(cache=True, inline="always")
def _hue(q):
    """Fully saturated colour of hue ``q`` in [0, 1) (red at 0, green at 1/3, blue at 2/3)."""
    x = q * f32(6.0)
    r = min(max(abs(_mod6(x + f32(0.0)) - f32(3.0)) - f32(1.0), f32(0.0)), f32(1.0))
    g = min(max(abs(_mod6(x + f32(4.0)) - f32(3.0)) - f32(1.0), f32(0.0)), f32(1.0))
    b = min(max(abs(_mod6(x + f32(2.0)) - f32(3.0)) - f32(1.0), f32(0.0)), f32(1.0))
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


@njit(cache=True, inline="always")
def _shade(F, D, relief, j, i, H, W):
    """Hill shading of the relief ``max(z, D)`` (the sea is flat), lit from the north-west:
    ``max(½ dx − ½ dy + 1/√2, 0) / (√(1 + dx² + dy²) / √2)`` with the central differences
    ``dx``, ``dy`` of the neighbours' elevation scaled by ``½ relief``."""
    jn, i_n, js, i_s, i_e, i_w = _neighbours(j, i, H, W)
    k = f32(0.5) * relief
    dx = (max(F[F_ELEVATION][j, i_e], D) - max(F[F_ELEVATION][j, i_w], D)) * k
    dy = (max(F[F_ELEVATION][jn, i_n], D) - max(F[F_ELEVATION][js, i_s], D)) * k
    return max(f32(0.5) * dx - f32(0.5) * dy + f32(0.70710678), f32(0.0)) \
        / (np.sqrt(f32(1.0) + dx * dx + dy * dy) * f32(0.70710678))


@njit(cache=True, inline="always")
def _shallowness(F, T, D, j, i):
    """``clamp(z/D, 0, 1)`` (``T``, ``depth_planes``) averaged over the cell and those of its eight
    neighbours that are sea (``grid.neighbour``'s rule: wrap in longitude, polar reflection).

    The sea floor has single cells just below the sea level (eroded islands, seamounts) among the
    deep floor around them; coloured by their own depth each drew a light-blue dot on the open
    ocean (the satellite view's speckle). Averaged, an isolated one moves the colour by at most a
    ninth of the ramp, while a shelf of shallow cells keeps its colour; a uniform floor is
    unchanged, and land neighbours do not lighten a deep coast."""
    H, W = F[0].shape
    half = W // 2
    total = f32(0.0)
    count = f32(0.0)
    for dj in range(-1, 2):
        jj = j + dj
        shift = 0
        if jj < 0:
            jj = 0
            shift = half
        elif jj >= H:
            jj = H - 1
            shift = half
        for di in range(-1, 2):
            ii = i + di + shift
            if ii < 0:
                ii += W
            elif ii >= W:
                ii -= W
            if F[F_ELEVATION][jj, ii] < D or (dj == 0 and di == 0):
                total += T[jj, ii]
                count += f32(1.0)
    return total / count


@njit(cache=True, nogil=True, parallel=True)
def depth_planes(F, D, T, S):
    """Per frame: ``T = clamp(z / max(D, 10⁻⁶), 0, 1)`` for every cell (one division each), then ``S`` =
    ``_shallowness`` of every cell, the interior rows and columns in a loop without branches (a sea
    neighbour's share added, a land one's +0 and no count, in ``_shallowness``'s order: the same sums),
    the border cells by ``_shallowness`` itself. The palettes read ``S`` (``_sea``) instead of
    averaging nine cells with branches for each sea cell, a third of the satellite view's cell pass."""
    H, W = S.shape
    d = max(D, f32(1e-6))
    zero = f32(0.0)
    one = f32(1.0)
    for j in prange(H):
        for i in range(W):
            T[j, i] = min(max(F[F_ELEVATION][j, i] / d, zero), one)
    for j in prange(H):
        if j == 0 or j == H - 1:
            for i in range(W):
                S[j, i] = _shallowness(F, T, D, j, i)
            continue
        S[j, 0] = _shallowness(F, T, D, j, 0)
        S[j, W - 1] = _shallowness(F, T, D, j, W - 1)
        for i in range(1, W - 1):
            total = zero
            count = zero
            for dj in range(-1, 2):
                for di in range(-1, 2):
                    sea = F[F_ELEVATION][j + dj, i + di] < D or (dj == 0 and di == 0)
                    total += T[j + dj, i + di] if sea else zero
                    count += one if sea else zero
            S[j, i] = total / count


@njit(cache=True, inline="always")
def _sea(S, j, i):
    """The ocean's colour, from deep (z = 0) to shallow (z = D), by ``_shallowness`` (``S``, ``depth_planes``)."""
    depth = S[j, i]
    return _mix(f32(0.01), f32(0.02), f32(0.08), f32(0.11), f32(0.28), f32(0.51), depth)
