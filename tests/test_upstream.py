"""Rule 2's window cut to the columns around the upstream point (``lithosphere.upstream``): the
same marker as the whole window for every cell of random polar configurations, and the cut
against brute force (every column where some marker within the offset bounds passes the inside
test is kept)."""
import math

import numpy as np
import pytest
from numba import njit

from planet.processes.lithosphere import candidate, drift, polar, window
from planet.processes.lithosphere.territory import trig_tables
from planet.processes.lithosphere.upstream import half_columns, pieces, reflected_row, wrap


@njit(cache=False)
def _cell(k, j, i, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h):
    """What ``drift.carry`` works out for cell (j, i) before it scans: the centre, east and north
    (``drift._frame``), plate ``k``'s motion there, the cell's width and the motion in cells."""
    (x0, y0, z0), (ex, _, ez), (nx, ny, nz) = drift._frame(j, i, coslat, sinlat, coslon, sinlon)
    vx, vy, vz = drift._velocity(k, x0, y0, z0, poles, omega)
    wj = wrow[j]
    fu = (vx * ex + vz * ez) / wj
    fv = (vx * nx + vy * ny + vz * nz) / h
    return x0, y0, z0, ex, ez, nx, ny, nz, vx, vy, vz, wj, fu, fv


@njit(cache=False)
def _whole_window(qk, k, j, i, q0, marks, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, reach_rows, rows):
    """Cell (j, i)'s set-up (``_cell``), its window's columns each side ``m`` and rule 2 over the whole
    window (``drift._scan(True, ...)``): ``(cell, m, (marker, u, v))``."""
    cell = _cell(k, j, i, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h)
    x0, y0, z0, ex, ez, nx, ny, nz, vx, vy, vz, wj, fu, fv = cell
    m = reach_rows[j]
    a, ua, va, _, _, _ = drift._scan(True, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu,
                                     fv, m, rows)
    return cell, m, (a, ua, va)


@njit(cache=False)
def _both(qk, k, q0, marks, spread, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, reach_rows, rows, out):
    """For every cell: rule 2 over the whole window (``drift._scan``) and around the upstream point
    (``drift._upstream``), ``out[j, i] = (cell, u, v, cell, u, v, scanned columns)``."""
    H, W = q0.shape
    for j in range(H):
        for i in range(W):
            cl, sl = coslat[j], sinlat[j]
            cell, m, (a, ua, va) = _whole_window(qk, k, j, i, q0, marks, poles, omega, coslat, sinlat, coslon, sinlon,
                                                 wrow, h, reach_rows, rows)
            x0, y0, z0, ex, ez, nx, ny, nz, vx, vy, vz, wj, fu, fv = cell
            b, ub, vb, _, _, _ = drift._upstream(True, qk, j, i, q0, marks, spread, vx, vy, vz, x0, y0, z0, ex, ez,
                                                 nx, ny, nz, wj, h, fu, fv, cl, sl, coslat, sinlat, m, rows,
                                                 candidate.OUTSIDE * wj, candidate.OUTSIDE * h)
            out[j, i, 0] = a
            out[j, i, 1] = ua
            out[j, i, 2] = va
            out[j, i, 3] = b
            out[j, i, 4] = ub
            out[j, i, 5] = vb
            # the columns the cut scans (the same upstream point and bounds as ``_upstream``)
            lim_u = candidate.OUTSIDE * wj
            lim_v = candidate.OUTSIDE * h
            qx, qy, qz = x0 - vx, y0 - vy, z0 - vz
            t = math.sqrt(lim_u * lim_u + lim_v * lim_v) + math.sqrt(vx * vx + vy * vy + vz * vz)
            fq = math.atan2(qx, qz) * W / (2.0 * math.pi) - 0.5
            n = 0
            for dj in range(-rows, rows + 1):
                jj = j + dj
                shift = 0
                if jj < 0:
                    jj, shift = -1 - jj, W // 2
                elif jj >= H:
                    jj, shift = 2 * H - 1 - jj, W // 2
                half = half_columns(coslat[jj], sinlat[jj], spread[jj, 0], spread[jj, 1], W, cl, sl, qy,
                                    qx * qx + qy * qy + qz * qz, math.sqrt(qx * qx + qz * qz), lim_u, lim_v, t,
                                    abs(vx * ex + vz * ez))
                lo0, hi0, lo1, hi1 = pieces(i, shift, m, W, fq, half)
                n += max(hi0 - lo0 + 1, 0) + max(hi1 - lo1 + 1, 0)
            out[j, i, 6] = n


