"""Climate stage (spec §5): pressure, temperature and wind from elevation and season.

Everything is computed on the **climate map**, the elevation box-averaged by
``f = 2^L`` with ``L = max(1, floor(log2(W / 144)))`` (128 columns at W = 256,
256 at W = 512 and 1024), and then sampled bilinearly back to full resolution
(wrap in longitude, clamped beyond the first/last row centre). A box that
sticks out of the grid (``H`` or ``W`` not divisible by ``f``) averages the
cells it has.

Per climate cell, with latitude φ in degrees, ``land = z > D`` and height
``h = 0.4 max(0, z − D)``:

    annual mean (hPa)    land  1012.5 − 6 cos(φπ/45)     ocean 1014.5 − 20 cos(φπ/30)
    Jan–Jul amplitude    land  15 sin(φπ/90)             ocean 20 sin(φπ/35) |φ|/90

The mean, the amplitude and ``h`` are blurred with normalised Gaussians whose
σ is given in **degrees** (``config.climate.sigma_*_deg``; 6, 4 and 1 cells
at the reference's 256-column map), so the climate does not depend on ``W``.
The blur is separable: in longitude a wrapped convolution; in latitude a
kernel that also keeps the area-weighted mean (see ``blur``). Then

    season  s = 1 − 2 smoothstep(1.5, 4.5, m) + 2 smoothstep(7.5, 10.5, m),  m = (12 t / year) mod 12
    pressure     p = mean + amplitude · s
    sea-level T0 = (−27 + 73 tanh(2.2 exp(−½((φ + 5s)/30)²)) − (p − 1012)) / 1.8 + 1.5 land
    warm T0'     = (  9 + 50 tanh(…same…)                  − (p − 1012)) / 1.8 + 4 land
    surface T    = mix(T0, T0', k) − mix(4, 3, k) h,   k = smoothstep(200, 220, t) (undone 5–15 s after story end)
    gradient     g = ∇p, central differences in climate cells (wrap in longitude, polar reflection)
    wind         v = 15 sin φ (−g_y, g_x) − g          (x east, y north), then |v| clamped to 1

**Units of the wind**: climate-map cells per step, as in the reference
(``wind_u`` east, ``wind_v`` north). The spec clamps ``|v| ≤ 1`` where the
wind advects; since everything the wind moves uses the clamped wind, the
clamp (``config.climate.wind_max``) is applied once on the climate map and
the stored fields are the advecting wind. It moves vapour, CO2 and wind
particles by ``v · W / 512`` full-resolution cells per step: the
reference's displacement at 512 columns, the same displacement in degrees
at any other resolution. (Unclamped, the wind reaches ~50 cells per step in
the westerlies; ``planet.processes.climate.wind`` gives it.)

Example: at φ = 45° over the ocean in January (s = 1) the unblurred pressure
is 1014.5 − 20 cos(1.5π) + 20 sin(45π/35)·0.5 = 1014.5 + 0 − 7.82 = 1006.68 hPa.

Cost: the climate map has at most 288 × 144 cells, so everything is
recomputed every step (the blurs take ~0.3 ms on 2 threads); the four
bilinear up-samplings to full resolution are the larger part of the stage
(~0.7 ms of ~1.5 ms at 1024 × 512). Kernels on the climate map run on one
thread: they are too small to pay for the threads' start and join.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit, prange

from planet.core.grid import Grid
from planet.core.timeline import smoothstep

f32 = np.float32

#: blur half-width in units of σ: ±20 cells at σ = 6 cells, as in the reference
BLUR_RADIUS_SIGMAS = 10.0 / 3.0


def climate_level(columns: int) -> int:
    """``L = max(1, floor(log2(W / 144)))``: the climate map is the grid coarsened by ``2^L``."""
    return max(1, int(math.floor(math.log2(columns / 144.0))))


@dataclass(frozen=True)
class ClimateMap:
    """Geometry of the coarse climate map of a full grid, and how to sample it back."""

    rows: int           # full grid
    columns: int
    factor: int         # 2^L
    lat: np.ndarray     # (Hc,) float32 degrees, mean latitude of the full rows each climate row covers
    row_area: np.ndarray  # (Hc,) float64, area of one climate cell in each row (relative)
    cell_deg: float     # nominal climate-cell size in degrees
    row0: np.ndarray    # (H,) int64, bilinear up-sampling: climate rows either side of each full row
    row1: np.ndarray
    row_w: np.ndarray   # (H,) float32 weight of row1
    col0: np.ndarray    # (W,) int64
    col1: np.ndarray
    col_w: np.ndarray   # (W,) float32

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.lat), len(self.col_centres()))

    def col_centres(self) -> np.ndarray:
        f, W = self.factor, self.columns
        starts = np.arange(0, W, f)
        ends = np.minimum(starts + f, W)
        return (starts + ends - 1) / 2.0


def _interpolation(centres: np.ndarray, n: int, wrap: bool):
    """For each full index 0..n-1 the two climate indices around it and the weight of the second."""
    x = np.arange(n, dtype=np.float64)
    m = len(centres)
    if wrap:
        ext = np.concatenate([centres, [centres[0] + n]])
        k = np.searchsorted(ext, x, side="right") - 1           # ext[k] <= x < ext[k+1], k in [-1, m-1]
        lo = np.where(k < 0, m - 1, k)
        lo_pos = np.where(k < 0, centres[-1] - n, ext[np.maximum(k, 0)])
        hi_pos = np.where(k < 0, centres[0], ext[np.maximum(k, 0) + 1])
        hi = (lo + 1) % m
        w = (x - lo_pos) / (hi_pos - lo_pos)
    else:
        k = np.clip(np.searchsorted(centres, x, side="right") - 1, 0, m - 1)
        lo = k
        hi = np.minimum(k + 1, m - 1)
        span = np.where(hi > lo, centres[hi] - centres[lo], 1.0)
        w = np.clip((x - centres[lo]) / span, 0.0, 1.0)
        w = np.where(hi > lo, w, 0.0)
    return lo.astype(np.int64), hi.astype(np.int64), w.astype(np.float32)


@lru_cache(maxsize=16)
def climate_map(rows: int, columns: int) -> ClimateMap:
    """The climate map of an ``rows × columns`` grid (cached)."""
    f = 2 ** climate_level(columns)
    grid = Grid(rows, columns)
    rstarts = np.arange(0, rows, f)
    rends = np.minimum(rstarts + f, rows)
    lat = np.array([grid.lat[a:b].mean() for a, b in zip(rstarts, rends)], dtype=np.float32)
    edges = np.radians(90.0 - 180.0 * np.append(rstarts, rows) / rows)
    row_area = np.sin(edges[:-1]) - np.sin(edges[1:])
    rcent = (rstarts + rends - 1) / 2.0
    cstarts = np.arange(0, columns, f)
    ccent = (cstarts + np.minimum(cstarts + f, columns) - 1) / 2.0
    r0, r1, rw = _interpolation(rcent, rows, wrap=False)
    c0, c1, cw = _interpolation(ccent, columns, wrap=True)
    return ClimateMap(rows, columns, f, lat, row_area, 360.0 * f / columns, r0, r1, rw, c0, c1, cw)


# ---------------------------------------------------------------------------
# Box average and bilinear up-sampling

@njit(cache=True, nogil=True, parallel=True)
def _box_average(field, f, Hc, Wc):
    H, W = field.shape
    out = np.empty((Hc, Wc), dtype=np.float32)
    for jc in prange(Hc):
        j0 = jc * f
        j1 = min(j0 + f, H)
        for ic in range(Wc):
            i0 = ic * f
            i1 = min(i0 + f, W)
            s = f32(0.0)
            for j in range(j0, j1):
                for i in range(i0, i1):
                    s += field[j, i]
            out[jc, ic] = s / f32((j1 - j0) * (i1 - i0))
    return out


def box_average(field: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each ``factor × factor`` box (partial boxes at the edges average what they hold)."""
    field = np.ascontiguousarray(field, dtype=np.float32)
    if field.ndim != 2:
        raise ValueError(f"field must be a 2-D array, got shape {field.shape}")
    if not isinstance(factor, (int, np.integer)) or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    H, W = field.shape
    return _box_average(field, int(factor), -(-H // factor), -(-W // factor))


@njit(cache=True, nogil=True, parallel=True)
def _upsample(coarse, row0, row1, row_w, col0, col1, col_w):
    """Bilinear sampling of ``(K, Hc, Wc)`` climate fields at every full cell → ``(K, H, W)``.

    Per full row: blend the two climate rows around it (``Wc`` values), then
    blend along the row between the two climate columns around each cell.
    """
    K, Hc, Wc = coarse.shape
    H = row0.shape[0]
    W = col0.shape[0]
    out = np.empty((K, H, W), dtype=np.float32)
    one = f32(1.0)
    for j in prange(H):
        a = row0[j]
        b = row1[j]
        wy = row_w[j]
        tmp = np.empty(Wc, dtype=np.float32)
        for k in range(K):
            for ic in range(Wc):
                tmp[ic] = coarse[k, a, ic] * (one - wy) + coarse[k, b, ic] * wy
            for i in range(W):
                wx = col_w[i]
                out[k, j, i] = tmp[col0[i]] * (one - wx) + tmp[col1[i]] * wx
    return out


def upsample(coarse: np.ndarray, cmap: ClimateMap) -> np.ndarray:
    """Bilinear sampling of climate-map fields ``(K, Hc, Wc)`` (or ``(Hc, Wc)``) at full resolution."""
    coarse = np.ascontiguousarray(coarse, dtype=np.float32)
    single = coarse.ndim == 2
    if single:
        coarse = coarse[None]
    if coarse.shape[1:] != cmap.shape:
        raise ValueError(f"climate fields must have shape {cmap.shape}, got {coarse.shape[1:]}")
    out = _upsample(coarse, cmap.row0, cmap.row1, cmap.row_w, cmap.col0, cmap.col1, cmap.col_w)
    return out[0] if single else out


# ---------------------------------------------------------------------------
# Gaussian blur with σ in degrees

def gaussian_taps(sigma_cells: float) -> np.ndarray:
    """Normalised Gaussian taps ``g[-r..r]``, ``r = ceil(10σ/3)`` (±20 cells at σ = 6)."""
    if sigma_cells <= 0:
        return np.ones(1, dtype=np.float64)
    r = max(1, int(math.ceil(BLUR_RADIUS_SIGMAS * sigma_cells)))
    x = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-0.5 * (x / sigma_cells) ** 2)
    return g / g.sum()


def latitude_blur_matrix(sigma_cells: float, row_area: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-mixing matrices ``(K, R)``, each ``(Hc, Hc)``, of the latitude pass.

    The latitude pass is ``out[j, i] = Σ_k K[j, k] f[k, i] + Σ_k R[j, k] f[k, i + W/2]``:
    ``K`` mixes rows along the meridian, ``R`` the rows reached over a pole
    (polar reflection: the row beyond row 0 is row 0 at the opposite
    longitude, then row 1, …). With ``g`` the Gaussian taps, the plain
    kernel is ``G[j, k] = g(k − j)`` and ``Gp[j, k] = g(j + k + 1) +
    g(2H − 1 − j − k)`` over the poles; both are symmetric. A symmetric
    Sinkhorn scaling finds ``x > 0`` with ``x_j Σ_k (G + Gp)[j, k] x_k = a_j``
    (``a`` the cell area of each row), and

        K = diag(x/a) G diag(x),    R = diag(x/a) Gp diag(x).

    Then each row sums to 1 (a constant stays constant) and
    ``Σ_j a_j (K + R)[j, k] = a_k`` (the area-weighted mean is kept
    exactly); since ``x_j ≈ √a_j`` away from the poles, ``K ≈ g · √(a_k/a_j)``:
    the width of the Gaussian is kept and no part of the field is left
    unblurred.
    """
    n = len(row_area)
    a = np.asarray(row_area, dtype=np.float64)
    a = a / a.mean()
    g = gaussian_taps(sigma_cells)
    r = len(g) // 2
    j = np.arange(n)[:, None]
    k = np.arange(n)[None, :]

    def taps(offset):
        inside = np.abs(offset) <= r
        return np.where(inside, g[np.clip(offset + r, 0, 2 * r)], 0.0)

    G = taps(k - j)
    Gp = taps(j + k + 1) + taps(2 * n - 1 - j - k)
    full = G + Gp
    x = np.sqrt(a)
    for _ in range(100_000):
        x = np.sqrt(x * a / (full @ x))
        if np.max(np.abs(x * (full @ x) / a - 1.0)) < 1e-13:
            break
    K = (x / a)[:, None] * G * x[None, :]
    R = (x / a)[:, None] * Gp * x[None, :]
    return K, R


@njit(cache=True, nogil=True, parallel=True)
def _blur(field, lon_taps, lat_matrix, lat_lo, lat_hi, pole_matrix, pole_lo, pole_hi):
    """Longitude pass (wrapped convolution) then latitude pass (banded row mixing + polar rows)."""
    H, W = field.shape
    r = lon_taps.shape[0] // 2
    tmp = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        ext = np.empty(W + 2 * r, dtype=np.float32)   # the row with r wrapped cells either side
        for i in range(W + 2 * r):
            ext[i] = field[j, (i - r + W * (r // W + 1)) % W]
        for i in range(W):
            tmp[j, i] = f32(0.0)
        for k in range(2 * r + 1):
            w = lon_taps[k]
            for i in range(W):
                tmp[j, i] += w * ext[i + k]
    out = np.empty((H, W), dtype=np.float32)
    half = W // 2
    for j in prange(H):
        for i in range(W):
            out[j, i] = f32(0.0)
        for k in range(lat_lo[j], lat_hi[j]):
            w = lat_matrix[j, k]
            for i in range(W):
                out[j, i] += w * tmp[k, i]
        for k in range(pole_lo[j], pole_hi[j]):
            w = pole_matrix[j, k]
            for i in range(W - half):
                out[j, i] += w * tmp[k, i + half]
            for i in range(W - half, W):
                out[j, i] += w * tmp[k, i + half - W]
    return out


def _band(M):
    n = M.shape[0]
    nz = M != 0.0
    any_ = nz.any(axis=1)
    lo = np.where(any_, np.argmax(nz, axis=1), 0).astype(np.int64)
    hi = np.where(any_, n - np.argmax(nz[:, ::-1], axis=1), 0).astype(np.int64)
    return lo, hi


@lru_cache(maxsize=64)
def _blur_operators(sigma_deg: float, cell_deg: float, row_area: tuple):
    sigma_cells = sigma_deg / cell_deg
    lon = gaussian_taps(sigma_cells)
    K, R = latitude_blur_matrix(sigma_cells, np.asarray(row_area))
    lo, hi = _band(K)
    plo, phi = _band(R)
    return lon.astype(np.float32), K.astype(np.float32), lo, hi, R.astype(np.float32), plo, phi


def blur(field: np.ndarray, sigma_deg: float, cell_deg: float, row_area: np.ndarray) -> np.ndarray:
    """Separable normalised Gaussian blur of a map with σ in degrees.

    ``field`` is ``(rows, columns)`` on an equiangular map whose cells are
    ``cell_deg`` degrees wide; ``row_area`` the area of one cell in each row.
    Longitude: ``Σ_k g_k f[j, i+k]`` wrapped (a kernel wider than the map
    wraps around more than once). Latitude: the area-true mixing of
    ``latitude_blur_matrix``, with polar reflection. Keeps a constant field constant and the
    area-weighted mean exactly (up to float32 rounding).
    """
    field = np.ascontiguousarray(field, dtype=np.float32)
    if field.ndim != 2:
        raise ValueError(f"field must be a 2-D array, got shape {field.shape}")
    if not (sigma_deg >= 0 and math.isfinite(sigma_deg)):
        raise ValueError(f"sigma_deg must be a finite number >= 0, got {sigma_deg!r}")
    if not cell_deg > 0:
        raise ValueError(f"cell_deg must be > 0, got {cell_deg!r}")
    row_area = np.asarray(row_area, dtype=np.float64)
    if row_area.shape != (field.shape[0],) or np.any(row_area <= 0):
        raise ValueError(f"row_area must hold {field.shape[0]} positive areas, got shape {row_area.shape}")
    return _blur(field, *_blur_operators(float(sigma_deg), float(cell_deg), tuple(row_area.tolist())))


# ---------------------------------------------------------------------------
# The climate formulas

_PI = f32(math.pi)


@njit(cache=True, nogil=True, inline="always")
def _smoothstep(a, b, x):
    t = min(max((x - a) / (b - a), f32(0.0)), f32(1.0))
    return t * t * (f32(3.0) - f32(2.0) * t)


@njit(cache=True, nogil=True, inline="always")
def _annual_mean(phi, land):
    """Annual mean sea-level pressure (hPa) at latitude ``phi`` (degrees)."""
    if land:
        return f32(1012.5) - f32(6.0) * np.cos(phi * _PI / f32(45.0))
    return f32(1014.5) - f32(20.0) * np.cos(phi * _PI / f32(30.0))


@njit(cache=True, nogil=True, inline="always")
def _amplitude(phi, land):
    """January–July pressure amplitude (hPa) at latitude ``phi``."""
    if land:
        return f32(15.0) * np.sin(phi * _PI / f32(90.0))
    return f32(20.0) * np.sin(phi * _PI / f32(35.0)) * abs(phi) / f32(90.0)


@njit(cache=True, nogil=True, inline="always")
def _sea_level_temperature(phi, p, season, land, warm, land_warmth, warm_land_warmth):
    """``T0`` blended towards the warm climate by ``warm`` (0 = the present, 1 = warmed)."""
    x = (phi + f32(5.0) * season) / f32(30.0)
    th = np.tanh(f32(2.2) * np.exp(f32(-0.5) * x * x))
    cold = (f32(-27.0) + f32(73.0) * th - (p - f32(1012.0))) / f32(1.8) + land_warmth * land
    hot = (f32(9.0) + f32(50.0) * th - (p - f32(1012.0))) / f32(1.8) + warm_land_warmth * land
    return cold * (f32(1.0) - warm) + hot * warm


@njit(cache=True, nogil=True)
def _formulas(lat, land, p, season, warm, land_warmth, warm_land_warmth):
    n = lat.shape[0]
    out = np.empty((3, n), dtype=np.float32)
    for k in range(n):
        out[0, k] = _annual_mean(lat[k], land[k] > f32(0.5))
        out[1, k] = _amplitude(lat[k], land[k] > f32(0.5))
        out[2, k] = _sea_level_temperature(lat[k], p[k], season, land[k], warm, land_warmth, warm_land_warmth)
    return out


def formulas(lat, land, p, season, warm=0.0, land_warmth=1.5, warm_land_warmth=4.0):
    """The spec's point formulas, elementwise (for checking by hand):
    ``(annual mean pressure, Jan–Jul amplitude, sea-level temperature T0)`` at
    latitudes ``lat`` (degrees), land flags ``land`` (0/1) and pressures ``p``."""
    lat, land, p = (np.ascontiguousarray(np.broadcast_to(a, np.broadcast(lat, land, p).shape), dtype=np.float32).ravel()
                    for a in (lat, land, p))
    return _formulas(lat, land, p, f32(season), f32(warm), f32(land_warmth), f32(warm_land_warmth))


@njit(cache=True, nogil=True)  # climate map only: too small to pay for threads
def _pressure_sources(zc, lat, D):
    """Unblurred annual mean, Jan–Jul amplitude, land flag and height ``h`` per climate cell."""
    H, W = zc.shape
    mean = np.empty((H, W), dtype=np.float32)
    amp = np.empty((H, W), dtype=np.float32)
    land = np.empty((H, W), dtype=np.float32)
    height = np.empty((H, W), dtype=np.float32)
    for j in prange(H):
        phi = lat[j]
        mean_land = _annual_mean(phi, True)
        mean_ocean = _annual_mean(phi, False)
        amp_land = _amplitude(phi, True)
        amp_ocean = _amplitude(phi, False)
        for i in range(W):
            z = zc[j, i]
            if z > D:
                mean[j, i] = mean_land
                amp[j, i] = amp_land
                land[j, i] = f32(1.0)
            else:
                mean[j, i] = mean_ocean
                amp[j, i] = amp_ocean
                land[j, i] = f32(0.0)
            height[j, i] = f32(0.4) * max(f32(0.0), z - D)
    return mean, amp, land, height


@njit(cache=True, nogil=True)  # climate map only: too small to pay for threads
def _climate_now(mean, amp, land, height, lat, season, warm, lapse, land_warmth, warm_land_warmth):
    """Pressure and surface temperature ``(2, Hc, Wc)`` from the blurred fields."""
    H, W = mean.shape
    out = np.empty((2, H, W), dtype=np.float32)
    for j in prange(H):
        phi = lat[j]
        for i in range(W):
            p = mean[j, i] + amp[j, i] * season
            out[0, j, i] = p
            out[1, j, i] = (_sea_level_temperature(phi, p, season, land[j, i], warm, land_warmth, warm_land_warmth)
                            - lapse * height[j, i])
    return out


@njit(cache=True, nogil=True)  # climate map only: too small to pay for threads
def _wind(p, lat, coriolis, vmax):
    """``v = coriolis · sin φ · (−g_y, g_x) − g`` with ``g = ∇p`` by central differences (climate cells;
    x east, y north = decreasing row; wrap in longitude, polar reflection across the poles), its
    length then clamped to ``vmax``."""
    H, W = p.shape
    out = np.empty((2, H, W), dtype=np.float32)
    half = W // 2
    for j in prange(H):
        f = coriolis * np.sin(lat[j] * _PI / f32(180.0))
        for i in range(W):
            e = p[j, i + 1 if i + 1 < W else 0]
            w = p[j, i - 1 if i > 0 else W - 1]
            n = p[j - 1, i] if j > 0 else p[0, (i + half) % W]
            s = p[j + 1, i] if j < H - 1 else p[H - 1, (i + half) % W]
            gx = (e - w) * f32(0.5)
            gy = (n - s) * f32(0.5)
            u = -f * gy - gx
            v = f * gx - gy
            s2 = u * u + v * v
            if s2 > vmax * vmax:
                k = vmax / np.sqrt(s2)
                u *= k
                v *= k
            out[0, j, i] = u
            out[1, j, i] = v
    return out


def wind(pressure: np.ndarray, lat: np.ndarray, coriolis: float = 15.0,
         wind_max: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Wind ``(u east, v north)`` in map cells per step from a pressure map and its row latitudes,
    its length clamped to ``wind_max``."""
    pressure = np.ascontiguousarray(pressure, dtype=np.float32)
    lat = np.ascontiguousarray(lat, dtype=np.float32)
    if pressure.ndim != 2 or lat.shape != (pressure.shape[0],):
        raise ValueError(f"pressure must be (rows, columns) and lat (rows,), got {pressure.shape} and {lat.shape}")
    out = _wind(pressure, lat, f32(coriolis), f32(wind_max))
    return out[0], out[1]


def warming(t: float, schedule) -> float:
    """Warming blend ``k``: ``smoothstep(warming_start, warming_end, t)``, undone after story end."""
    k = smoothstep(schedule.warming_start, schedule.warming_end, t)
    return k * (1.0 - smoothstep(schedule.story_end + 5.0, schedule.story_end + 15.0, t))


def climate_fields(elevation: np.ndarray, sea_level: float, t: float, config) -> dict[str, np.ndarray]:
    """The climate-map fields at time ``t``: ``pressure``, ``temperature``, ``wind_u``, ``wind_v``
    (``(Hc, Wc)`` float32 each) plus ``land``, ``height`` and the map geometry ``map``."""
    H, W = elevation.shape
    cmap = climate_map(H, W)
    cc = config.climate
    zc = box_average(elevation, cmap.factor)
    mean, amp, land, height = _pressure_sources(zc, cmap.lat, f32(sea_level))
    mean = blur(mean, cc.sigma_mean_deg, cmap.cell_deg, cmap.row_area)
    amp = blur(amp, cc.sigma_amplitude_deg, cmap.cell_deg, cmap.row_area)
    height = blur(height, cc.sigma_height_deg, cmap.cell_deg, cmap.row_area)
    m = (t * 12.0 / cc.year) % 12.0
    season = 1.0 - 2.0 * smoothstep(1.5, 4.5, m) + 2.0 * smoothstep(7.5, 10.5, m)
    k = warming(t, config.schedule)
    lapse = cc.lapse_rate + (cc.warm_lapse_rate - cc.lapse_rate) * k
    pt = _climate_now(mean, amp, land, height, cmap.lat, f32(season), f32(k), f32(lapse),
                      f32(cc.land_warmth), f32(cc.warm_land_warmth))
    uv = _wind(pt[0], cmap.lat, f32(cc.coriolis), f32(cc.wind_max))
    stack = np.concatenate([pt, uv])
    return {"pressure": stack[0], "temperature": stack[1], "wind_u": stack[2], "wind_v": stack[3],
            "stack": stack, "land": land, "height": height, "map": cmap, "season": season, "warming": k}


class ClimateStage:
    """Pressure (hPa), surface temperature (°C) and wind (climate cells per step) at full resolution.

    Also leaves the climate-map fields in ``ctx.scratch["climate"]`` for the
    atmosphere, which works on the same coarse map.
    """

    name = "climate"
    reads = ("elevation",)
    writes = ("pressure", "temperature", "wind_u", "wind_v")

    def initial(self, grid, config, seed, fields):
        """The climate of the protoplanet (``fields["elevation"]``) at t = 0."""
        from planet.core.timeline import Timeline

        z = fields["elevation"]
        return self._full(climate_fields(z, Timeline(config.schedule).sea_level(0.0), 0.0, config))

    def _full(self, c):
        full = upsample(c["stack"], c["map"])
        return {name: full[k] for k, name in enumerate(self.writes)}

    def advance(self, fields, ctx):
        c = climate_fields(fields["elevation"], ctx.sea_level, ctx.time, ctx.config)
        ctx.scratch["climate"] = c
        return self._full(c)
