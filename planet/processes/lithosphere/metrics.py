"""Lengths, areas and rates of the grid in physical units: every distance in ``L0`` (the cell width
at the equator of the 512-column reference grid), per-row cell widths (cos latitude) and areas,
the diffusion and erosion coefficients they give, and the implicit east-west uplift diffusion."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit, prange, uint64

from planet.core.grid import REFERENCE_COLUMNS, Grid

f32 = np.float32
L0 = 2.0 * math.pi / REFERENCE_COLUMNS     # on the unit sphere
#: km² per ``L0²`` (what the stage multiplies its true drainage areas by to write the field)
L0_KM2 = Grid(REFERENCE_COLUMNS // 2, REFERENCE_COLUMNS).equator_cell_km2
THERMAL_CAP = 0.125




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


#: router directions: the D8 eight (N, NE, E, SE, S, SW, W, NW: codes 0-7), then, in rows with
#: ``m_j >= 2``, east and west ``m_j`` columns away (8, 9), the next rows one column east and west
#: (10-13: N+1, N-1, S+1, S-1) and, where ``m_j >= 4``, ``h_j = round(m_j / 2)`` columns (14-17)
DIRECTIONS = 18


def router_offsets(H: int, W: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(dj, di, primary)``, each ``(H, DIRECTIONS)``: the router's neighbour offsets per row and
    direction, and whether the direction is a first choice. Within 48° of the equator (``m_j = 1``)
    the eight D8 directions are, and nothing else. Beyond, the adjacent columns east and west
    (``dy cos φ`` away, a small fraction of a cell height near a pole) are a last resort, taken only
    where no other neighbour is lower, and east and west are ``m_j`` columns away, about one cell
    height, as the diagonals are; the next rows one column (and ``h_j`` columns) east and west add
    bearings between north and the diagonals, so that no move keeps a column's residue (with steps
    of ``m_j`` columns only, the columns of the rows with ``m_j = 2`` would drain in two networks
    that never meet)."""
    m = diagonal_reach(H, W)
    dj = np.zeros((H, DIRECTIONS), np.int64)
    di = np.zeros((H, DIRECTIONS), np.int64)
    primary = np.zeros((H, DIRECTIONS), np.bool_)
    base_j = (-1, -1, 0, 1, 1, 1, 0, -1)
    base_i = (0, 1, 1, 1, 0, -1, -1, -1)
    for j in range(H):
        mj = int(m[j])
        h = int(round(mj / 2))
        for k in range(8):
            dj[j, k] = base_j[k]
            di[j, k] = base_i[k] * (mj if k & 1 else 1)
            primary[j, k] = mj == 1 or k not in (2, 6)
        if mj < 2:
            continue
        extra = [(0, mj), (0, -mj), (-1, 1), (-1, -1), (1, 1), (1, -1)]
        if mj >= 4:
            extra += [(-1, h), (-1, -h), (1, h), (1, -h)]
        for k, (a, b) in enumerate(extra, start=8):
            dj[j, k], di[j, k], primary[j, k] = a, b, True
    return dj, di, primary


def distances(H: int, W: int) -> np.ndarray:
    """``(H, DIRECTIONS)`` float64: the distance (``L0``) from a cell of row ``j`` to its router
    neighbours (``router_offsets``) on the sphere: ``|di| dy cos φ_j`` along the row, and across a row
    edge ``√(dy² + (|di| dy cos φ_edge)²)`` (``φ_edge`` the latitude of the edge crossed; the D8
    diagonals step ``m_j = diagonal_reach`` columns). Directions a row does not have: infinite."""
    dy, cos, cos_edge = _rows(H, W)
    dj, di, primary = router_offsets(H, W)
    m = diagonal_reach(H, W)
    out = np.full((H, DIRECTIONS), np.inf)
    for j in range(H):
        for k in range(DIRECTIONS):
            if k >= 8 and m[j] < 2 or (k >= 14 and m[j] < 4):
                continue
            c = abs(di[j, k]) * dy
            if dj[j, k] == 0:
                out[j, k] = c * cos[j]
            elif di[j, k] == 0:
                out[j, k] = dy
            else:
                edge = cos_edge[j] if dj[j, k] < 0 else cos_edge[j + 1]
                out[j, k] = math.sqrt(dy ** 2 + (c * edge) ** 2)
    return out