def offsets(rng, n):
    """Random marker offsets ``(u0, v0)`` within ±1.5 cells, a tenth of each at the bounds."""
    u0 = rng.uniform(-1.5, 1.5, n).astype(np.float32)
    v0 = rng.uniform(-1.5, 1.5, n).astype(np.float32)
    edge = rng.random(n) < 0.1
    u0[edge] = np.sign(u0[edge]) * 1.5
    v0[edge[::-1]] = np.sign(v0[edge[::-1]]) * 1.5
    return u0, v0


def marked(q0, u0, v0, omega):
    """The markers' positions and the search window for plates ``q0`` turning by ``omega``:
    ``(marks, spread, trig, width, h, reach_rows, rows)``."""
    H, W = q0.shape
    h = math.pi / H
    trig = trig_tables(H, W)
    width = window.widths(H, W)
    marks = np.empty((3, H * W))
    spread = np.empty((H, 2))
    drift.positions(q0, u0, v0, *trig, width, h, marks, spread)
    reach_rows, rows = window.search(width, W, omega)
    return marks, spread, trig, width, h, reach_rows, rows


def _world(seed, H, W, cells_per_move):
    """Two plates (mostly the first), random offsets within ±1.5 (a tenth at the bounds), the
    first plate turning ``cells_per_move`` cell heights a move about a random pole."""
    rng = np.random.default_rng(seed)
    q0 = np.where(rng.random((H, W)) < 0.85, 3.0, 5.0).astype(np.float32)
    u0, v0 = offsets(rng, H * W)
    pole = rng.normal(size=3)
    poles = np.array([pole / np.linalg.norm(pole), [0.0, 1.0, 0.0]])
    h = math.pi / H
    omega = np.array([cells_per_move * h, 0.3 * h]) * rng.choice([-1.0, 1.0])
    marks, spread, trig, width, _, reach_rows, rows = marked(q0, u0, v0, omega)
    return q0, marks, spread, poles, omega, trig, width, h, reach_rows, rows


@pytest.mark.parametrize("seed,H,W,cells,kept", [(0, 16, 32, 0.4, 1.0), (1, 24, 48, 1.0, 0.95), (2, 32, 64, 2.5, 0.6),
                                                  (3, 32, 96, 0.7, 0.9), (4, 40, 80, 4.0, 0.6), (5, 20, 40, 1.7, 0.85),
                                                  (6, 64, 128, 1.0, 0.85)])
def test_the_cut_window_finds_the_marker_the_whole_window_finds(seed, H, W, cells, kept):
    q0, marks, spread, poles, omega, trig, width, h, reach_rows, rows = _world(seed, H, W, cells)
    out = np.empty((H, W, 7))
    _both(3.0, 0, q0, marks, spread, poles, omega, *trig, width, h, reach_rows, rows, out)
    assert np.array_equal(out[..., :3], out[..., 3:6])              # bit for bit: cell, u, v
    found = out[..., 0] >= 0
    assert found.mean() > 0.2                                        # the inside test passed often
    near_pole = np.zeros(H, bool)
    near_pole[:rows + 1] = near_pole[-rows - 1:] = True
    assert found[near_pole].sum() > W                                # among them rows reflected over a pole
    full = (2 * rows + 1) * (2 * reach_rows + 1)
    cut = out[..., 6].sum(axis=1)
    assert (cut <= W * full).all()
    assert cut.sum() <= kept * (W * full).sum()                      # and the cut pays (measured: 0.53-0.996)


