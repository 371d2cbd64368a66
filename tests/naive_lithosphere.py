"""Plain NumPy / Python versions of the lithosphere kernels, written from the spec
independently of the Numba code, to test the kernels against."""
from __future__ import annotations

import math

import numpy as np
import pytest

f32 = np.float32
# N, NE, E, SE, S, SW, W, NW
D8 = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
D4 = [(-1, 0), (0, 1), (1, 0), (0, -1)]


def nb(j, i, dj, di, H, W):
    """Longitude wrap, polar reflection."""
    jj, ii = j + dj, i + di
    if jj < 0 or jj >= H:
        jj = 0 if jj < 0 else H - 1
        ii += W // 2
    return jj, ii % W


def d8_reach(H, W, j):
    """Columns a diagonal of row ``j`` steps: ``1 / cos φ_j`` rounded half to even, in [1, W / 4]."""
    lat = math.radians(90.0 - 180.0 * (j + 0.5) / H)
    return int(min(max(round(1.0 / math.cos(lat)), 1), max(W // 4, 1)))


def router_directions(H, W, j):
    """``(code, dj, di, first choice)`` for each direction of the router from row ``j``: the D8
    eight (N, NE, E, SE, S, SW, W, NW; the diagonals ``m`` columns east or west); where ``m >= 2``
    also east and west ``m`` columns away, the next rows one column east and west and, where
    ``m >= 4``, ``round(m / 2)`` columns; there the adjacent east and west are no first choice."""
    m = d8_reach(H, W, j)
    out = [(k, dj, di * m if k % 2 else di, m == 1 or k not in (2, 6)) for k, (dj, di) in enumerate(D8)]
    if m >= 2:
        extra = [(0, m), (0, -m), (-1, 1), (-1, -1), (1, 1), (1, -1)]
        if m >= 4:
            h = round(m / 2)
            extra += [(-1, h), (-1, -h), (1, h), (1, -h)]
        out += [(8 + n, dj, di, True) for n, (dj, di) in enumerate(extra)]
    return out


def router_distance(H, W, j, dj, di):
    """The distance between cell centres on the sphere, in units of the 512-column grid's equatorial
    cell width, from the router's rule: ``dy = 512 / W`` across a row edge, ``|di| dy cos φ_j`` along
    the row, and across an edge the hypotenuse of ``dy`` and ``|di| dy cos φ_edge`` (the edge crossed;
    ``cos φ_edge = 0`` at the poles)."""
    dy = 512.0 / W
    if dj == 0:
        return abs(di) * dy * math.cos(math.radians(90.0 - 180.0 * (j + 0.5) / H))
    if di == 0:
        return dy
    edge = j if dj < 0 else j + 1
    c = 0.0 if edge in (0, H) else math.cos(math.radians(90.0 - 180.0 * edge / H))
    return math.hypot(dy, abs(di) * dy * c)


def route(z, j, i, floor=f32(0)):
    """``(receiver, code)`` of cell ``(j, i)``: the steepest descent ``(z − z_n) / dist`` (float32)
    of at least ``floor`` over the first choices, the last of equal ones; else over the adjacent
    east and west; ``(-1, -1)``: a pit."""
    H, W = z.shape
    dirs = router_directions(H, W, j)
    best, r, d = floor, -1, -1
    for first in (True, False):
        for k, dj, di, primary in dirs:
            if primary != first:
                continue
            jj, ii = nb(j, i, dj, di, H, W)
            s = f32(f32(z[j, i] - z[jj, ii]) * f32(1.0 / router_distance(H, W, j, dj, di)))
            if s >= best:
                best, r, d = s, jj * W + ii, k
        if r >= 0:
            break
    return r, d


def receivers(z, level):
    H, W = z.shape
    rcv = np.full((H, W), -2, np.int64)
    rdir = np.full((H, W), -1, np.int64)
    for j in range(H):
        for i in range(W):
            if z[j, i] >= level:
                rcv[j, i], rdir[j, i] = route(z, j, i)
    return rcv, rdir


def break_loops(rcv):
    """Follow every cell; a walk that comes back on itself found a loop: its largest index becomes a pit."""
    r = rcv.ravel().copy()
    for c in range(r.size):
        seen = []
        x = c
        while x >= 0 and r[x] != -2 and x not in seen:
            seen.append(x)
            x = r[x]
        if x >= 0 and x in seen:
            loop = seen[seen.index(x):]
            r[max(loop)] = -1
    return r.reshape(rcv.shape)


def accumulate(rcv_fixed, weight=None):
    """Brute force: walk every routed cell to its outlet, adding one (or its weight) to each routed cell it passes."""
    r = rcv_fixed.ravel()
    w = np.ones(r.size, np.int64) if weight is None else np.ravel(weight)
    area = np.zeros(r.size, w.dtype)
    for c in range(r.size):
        x = c
        steps = 0
        while x >= 0 and r[x] != -2:
            area[x] += w[c]
            x = r[x]
            steps += 1
            assert steps <= r.size, "loop"
    return area.reshape(rcv_fixed.shape)


def basin(rcv_fixed, land, b0):
    r = rcv_fixed.ravel()
    lf = land.ravel()
    b = b0.ravel()
    out = b.copy()
    for c in range(r.size):
        x = c
        while r[x] >= 0 and lf[x]:
            x = r[x]
        out[c] = b[x]
    return out.reshape(b0.shape)


def surface(q, y, z, rcv, rdir, area, D, s0, tectonic, cfg):
    """Rules 1–4, cell by cell, in float32."""
    H, W = z.shape
    D = f32(D)
    level = f32(D - f32(cfg.shore))
    yo = np.empty_like(y)
    zo = np.empty_like(z)
    ao = np.zeros_like(z)
    land = np.zeros(z.shape, bool)
    zf = z.ravel()
    for j in range(H):
        for i in range(W):
            nbrs = [nb(j, i, dj, di, H, W) for dj, di in D4]
            yc = y[j, i]
            if tectonic:
                s = f32(0)
                for jj, ii in nbrs:
                    if q[jj, ii] == q[j, i]:
                        s = f32(s + f32(y[jj, ii] - yc))
                yc = max(f32(yc + f32(f32(cfg.uplift_diffusion) * s)), f32(0))
            zc = z[j, i]
            above = f32(zc - D)
            cap = f32(1) if above <= 1 else f32(f32(1) / above)
            zc = f32(zc + min(max(f32(f32(2) * yc - f32(1)), f32(0)), cap))
            if zc >= level:
                s = f32(0)
                for jj, ii in nbrs:
                    d = f32(z[jj, ii] - zc)
                    if abs(d) > f32(cfg.talus):
                        s = f32(s + d)
                zc = max(f32(0), f32(zc + f32(f32(cfg.thermal_erosion) * s)))
                a = f32(area[j, i])
                ao[j, i] = a
                r = rcv[j, i]
                if r < 0:
                    zc = f32(zc + f32(cfg.pit_fill))
                else:
                    zr = zf[r]
                    dist = f32(math.sqrt(2)) if rdir[j, i] % 2 else f32(1)
                    slope = f32(abs(f32(zc - zr)) / dist)
                    e = min(f32(np.power(a, f32(cfg.area_exponent)) * np.power(slope, f32(cfg.slope_exponent))), zc)
                    zc = max(f32(zc - f32(f32(f32(cfg.stream_power) * e) * f32(s0))), zr)
                land[j, i] = zc >= D
            if tectonic:
                zc = f32(zc + f32(f32(f32(cfg.sediment) * min(max(f32(zc + f32(2.5)), f32(0)), f32(10))) * f32(s0)))
            elif zc >= level:
                zc = f32(zc + f32(cfg.sediment))
            yo[j, i], zo[j, i] = yc, zc
    return yo, zo, ao, land


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Run a test module single-threaded (results do not depend on it: test_lithosphere checks
    1 vs 2 threads). On a shared, oversubscribed machine, two-thread parallel regions on tiny
    grids wait for a descheduled thread and run ~50x slower."""
    import numba
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)
