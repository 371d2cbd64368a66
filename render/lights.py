"""Night lights as points: where the projection pass (``render/projection.py``, ``shaders/project.frag``)
draws a city light, from the light density the night view's cell pass leaves in the cell colours'
fourth channel (``render/cpu.py: light_density``). A pure function of the seed and the place on
the sphere: lights never move or flicker from frame to frame. Also the bilinear cell lookup
(``_corners``) the projection's sampling shares. float32 throughout."""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from planet.core.noise import hash33

f32 = np.float32
PI = f32(np.pi)
HALF_PI = f32(np.pi / 2)
TWO_PI = f32(2 * np.pi)


@njit(cache=True, inline="always")
def _corners(C, lat, lon):
    """(j0, j1, i0, i1, fu, fv): the four cells around (lat, lon) radians and the bilinear weights
    (wrap in longitude, clamp in latitude)."""
    return _corners_hw(C.shape[0], C.shape[1], lat, lon)


@njit(cache=True, inline="always")
def _corners_hw(H, W, lat, lon):
    """``_corners`` on a grid of ``H`` rows and ``W`` columns."""
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
    return j0, j1, i0, i1, fu, fv


@njit(cache=True, inline="always")
def _density(C, lat, lon):
    """Bilinear sample of the light density (the cell colours' fourth channel) at (lat, lon)."""
    j0, j1, i0, i1, fu, fv = _corners(C, lat, lon)
    return (C[j0, i0, 3] * (f32(1.0) - fu) * (f32(1.0) - fv) + C[j0, i1, 3] * fu * (f32(1.0) - fv)
            + C[j1, i0, 3] * (f32(1.0) - fu) * fv + C[j1, i1, 3] * fu * fv)


#: the light sites: rows of LIGHT_SPACING in latitude, each cut into ``floor(2π cos φ / spacing)``
#: equal boxes (about one site per spacing² of the sphere, 73 000 in all); a light's Gaussian σ on
#: the sphere (radians) and its peak (linear colour units) when it is larger than a pixel
LIGHT_SPACING = f32(np.radians(0.75))
LIGHT_ROWS = int(round(np.pi / np.radians(0.75)))
LIGHT_SIGMA = f32(np.radians(0.15))
LIGHT_GAIN = f32(1.5)
LIGHT_COLOUR = (f32(1.0), f32(0.75), f32(0.4))


#: the most boxes in a row of sites (the rows next to the equator)
LIGHT_BOXES = int(np.floor(2 * np.pi / np.radians(0.75))) + 1


@njit(cache=True, inline="always")
def _row_boxes(r):
    """Latitude (radians) of the centre of site row ``r`` and the number of boxes it is cut into."""
    row_lat = -HALF_PI + (f32(r) + f32(0.5)) * LIGHT_SPACING
    n = min(max(np.int64(np.floor(TWO_PI * np.cos(row_lat) / LIGHT_SPACING)), 1), LIGHT_BOXES)
    return row_lat, n


@njit(cache=True)
def _row_table():
    """``_row_boxes`` of every site row: the number of boxes and their width (radians), so that
    ``_lights`` reads them instead of a cosine and two divisions per row per pixel."""
    n_boxes = np.empty(LIGHT_ROWS, np.int64)
    widths = np.empty(LIGHT_ROWS, np.float32)
    for r in range(LIGHT_ROWS):
        row_lat, n = _row_boxes(r)
        n_boxes[r] = n
        widths[r] = TWO_PI / f32(n)
    return n_boxes, widths


#: per site row: the number of boxes and their width (``_row_table``; constants of the kernels)
ROW_BOXES, ROW_WIDTH = _row_table()


@njit(cache=True, nogil=True)
def light_sites(C, seed, S):
    """Fill the site table ``S`` (LIGHT_ROWS, LIGHT_BOXES, 3) for the cell colours ``C``:
    ``S[r, c]`` = (latitude, longitude, amplitude) of the site of box (r, c); the amplitude is 0
    where the site is not a city.

    Box (r, c) holds one site at ``(r + 0.15 + 0.7 h₀, c + 0.15 + 0.7 h₁)`` box units,
    ``h = hash33(r, c, seed)`` (``planet.core.noise``; ``seed`` from ``scene.lights_seed``), and
    the site is a city when ``h₂ < L``, the light density ``L`` (``cpu.light_density``, the cell
    colours' fourth channel) sampled at the site: so a settlement of density L lights a fraction L
    of its sites, and each light is a pure function of the seed and its place, the same in every
    frame. A city shines ``(0.35 + 0.65 L)(0.4 + 1.6 q⁴)`` with ``q = 1 − h₂/L``, uniform in (0, 1]
    among the cities (mean 0.72: most lights are small, a few are big). One table per frame
    (73 000 sites) instead of nine hashes and density samples per pixel; the places
    (``site_places``) depend on the seed and the grid only, and a caller drawing many frames keeps them
    (``sites_at``)."""
    SP, SI = site_places(seed, C.shape[0], C.shape[1])
    sites_at(C, SP, SI, S)


@njit(cache=True, nogil=True)
def site_places(seed, H, W):
    """What of ``light_sites`` depends on the seed and the grid (H rows, W columns) only: per box (r, c)
    ``SP[r, c]`` = (latitude, longitude, h₂, fu, fv) of its site and ``SI[r, c]`` = (j0, j1, i0, i1),
    the site's bilinear weights and cells (``_corners``); ``SI[r, c, 0]`` = −1 past the row's boxes."""
    SP = np.zeros((LIGHT_ROWS, LIGHT_BOXES, 5), np.float32)
    SI = np.zeros((LIGHT_ROWS, LIGHT_BOXES, 4), np.int64)
    _places(seed, H, W, SP, SI)
    return SP, SI