@njit(cache=False)
def _stretch_both(qk, k, q0, marks, spread, index, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, reach_rows,
                  rows, out):
    """For every cell: rule 4 over the whole window (``drift._scan(False, ...)``) and cut
    (``drift._stretch``, near the poles from ``index``), ``out[j, i] = (up, u, v, any, u, v)`` of each."""
    H, W = q0.shape
    for j in range(H):
        for i in range(W):
            cl, sl = coslat[j], sinlat[j]
            x0, y0, z0, ex, ez, nx, ny, nz, vx, vy, vz, wj, fu, fv = _cell(k, j, i, poles, omega, coslat, sinlat,
                                                                          coslon, sinlon, wrow, h)
            m = reach_rows[j]
            a0, a1, a2, a3, a4, a5 = drift._scan(False, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny,
                                                 nz, wj, h, fu, fv, m, rows)
            b0, b1, b2, b3, b4, b5 = drift._stretch(qk, j, i, q0, marks, spread, index, vx, vy, vz, x0, y0, z0, ex, ez,
                                                    nx, ny, nz, wj, h, fu, fv, cl, sl, coslat, sinlat, m, rows)
            out[j, i, 0], out[j, i, 1], out[j, i, 2], out[j, i, 3], out[j, i, 4], out[j, i, 5] = a0, a1, a2, a3, a4, a5
            out[j, i, 6], out[j, i, 7], out[j, i, 8] = b0, b1, b2
            out[j, i, 9], out[j, i, 10], out[j, i, 11] = b3, b4, b5


@pytest.mark.parametrize("seed,H,W,cells", [(0, 16, 32, 0.4), (1, 24, 48, 1.0), (2, 32, 64, 2.5), (3, 32, 96, 0.7),
                                             (4, 40, 80, 4.0), (6, 64, 128, 1.0), (7, 48, 96, 0.5), (8, 64, 192, 2.0),
                                             (9, 96, 192, 1.2)])
