"""Lengths, areas and rates of the grid in physical units: every distance in ``L0`` (the cell width
at the equator of the 512-column reference grid), per-row cell widths (cos latitude) and areas,
the diffusion and erosion coefficients they give, and the implicit east-west uplift diffusion."""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from planet.core.grid import Grid

f32 = np.float32
REFERENCE_COLUMNS = 512
L0 = 2.0 * math.pi / REFERENCE_COLUMNS     # on the unit sphere
THERMAL_CAP = 0.125
DIFFUSION_CAP = 0.45




def _rows(H: int, W: int):
    """Per row: the cell height ``dy`` (``L0``), the centres' and the north edges' cos latitude
    (``cos_edge`` has ``H + 1`` entries, 0 at the poles)."""
    dy = REFERENCE_COLUMNS / W
    lat = np.radians(90.0 - 180.0 * (np.arange(H) + 0.5) / H)
    edge = np.radians(90.0 - 180.0 * np.arange(H + 1) / H)      # edge[j] is row j's north edge
    cos_edge = np.clip(np.cos(edge), 0.0, None)
    cos_edge[0] = cos_edge[-1] = 0.0
    return dy, np.cos(lat), cos_edge


def diagonal_reach(H: int, W: int) -> np.ndarray:
    """Per row, int64: ``m_j = round(1 / cos φ_j)`` (1 to ``W / 4``), the number of columns spanning
    about one cell height east-west. A D8 diagonal of row ``j`` steps ``m_j`` columns (the D8
    neighbours NE, SE, SW, NW of ``(j, i)`` are ``(j ∓ 1, i ± m_j)``), so the eight directions lie
    about 45° apart on the sphere at every latitude (``m_j = 1`` within 48° of the equator); with
    the adjacent columns, near a pole the diagonals would point almost north-south and east-west
    would drain every slope within about 40° of it. Convergent boundaries look as far
    (``boundaries``)."""
    _, cos, _ = _rows(H, W)
    return np.clip(np.round(1.0 / cos), 1, max(W // 4, 1)).astype(np.int64)


def distances(H: int, W: int) -> np.ndarray:
    """``(H, 8)`` float64: the distance (``L0``) from a cell of row ``j`` to its D8 neighbours
    N, NE, E, SE, S, SW, W, NW on the sphere: ``dy`` north-south, ``dx_j = dy cos φ_j`` east-west,
    ``√(dy² + (m_j dy cos φ_edge)²)`` diagonally (``m_j`` the ``diagonal_reach``, ``φ_edge`` the
    latitude of the row edge crossed)."""
    dy, cos, cos_edge = _rows(H, W)
    dx = dy * cos
    m = diagonal_reach(H, W)
    diag_n = np.sqrt(dy ** 2 + (m * dy * cos_edge[:-1]) ** 2)
    diag_s = np.sqrt(dy ** 2 + (m * dy * cos_edge[1:]) ** 2)
    return np.stack([np.full(H, dy), diag_n, dx, diag_s, np.full(H, dy), diag_s, dx, diag_n], axis=1)


def inverse_distances(H: int, W: int) -> np.ndarray:
    """``1 / distances(H, W)`` as float32: what the D8 router and stream power multiply drops by."""
    return (1.0 / distances(H, W)).astype(np.float32)


class Metrics:
    """Per-row distances, areas and coefficients of a grid (all in ``L0`` units)."""

    def __init__(self, H: int, W: int, cfg):
        dy, cos, cos_edge = _rows(H, W)
        dx = dy * cos
        self.dy = dy
        self.dx = dx
        self.inv_dist = inverse_distances(H, W)      # N, NE, E, SE, S, SW, W, NW
        self.reach = diagonal_reach(H, W)
        area = Grid(H, W).area[:, 0] / L0 ** 2
        self.area = area.astype(np.float32)
        k_y = cfg.uplift_diffusion
        self.g_east = (k_y / dx ** 2).astype(np.float64)
        self.g_north = np.minimum(k_y * cos_edge[:-1] / (cos * dy ** 2), DIFFUSION_CAP).astype(np.float32)
        self.g_south = np.minimum(k_y * cos_edge[1:] / (cos * dy ** 2), DIFFUSION_CAP).astype(np.float32)
        k_t = cfg.thermal_erosion
        self.k_east = np.minimum(k_t / dx ** 2, THERMAL_CAP).astype(np.float32)
        self.k_north = f32(min(k_t / dy ** 2, THERMAL_CAP))
        self.talus_east = (cfg.talus * dx).astype(np.float32)
        self.talus_north = f32(cfg.talus * dy)
        k_c = cfg.crust_spreading
        self.c_east = (k_c / dx ** 2).astype(np.float64)          # implicit: no cap
        self.c_north = np.minimum(k_c * cos_edge[:-1] / (cos * dy ** 2), DIFFUSION_CAP).astype(np.float32)
        self.c_south = np.minimum(k_c * cos_edge[1:] / (cos * dy ** 2), DIFFUSION_CAP).astype(np.float32)


# ---------------------------------------------------------------------------
# rule 1, east-west: implicit diffusion along each row (periodic tridiagonal, Sherman-Morrison)


@njit(cache=True, nogil=True, parallel=True)
def _diffuse_rows(y0, q0, g_east, out):
    """``out = (I − Δt L_x)^{-1} y0`` per row: ``L_x`` the east-west diffusion with face
    conductance ``g_east[j]`` between equal plate ids, 0 across plate boundaries (periodic)."""
    H, W = y0.shape
    for j in prange(H):
        g = g_east[j]
        ge = np.empty(W)
        for i in range(W):
            ii = i + 1 if i < W - 1 else 0
            ge[i] = g if q0[j, i] == q0[j, ii] else 0.0
        _solve_row(j, ge, y0, out)


@njit(cache=True, nogil=True, parallel=True)
def _spread_rows(crust, g_east, e, out):
    """``out = C + ((I − Δt L_x)^{-1} e − e)`` per row, ``e = max(C − 1, 0)`` (written to ``e``), with
    face conductance ``g_east[j]`` between two continental cells (``crust ≥ 1/2``), 0 where either
    is oceanic (periodic). Float32 as ``crust.spread_rows`` states it: the solve rounded, then
    ``(C − e)`` added."""
    H, W = e.shape
    half = np.float32(0.5)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    for j in prange(H):
        for i in range(W):
            x = crust[j, i] - one
            e[j, i] = zero if x < zero else x      # noqa: FURB136 (np.maximum's NaN rule)
        if _zero_row(e, j):          # nothing to spread: (I − L)^{-1} 0 = 0, exactly as the solve gives
            for i in range(W):
                out[j, i] = zero + (crust[j, i] - e[j, i])
            continue
        g = g_east[j]
        ge = np.empty(W)
        for i in range(W):
            ii = i + 1 if i < W - 1 else 0
            ge[i] = g if (crust[j, i] >= half and crust[j, ii] >= half) else 0.0
        _solve_row(j, ge, e, out)
        for i in range(W):
            out[j, i] += crust[j, i] - e[j, i]


@njit(cache=True, nogil=True, inline="always")
def _zero_row(e, j):
    for i in range(e.shape[1]):
        if e[j, i] != f32(0.0):
            return False
    return True


@njit(cache=True, nogil=True)
def _solve_row(j, ge, y0, out):
    """Row ``j`` of ``out = (I − L)^{-1} y0``, ``L`` the periodic 1-D diffusion with face
    conductances ``ge[i]`` (between cells i and i+1): a cyclic tridiagonal system, solved by the
    Sherman–Morrison correction of two Thomas sweeps."""
    W = y0.shape[1]
    a = np.empty(W)   # sub-diagonal (x_{i-1})
    b = np.empty(W)
    c = np.empty(W)   # super-diagonal (x_{i+1})
    for i in range(W):
        gw = ge[i - 1] if i > 0 else ge[W - 1]
        a[i] = -gw
        c[i] = -ge[i]
        b[i] = 1.0 + gw + ge[i]
    gamma = -b[0]
    alpha = a[0]          # A[0, W-1]
    beta = c[W - 1]       # A[W-1, 0]
    bb = b.copy()
    bb[0] = b[0] - gamma
    bb[W - 1] = b[W - 1] - alpha * beta / gamma
    # Thomas on bb for two right-hand sides: d = y0 row, u = (gamma, 0, …, 0, beta)
    cp = np.empty(W)
    x = np.empty(W)
    zz = np.empty(W)
    den = bb[0]
    cp[0] = c[0] / den
    x[0] = y0[j, 0] / den
    zz[0] = gamma / den
    for i in range(1, W):
        den = bb[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / den if i < W - 1 else 0.0
        x[i] = (y0[j, i] - a[i] * x[i - 1]) / den
        ui = beta if i == W - 1 else 0.0
        zz[i] = (ui - a[i] * zz[i - 1]) / den
    for i in range(W - 2, -1, -1):
        x[i] -= cp[i] * x[i + 1]
        zz[i] -= cp[i] * zz[i + 1]
    fact = (x[0] + alpha * x[W - 1] / gamma) / (1.0 + zz[0] + alpha * zz[W - 1] / gamma)
    for i in range(W):
        out[j, i] = f32(x[i] - fact * zz[i])