def inverse_distances(H: int, W: int) -> np.ndarray:
    """``1 / distances(H, W)`` as float32 (0 for the directions a row does not have): what the router
    and stream power multiply drops by."""
    return (1.0 / distances(H, W)).astype(np.float32)


@lru_cache(maxsize=8)
def router_tables(H: int, W: int) -> tuple[np.ndarray, ...]:
    """The router's per-row tables of an ``(H, W)`` grid, in ``routing._receivers``' order:
    ``inverse_distances``, ``diagonal_reach``, then ``router_offsets``' ``dj``, ``di``, ``primary``.
    Built by Python loops over the rows (about three quarters of a public ``routing.receivers`` call
    at 512-2048 columns), so kept per grid and shared (``Metrics`` holds the same arrays): read only,
    never written."""
    return (inverse_distances(H, W), diagonal_reach(H, W), *router_offsets(H, W))


class Metrics:
    """Per-row distances, areas and coefficients of a grid (all in ``L0`` units)."""

    def __init__(self, H: int, W: int, cfg):
        dy, cos, cos_edge = _rows(H, W)
        dx = dy * cos
        self.dy = dy
        self.dx = dx
        # per router direction (``router_offsets``); shared with every Metrics of this grid (``router_tables``)
        self.inv_dist, self.reach, *offsets = router_tables(H, W)
        self.offsets = tuple(offsets)
        area = Grid(H, W).area[:, 0] / L0 ** 2
        self.area = area.astype(np.float32)
        # stream power's least upstream area: the smallest cell the D8 rows have (``stream_power.coefficients``)
        d8_rows = self.reach == 1
        self.area_floor = f32(self.area[d8_rows].min() if d8_rows.any() else self.area.max())
        k_y = cfg.uplift_diffusion
        self.g_east = (k_y / dx ** 2).astype(np.float64)
        # north-south: the faces' coefficients of the implicit column solves (``columns``)
        self.g_north = k_y * cos_edge[:-1] / (cos * dy ** 2)
        self.g_south = k_y * cos_edge[1:] / (cos * dy ** 2)
        k_t = cfg.thermal_erosion
        self.k_east = np.minimum(k_t / dx ** 2, THERMAL_CAP).astype(np.float32)
        self.k_north = f32(min(k_t / dy ** 2, THERMAL_CAP))
        self.talus_east = (cfg.talus * dx).astype(np.float32)
        self.talus_north = f32(cfg.talus * dy)
        k_c = cfg.crust_spreading
        self.c_east = (k_c / dx ** 2).astype(np.float64)          # implicit: no cap
        self.c_north = k_c * cos_edge[:-1] / (cos * dy ** 2)
        self.c_south = k_c * cos_edge[1:] / (cos * dy ** 2)


# ---------------------------------------------------------------------------
# rule 1, east-west: implicit diffusion along each row (periodic tridiagonal, Sherman-Morrison)


#: rows solved together (``_solve_band``): their sweeps are independent, so the band's rows share each
#: vector instruction (16 float64 lanes: two AVX-512 vectors) instead of waiting on one division chain
BAND = 16
# slots of the band's work array, per column i and row r of the band: T[(i * SLOTS + slot) * BAND + r]
_GE, _Y, _CP, _X, _ZZ = 0, 1, 2, 3, 4
SLOTS = 5


@njit(cache=True, nogil=True, inline="always")
def _band_rows(band, H, rows):
    """The rows of band ``band`` (``BAND`` of them; past the last row the last row again, solved but
    not written); returns how many are real."""
    for r in range(BAND):
        rows[r] = min(band * BAND + r, H - 1)
    return min(BAND, H - band * BAND)