def test_the_cut_stretch_finds_the_marker_the_whole_window_finds(seed, H, W, cells):
    """Rule 4 (the nearest upstream marker, else the nearest of all) cut to the markers near the
    upstream point (``drift._stretch``) gives the whole window's marker bit for bit, at every
    cell of random worlds with offsets up to the bounds, across the poles included. So does the
    cut that takes the markers within ``polar.cap_rows(H)`` rows of the poles from their buckets
    (``polar``), where the grid has room for them; for it some markers of the polar rows are put
    where others are (the buckets assume nothing of where a marker lies), so that ties occur and
    go to the first in the scan's order."""
    q0, marks, spread, poles, omega, trig, width, h, reach_rows, rows = _world(seed, H, W, cells)
    out = np.empty((H, W, 12))
    _stretch_both(3.0, 0, q0, marks, spread, polar.EMPTY, poles, omega, *trig, width, h, reach_rows, rows, out)
    _same_as_the_window(out, H, W, rows)
    n = polar.cap_rows(H)
    served = 4 * (n + rows) <= H
    assert (polar.build(q0, marks, rows)[2][0, 1] > 0) == served
    if served:
        rng = np.random.default_rng(seed)
        cap = np.arange(n * W)
        cap = np.concatenate([cap, H * W - 1 - cap])
        to, fro = rng.choice(cap, cap.size // 4), rng.choice(cap, cap.size // 4)
        marks[:, to] = marks[:, fro]                                 # equal positions
        _stretch_both(3.0, 0, q0, marks, spread, polar.build(q0, marks, rows), poles, omega, *trig, width, h,
                      reach_rows, rows, out)
        out = out[np.r_[:n, H - n:H]]                # (the other rows' cut assumes the offsets)
        _agree(out)
        won = out[..., 0].astype(np.int64)
        assert np.isin(won, to).sum() > W // 8                       # twins won: ties were resolved


@njit(cache=False)
def _arrive_both(qk, k, q0, marks, index, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, reach_rows, rows,
                 out):
    """For every cell of the rows that take rule 2 from ``index`` (``polar.arrives``): rule 2 over the
    whole window (``drift._scan(True, ...)``) and from the index (``polar.nearest(True, ...)``),
    ``out[j, i] = (cell, u, v, cell, u, v)``; -2 in rows the index does not answer."""
    H, W = q0.shape
    out[...] = -2.0
    for j in range(H):
        cap = polar.served(j, H, index)
        if cap < 0:
            continue
        for i in range(W):
            cl, sl = coslat[j], sinlat[j]
            cell, m, (a, ua, va) = _whole_window(qk, k, j, i, q0, marks, poles, omega, coslat, sinlat, coslon, sinlon,
                                                 wrow, h, reach_rows, rows)
            x0, y0, z0, ex, ez, nx, ny, nz, vx, vy, vz, wj, fu, fv = cell
            b, _, ub, vb = polar.nearest(True, index, cap, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny,
                                         nz, wj, h, fu, fv, cl, sl, m, rows, candidate.OUTSIDE)
            out[j, i, 0], out[j, i, 1], out[j, i, 2], out[j, i, 3], out[j, i, 4], out[j, i, 5] = a, ua, va, b, ub, vb


@pytest.mark.parametrize("seed,H,W,cells", [(7, 48, 96, 0.5), (8, 64, 192, 2.0), (9, 96, 192, 1.2), (10, 64, 128, 0.3),
                                             (11, 1024, 2048, 1.2)])
def test_the_polar_index_finds_the_arriving_marker_the_whole_window_finds(seed, H, W, cells):
    """Rule 2 (the nearest marker moved inside the cell) from the polar index gives the whole window's
    marker bit for bit on the first ``polar.cap_rows(H)`` rows at each pole, across the poles included, with
    a quarter of those rows' markers put where their east neighbours' are, so that ties occur and go
    to the first in the scan's order."""
    q0, marks, spread, poles, omega, trig, width, h, reach_rows, rows = _world(seed, H, W, cells)
    arrive = polar.cap_rows(H)
    assert arrive == (polar.ROWS if H < 512 else 11)                 # at 2048 columns, the rows within 2°
    rng = np.random.default_rng(seed)
    cap = np.arange(arrive * W)
    cap = np.concatenate([cap, H * W - 1 - cap])
    to = rng.choice(cap, cap.size // 4, replace=False)
    fro = to - to % W + (to % W + 1) % W                             # the next cell east
    marks[:, to] = marks[:, fro]                                     # equal positions, both in the window
    index = polar.build(q0, marks, rows)
    out = np.empty((H, W, 6))
    _arrive_both(3.0, 0, q0, marks, index, poles, omega, *trig, width, h, reach_rows, rows, out)
    served = np.zeros(H, bool)
    served[:arrive] = served[H - arrive:] = True
    assert (out[served] > -2).all() and (out[~served] == -2).all()
    out = out[served]
    assert np.array_equal(out[..., :3], out[..., 3:6])              # cell, u, v
    won = out[..., 0].astype(np.int64)
    assert (won >= 0).mean() > 0.2                                   # the inside test passed often
    twins = np.isin(won, to) | np.isin(won, fro)
    assert twins.sum() > W // 2                                      # ties: a twin won (the first in the scan)


def _agree(out):
    """``_stretch_both``'s two results agree: the upstream marker, and where there is none the nearest."""
    assert np.array_equal(out[..., :3], out[..., 6:9])               # the upstream marker: cell, u, v
    none = out[..., 0] < 0
    assert np.array_equal(out[none][:, 3:6], out[none][:, 9:12])    # and where there is none, the nearest


def _same_as_the_window(out, H, W, rows):
    """``_agree``, and upstream markers were found, also on the rows near the poles."""
    _agree(out)
    up = out[..., 0] >= 0
    assert up.mean() > 0.5                                           # upstream markers were found
    near_pole = np.zeros(H, bool)
    near_pole[:rows + 1] = near_pole[-rows - 1:] = True
    assert up[near_pole].sum() > W                                   # also in rows reflected over a pole


@njit(cache=False)
def _guesses(qk, k, q0, marks, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, reach_rows, rows, out):
    """For every cell of a row where rule 4 is cut (``drift.STRETCH_MIN``): ``drift._guess``'s
    ``(cell, u, v)``, the whole window's nearest upstream marker ``(cell, u, v)`` (``drift._scan``),
    and ``(di, dj)`` of the guessed cell from the scanned one (in window columns and rows)."""
    H, W = q0.shape
    for j in range(H):
        out[j, :, 0] = -2.0
        m = reach_rows[j]
        if m < drift.STRETCH_MIN:
            continue
        for i in range(W):
            x0, y0, z0, ex, ez, nx, ny, nz, vx, vy, vz, wj, fu, fv = _cell(k, j, i, poles, omega, coslat, sinlat,
                                                                          coslon, sinlon, wrow, h)
            g, ug, vg = drift._guess(qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz, wj, h, fu, fv,
                                     m, rows)
            a, ua, va, _, _, _ = drift._scan(False, qk, j, i, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny, nz,
                                             wj, h, fu, fv, m, rows)
            out[j, i, 0], out[j, i, 1], out[j, i, 2] = g, ug, vg
            out[j, i, 3], out[j, i, 4], out[j, i, 5] = a, ua, va
            out[j, i, 6] = fu
            out[j, i, 7] = fv


@pytest.mark.parametrize("seed,H,W,cells", [(2, 32, 64, 2.5), (4, 40, 80, 4.0), (6, 64, 128, 1.0)])
def test_rule_4s_first_bound_is_an_upstream_marker_of_the_window(seed, H, W, cells):
    """``drift._guess`` (the cheap first bound of rule 4's cut search) returns a marker of the plate
    that the window holds, upstream, never nearer than the winner (else ``_stretch`` would cut the
    winner away), and exactly where the motion comes from; it is found for most cells, so the cut
    search mostly skips its first pass."""
    q0, marks, spread, poles, omega, trig, width, h, reach_rows, rows = _world(seed, H, W, cells)
    out = np.empty((H, W, 8))
    _guesses(3.0, 0, q0, marks, poles, omega, *trig, width, h, reach_rows, rows, out)
    cut = out[..., 0] > -2
    assert cut.sum() >= W                                            # rows where rule 4 is cut
    found = cut & (out[..., 0] >= 0)
    assert found.sum() > 0.5 * cut.sum()                             # measured: 0.75-0.95
    g = out[found][:, 0].astype(np.int64)
    assert (q0.ravel()[g] == 3.0).all()                              # the plate's markers
    u, v, fu, fv = out[found][:, 1], out[found][:, 2], out[found][:, 6], out[found][:, 7]
    assert (u * fu + v * fv < 0).all()                               # upstream
    d_guess = u * u + v * v
    d_best = out[found][:, 4] ** 2 + out[found][:, 5] ** 2
    assert (out[found][:, 3] >= 0).all() and (d_guess >= d_best).all()  # a bound on the window's winner
    # on the 3 x 3 cells around (j + fv, i - fu) rounded, within the window (no reflection here)
    jj, ii = np.divmod(g, W)
    j, i = np.nonzero(found)
    inner = (j > rows + 1) & (j < H - rows - 2)
    dj = jj - (j + np.floor(fv + 0.5))
    di = (ii - (i - np.floor(fu + 0.5))) % W
    di = np.where(di > W // 2, di - W, di)
    assert inner.sum() > 0 and (np.abs(dj[inner]) <= 1).all() and (np.abs(di[inner]) <= 1).all()


@njit(cache=False)
def _runs_both(inside, scale, qk, k, q0, marks, poles, omega, coslat, sinlat, coslon, sinlon, wrow, h, reach_rows, rows,
               out):
    """Every window row of every cell whose row is long enough for ``drift._run``'s skim, scanned by
    ``_run`` (``out[n, :8]``) and by a plain loop calling ``consider`` on every column of plate
    ``qk`` (``out[n, 8:]``), with the limits ``scale`` cell widths and heights; returns ``n``."""
    H, W = q0.shape
    n = 0
    for j in range(H):
        m = reach_rows[j]
        if 2 * m + 1 < drift.SKIM_MIN:
            continue
        for i in range(W):
            x0, y0, z0, ex, ez, nx, ny, nz, vx, vy, vz, wj, fu, fv = _cell(k, j, i, poles, omega, coslat, sinlat,
                                                                          coslon, sinlon, wrow, h)
            lim_u = scale * wj
            lim_v = scale * h
            for dj in range(-rows, rows + 1):
                jj, shift = reflected_row(j + dj, H, W)
                start = (i - m + shift) % W
                got = drift._run(inside, qk, jj, start, 2 * m + 1, q0, marks, vx, vy, vz, x0, y0, z0, ex, ez, nx, ny,
                                 nz, wj, h, fu, fv, lim_u, lim_v, candidate.NONE)
                a, d_a, u_a, v_a, b, d_b, u_b, v_b = candidate.NONE
                ii = start
                for _ in range(2 * m + 1):
                    if q0[jj, ii] == qk:
                        a, d_a, u_a, v_a, b, d_b, u_b, v_b = candidate.consider(inside, jj * W + ii, marks, vx, vy, vz,
                                                                                x0, y0, z0, ex, ez, nx, ny, nz, wj, h,
                                                                                fu, fv, lim_u, lim_v, a, d_a, u_a, v_a,
                                                                                b, d_b, u_b, v_b)
                    ii = ii + 1 if ii + 1 < W else 0
                out[n, 0], out[n, 1], out[n, 2], out[n, 3] = got[0], got[1], got[2], got[3]
                out[n, 4], out[n, 5], out[n, 6], out[n, 7] = got[4], got[5], got[6], got[7]
                out[n, 8], out[n, 9], out[n, 10], out[n, 11] = a, d_a, u_a, v_a
                out[n, 12], out[n, 13], out[n, 14], out[n, 15] = b, d_b, u_b, v_b
                n += 1
    return n


@pytest.mark.parametrize("inside,scale", [(True, candidate.OUTSIDE), (False, drift.CORE), (False, 0.2)])
def test_a_skimmed_run_finds_what_a_visit_of_every_column_finds(inside, scale):
    """``drift._run`` skips blocks of a long run (near the poles) whose moved markers all lie beyond
    the east limit; the result is that of ``consider`` on every column, bit for bit, for rule 2's
    limits and rule 4's boxes, in random polar worlds where most blocks are skipped."""
    q0, marks, spread, poles, omega, trig, width, h, reach_rows, rows = _world(7, 64, 256, 1.5)
    assert (2 * reach_rows + 1 >= drift.SKIM_MIN).sum() >= 4                # rows long enough to be skimmed
    out = np.empty((64 * 256 * (2 * rows + 1), 16))
    n = _runs_both(inside, scale, 3.0, 0, q0, marks, poles, omega, *trig, width, h, reach_rows, rows, out)
    out = out[:n]
    assert n > 1000
    assert np.array_equal(out[:, :8], out[:, 8:])
    found = out[:, 8] >= 0
    assert 0.01 < found.mean() < 0.9                                        # markers were found, and not everywhere


def _inside(p, v, j, i, trig, width, h):
    """Rule 2's inside test (``drift._scan``) for markers at positions ``p`` (n, 3) moved by ``v``."""
    coslat, sinlat, coslon, sinlon = trig
    cl, sl, co, so = coslat[j], sinlat[j], coslon[i], sinlon[i]
    d = p + v - np.array([so * cl, sl, co * cl])
    tu = d[:, 0] * co - d[:, 2] * so
    tv = d[:, 0] * (-sl * so) + d[:, 1] * cl + d[:, 2] * (-sl * co)
    return (np.abs(tu / width[j]) <= 0.5) & (np.abs(tv / h) <= 0.5)


@pytest.mark.parametrize("seed", range(4))
def test_every_column_that_can_hold_an_arriving_marker_is_kept(seed):
    """Markers at every offset of a fine lattice within the bounds (``|u| ≤ 1.5``, ``|v| ≤ 1.5``) of
    every cell of the rows around a polar cell: wherever one passes the inside test, its column is
    among those ``pieces`` keeps, and the kept columns are not the whole row."""
    rng = np.random.default_rng(seed)
    H, W = 48, 96
    h = math.pi / H
    trig = trig_tables(H, W)
    coslat, sinlat, coslon, sinlon = trig
    width = window.widths(H, W)
    g = np.linspace(-1.5, 1.5, 31)
    uu, vv = (a.ravel() for a in np.meshgrid(g, g))
    kept_total = passed_total = 0
    for trial in range(12):
        j = int(rng.integers(0, 8)) if trial % 2 else int(H - 1 - rng.integers(0, 8))
        i = int(rng.integers(0, W))
        cl, sl, co, so = coslat[j], sinlat[j], coslon[i], sinlon[i]
        x = np.array([so * cl, sl, co * cl])
        axis = rng.normal(size=3)
        v = rng.uniform(0.2, 2.5) * h * np.cross(axis / np.linalg.norm(axis), x)
        q = x - v
        t = math.hypot(candidate.OUTSIDE * width[j], candidate.OUTSIDE * h) + np.linalg.norm(v)
        fq = math.atan2(q[0], q[2]) * W / (2 * math.pi) - 0.5
        ve = abs(v[0] * co - v[2] * so)
        for r in range(j - 3, j + 4):
            jj, shift = (-1 - r, W // 2) if r < 0 else ((2 * H - 1 - r, W // 2) if r >= H else (r, 0))
            a_row = 1.5 * width[jj]
            d_row = math.hypot(1.5 * width[jj], 1.5 * h)
            half = half_columns(coslat[jj], sinlat[jj], a_row, d_row, W, cl, sl, q[1], q @ q, math.hypot(q[0], q[2]),
                                candidate.OUTSIDE * width[j], candidate.OUTSIDE * h, t, ve)
            lo0, hi0, lo1, hi1 = pieces(i, shift, W // 2, W, fq, half)
            kept = {(i + di + shift) % W for di in list(range(lo0, hi0 + 1)) + list(range(lo1, hi1 + 1))}
            kept_total += len(kept)
            for ii in range(W):
                c2, s2, o2, n2 = coslat[jj], sinlat[jj], coslon[ii], sinlon[ii]
                a = uu * width[jj]
                b = vv * h
                p = np.stack([n2 * c2 + a * o2 - b * s2 * n2, s2 + b * c2 + 0 * a, o2 * c2 - a * n2 - b * s2 * o2], 1)
                if _inside(p, v, j, i, trig, width, h).any():
                    passed_total += 1
                    assert ii in kept, (trial, j, i, jj, ii)
    assert passed_total > 50
    assert kept_total < 0.5 * 12 * 7 * W             # measured: 0.32-0.38


@pytest.mark.parametrize("W", [32, 48, 64, 96])
def test_pieces_are_the_window_columns_near_the_point_in_scan_order(W):
    """``pieces`` against brute force: the ``di`` of ``-m … m`` (ascending) whose column is within
    ``half`` columns of ``fq``, up to the one column the window holds twice where ``m = W / 2``."""
    rng = np.random.default_rng(W)
    for _ in range(400):
        m = int(rng.integers(1, W // 2 + 1))
        i = int(rng.integers(0, W))
        shift = int(rng.choice([0, W // 2]))
        fq = rng.uniform(-W, 2 * W)
        half = float(rng.choice([rng.uniform(0, 4), rng.uniform(0, W / 2), -1.0, np.inf]))
        lo0, hi0, lo1, hi1 = pieces(i, shift, m, W, fq, half)
        got = list(range(lo0, hi0 + 1)) + list(range(lo1, hi1 + 1))
        assert got == sorted(got) and len(set(got)) == len(got) and all(-m <= d <= m for d in got)

        def near(d):
            x = (i + d + shift) % W
            return half >= 0 and min(abs(x - fq) % W, W - abs(x - fq) % W) <= half
        want = [d for d in range(-m, m + 1) if near(d)]
        if 2 * m == W and -m in want:
            assert set(got) >= set(want) - {m}
        else:
            assert set(got) >= set(want)
        assert all(near(d) or half + 2 >= W / 2 or abs(((i + d + shift) - fq + W / 2) % W - W / 2) <= half + 1
                   for d in got)


@pytest.mark.parametrize("W", [1, 2, 7, 512, 1024])
def test_columns_wrap_as_the_modulo_does(W):
    # ``upstream.wrap`` replaces ``x % W`` (an integer division per scanned row) by adding or
    # subtracting W; the scans' columns lie within a turn or two of the grid, it must agree anywhere
    jitted = njit(cache=False)(lambda x, W: wrap(x, W))
    for x in list(range(-3 * W - 2, 3 * W + 3)) + [-10 * W - 1, 7 * W + 5]:
        assert jitted(np.int64(x), np.int64(W)) == x % W