@njit(cache=True, parallel=True, nogil=True)
def _places(seed, H, W, SP, SI):
    for r in prange(LIGHT_ROWS):
        row_lat, n = _row_boxes(r)
        width = TWO_PI / f32(n)
        for c in range(LIGHT_BOXES):
            if c >= n:
                SI[r, c, 0] = -1
                continue
            h0, h1, h2 = hash33(f32(r), f32(c), seed)
            site_lat = -HALF_PI + (f32(r) + f32(0.15) + f32(0.7) * h0) * LIGHT_SPACING
            site_lon = (f32(c) + f32(0.15) + f32(0.7) * h1) * width
            j0, j1, i0, i1, fu, fv = _corners_hw(H, W, site_lat, site_lon)
            SP[r, c, 0] = site_lat
            SP[r, c, 1] = site_lon
            SP[r, c, 2] = h2
            SP[r, c, 3] = fu
            SP[r, c, 4] = fv
            SI[r, c, 0] = j0
            SI[r, c, 1] = j1
            SI[r, c, 2] = i0
            SI[r, c, 3] = i1


@njit(cache=True, parallel=True, nogil=True)
def sites_at(C, SP, SI, S):
    """``light_sites``'s table ``S`` for the cell colours ``C`` from the places ``SP``, ``SI``
    (``site_places`` of the seed and ``C``'s grid): the light density at each site and its amplitude."""
    for r in prange(LIGHT_ROWS):
        for c in range(LIGHT_BOXES):
            j0 = SI[r, c, 0]
            if j0 < 0:
                S[r, c, 0] = f32(0.0)
                S[r, c, 1] = f32(0.0)
                S[r, c, 2] = f32(0.0)
                continue
            j1, i0, i1 = SI[r, c, 1], SI[r, c, 2], SI[r, c, 3]
            fu, fv, h2 = SP[r, c, 3], SP[r, c, 4], SP[r, c, 2]
            L = (C[j0, i0, 3] * (f32(1.0) - fu) * (f32(1.0) - fv) + C[j0, i1, 3] * fu * (f32(1.0) - fv)
                 + C[j1, i0, 3] * (f32(1.0) - fu) * fv + C[j1, i1, 3] * fu * fv)
            amplitude = f32(0.0)
            if h2 < L:
                q = f32(1.0) - h2 / L
                q = q * q
                amplitude = (f32(0.35) + f32(0.65) * L) * (f32(0.4) + f32(1.6) * q * q)
            S[r, c, 0] = SP[r, c, 0]
            S[r, c, 1] = SP[r, c, 1]
            S[r, c, 2] = amplitude


@njit(cache=True, inline="always")
def _lit_corners(C, j0, j1, i0, i1):
    """Whether any of the four cells around a point carries a light density (``_corners``): where
    none does, the bilinear density there is 0 and ``_lights`` shines nothing."""
    if C.shape[2] < 4:
        return False
    return max(max(C[j0, i0, 3], C[j0, i1, 3]), max(C[j1, i0, 3], C[j1, i1, 3])) > f32(0.0)


@njit(cache=True, inline="always")
def _lights(S, lat, lon, pixel):
    """Brightness of the night lights at (lat, lon) radians: points that stay put.

    The sites and their amplitudes are ``light_sites``'s table ``S`` for the cell colours.
    A city shines its amplitude as a Gaussian of σ = max(LIGHT_SIGMA, ½ pixel) (``pixel``: radians
    per pixel), its peak scaled by (LIGHT_SIGMA/σ)² so that a light sends the same total light at
    any picture size: sub-pixel lights add up to the density's glow instead of flickering in and
    out of pixel centres. The 3 × 3 boxes around the pixel's are summed. Callers shine nothing
    where the density at the pixel is 0 (``_lit_corners``), which also spares the search there."""
    if not (lat == lat and lon == lon):
        return f32(0.0)
    sigma = max(LIGHT_SIGMA, f32(0.5) * pixel)
    k = f32(-0.5) / (sigma * sigma)
    lonw = lon - TWO_PI * np.floor(lon / TWO_PI)
    cos_lat = np.cos(lat)
    r0 = min(max(np.int64(np.floor((lat + HALF_PI) / LIGHT_SPACING)), 0), LIGHT_ROWS - 1)
    total = f32(0.0)
    for r in range(r0 - 1, r0 + 2):
        if r < 0 or r >= LIGHT_ROWS:
            continue
        n = ROW_BOXES[r]
        width = ROW_WIDTH[r]
        c0 = min(max(np.int64(np.floor(lonw / width)), 0), n - 1)
        for dc in range(-1, 2):
            c = c0 + dc
            if c < 0:
                c += n
            elif c >= n:
                c -= n
            # every box's light is summed, +0 for a site that is not a city (amplitude +0, the
            # exponential at most 1): the same total as skipping it, without a branch that the
            # pixels mispredict (a quarter of the search's time)
            amplitude = S[r, c, 2]
            dlat = lat - S[r, c, 0]
            dlon = lonw - S[r, c, 1]
            if dlon > PI:
                dlon -= TWO_PI
            elif dlon < -PI:
                dlon += TWO_PI
            dx = dlon * cos_lat
            total += amplitude * np.exp((dlat * dlat + dx * dx) * k)
    return total * LIGHT_GAIN * (LIGHT_SIGMA / sigma) * (LIGHT_SIGMA / sigma)


#: ``project``'s default lights seed (``scene.lights_seed(0)``)
NO_SEED = f32(0.0)