@njit(cache=True, nogil=True, parallel=True)
def _diffuse_rows(y0, q0, g_east, out):
    """``out = (I − Δt L_x)^{-1} y0`` per row: ``L_x`` the east-west diffusion with face
    conductance ``g_east[j]`` between equal plate ids, 0 across plate boundaries (periodic).
    Rows are solved ``BAND`` at a time (``_solve_band``), each with the arithmetic of ``_solve_row``."""
    H, W = y0.shape
    S = SLOTS * BAND
    for band in prange((H + BAND - 1) // BAND):
        T = np.empty(W * S)
        rows = np.empty(BAND, np.int64)
        n = _band_rows(band, H, rows)
        for r in range(BAND):
            j = rows[r]
            g = g_east[j]
            for i in range(W):
                ii = i + 1 if i < W - 1 else 0
                T[i * S + _GE * BAND + r] = g if q0[j, i] == q0[j, ii] else 0.0
                T[i * S + _Y * BAND + r] = y0[j, i]
        _solve_band(T, W, rows, n, out)


@njit(cache=True, nogil=True, parallel=True)
def _spread_rows(crust, g_east, e, out):
    """``out = C + ((I − Δt L_x)^{-1} e − e)`` per row, ``e = max(C − 1, 0)`` (written to ``e``), with
    face conductance ``g_east[j]`` between two continental cells (``crust ≥ 1/2``), 0 where either
    is oceanic (periodic). Float32 as ``crust.spread_rows`` states it: the solve rounded, then
    ``(C − e)`` added. Rows are solved ``BAND`` at a time (``_solve_band``); a row of ``e`` all 0
    is not solved ((I − L)^{-1} 0 = 0, exactly as the solve gives), nor a band of such rows."""
    H, W = e.shape
    half = np.float32(0.5)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    S = SLOTS * BAND
    for band in prange((H + BAND - 1) // BAND):
        rows = np.empty(BAND, np.int64)
        n = _band_rows(band, H, rows)
        nonzero = np.zeros(BAND, np.bool_)
        solve = False
        for r in range(n):
            j = rows[r]
            for i in range(W):
                x = crust[j, i] - one
                e[j, i] = zero if x < zero else x      # noqa: FURB136 (np.maximum's NaN rule)
            if _zero_row(e, j):
                for i in range(W):
                    out[j, i] = zero + (crust[j, i] - e[j, i])
            else:
                nonzero[r] = True
                solve = True
        if not solve:
            continue
        T = np.empty(W * S)
        for r in range(BAND):
            j = rows[r]
            g = g_east[j]
            for i in range(W):
                ii = i + 1 if i < W - 1 else 0
                T[i * S + _GE * BAND + r] = g if (crust[j, i] >= half and crust[j, ii] >= half) else 0.0
                T[i * S + _Y * BAND + r] = e[j, i]     # (a repeated last row is the band's own row H - 1)
        fact = _sweep_band(T, W)
        for r in range(n):
            if nonzero[r]:
                j = rows[r]
                f = fact[r]
                for i in range(W):
                    k = i * S + r
                    out[j, i] = np.float32(T[k + _X * BAND] - f * T[k + _ZZ * BAND]) + (crust[j, i] - e[j, i])


@njit(cache=True, nogil=True, inline="always")
def _zero_row(e, j):
    for i in range(e.shape[1]):
        if e[j, i] != f32(0.0):
            return False
    return True


@njit(cache=True, nogil=True)
def _solve_band(T, W, rows, n, out):
    """Rows ``rows[:n]`` of ``out = (I − L)^{-1} y`` from the band's work array ``T`` (``_sweep_band``)."""
    fact = _sweep_band(T, W)
    S = SLOTS * BAND
    for r in range(n):
        j = rows[r]
        f = fact[r]
        for i in range(W):
            k = i * S + r
            out[j, i] = np.float32(T[k + _X * BAND] - f * T[k + _ZZ * BAND])


@njit(cache=True, nogil=True, error_model="numpy")
def _sweep_band(T, W):
    """``_solve_row``'s two Thomas sweeps for the ``BAND`` rows of ``T`` at once, the same operations
    in the same order for each row, so the same bits. On entry ``T`` holds each row's face
    conductances (slot ``_GE``) and right-hand side (``_Y``); on return the two solutions ``x``
    (``_X``) and ``zz`` (``_ZZ``); returns each row's Sherman–Morrison factor, so that row r's
    answer is ``x − fact[r] zz``. The row loops are over the band's contiguous lanes with unsigned
    offsets, the form LLVM vectorizes (``error_model="numpy"``: no division-by-zero branch; the
    denominators are never 0, ``b >= 1``)."""
    S = SLOTS * BAND
    alpha = np.empty(BAND)
    gamma = np.empty(BAND)
    beta = np.empty(BAND)
    bbl = np.empty(BAND)
    last = (W - 1) * S
    for r in range(BAND):
        gw = T[last + _GE * BAND + r]          # ge[W - 1]: the face west of cell 0
        g = T[_GE * BAND + r]
        b0 = 1.0 + gw + g
        gm = -b0                               # gamma = -b[0]
        al = -gw                               # alpha = a[0]
        be = -T[last + _GE * BAND + r]         # beta = c[W - 1]
        gamma[r] = gm
        alpha[r] = al
        beta[r] = be
        bbl[r] = (1.0 + T[last - S + _GE * BAND + r] + T[last + _GE * BAND + r]) - al * be / gm
        den = b0 - gm                          # bb[0]
        T[_CP * BAND + r] = (-g) / den
        T[_X * BAND + r] = T[_Y * BAND + r] / den
        T[_ZZ * BAND + r] = gm / den
    for i in range(1, W - 1):
        p = uint64((i - 1) * S)
        c = uint64(i * S)
        for r in range(BAND):
            u = uint64(r)
            gw = T[p + uint64(_GE * BAND) + u]
            g = T[c + uint64(_GE * BAND) + u]
            a = -gw
            den = (1.0 + gw + g) - a * T[p + uint64(_CP * BAND) + u]
            T[c + uint64(_CP * BAND) + u] = (-g) / den
            T[c + uint64(_X * BAND) + u] = (T[c + uint64(_Y * BAND) + u] - a * T[p + uint64(_X * BAND) + u]) / den
            T[c + uint64(_ZZ * BAND) + u] = (0.0 - a * T[p + uint64(_ZZ * BAND) + u]) / den
    p = last - S
    for r in range(BAND):
        a = -T[p + _GE * BAND + r]
        den = bbl[r] - a * T[p + _CP * BAND + r]
        T[last + _CP * BAND + r] = 0.0
        T[last + _X * BAND + r] = (T[last + _Y * BAND + r] - a * T[p + _X * BAND + r]) / den
        T[last + _ZZ * BAND + r] = (beta[r] - a * T[p + _ZZ * BAND + r]) / den
    for i in range(W - 2, -1, -1):
        c = uint64(i * S)
        nx = uint64((i + 1) * S)
        for r in range(BAND):
            u = uint64(r)
            cp = T[c + uint64(_CP * BAND) + u]
            T[c + uint64(_X * BAND) + u] -= cp * T[nx + uint64(_X * BAND) + u]
            T[c + uint64(_ZZ * BAND) + u] -= cp * T[nx + uint64(_ZZ * BAND) + u]
    fact = np.empty(BAND)
    for r in range(BAND):
        x0 = T[_X * BAND + r]
        xl = T[last + _X * BAND + r]
        z0 = T[_ZZ * BAND + r]
        zl = T[last + _ZZ * BAND + r]
        fact[r] = (x0 + alpha[r] * xl / gamma[r]) / (1.0 + z0 + alpha[r] * zl / gamma[r])
    return fact


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
